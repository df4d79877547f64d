/**
 * Record 41, ThreatIntelligenceUrl / TIUrlClickData (§9.3): a Safe Links click.
 * Quirks: the click action's key is `URLClickAction` (docs) or `UrlClickAction`
 * (Defender raw data), its value usually the int enum but sometimes a string
 * or missing (rarely replaced by the 2018 booleans Blocked/ClickedThrough);
 * the URL key is `Url` (sample) or `URL` (docs).
 */
import type { ClickMemory, GenContext, MailMemory } from './context.js';
import { wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { APP_NAMES } from './pools.js';

const CLICK_ACTION_NAMES = [
  'None',
  'Allowed',
  'Blockpage',
  'PendingDetonationPage',
  'BlockPageOverride',
  'PendingDetonationPageOverride',
] as const;

export function clickRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  // Clicks are on URLs of mails generated earlier whenever there is one (analysts pivot on SourceId).
  const mail = pickMailWithUrl(ctx, atMs);
  const url = mail ? rng.pick(mail.urls) : ctx.url();
  const inTenant = mail?.recipients.filter((r) => r.endsWith('@' + ctx.org.domain)) ?? [];
  const user = inTenant.length > 0 ? rng.pick(inTenant) : ctx.upn();
  const sourceId = mail ? mail.networkMessageId : rng.guid();
  const userIp = ctx.ip();
  const clickMs = atMs - rng.int(120) * 1000;
  const [appName, appVersion] = rng.pick(APP_NAMES);

  const rec = commonRecord(ctx, atMs, {
    recordType: 41,
    operation: 'TIUrlClickData',
    workload: 'ThreatIntelligence',
    userType: 4,
    userKey: 'ThreatIntel',
    userId: user,
    system: true,
    clientIp: userIp,
  });
  rec.AppName = appName;
  if (rng.chance(0.85)) rec.AppVersion = appVersion;
  const actionRoll = rng.int(100);
  if (actionRoll >= 4) {
    const code = actionRoll < 10 ? rng.int(2) : rng.between(2, 5);
    const value = actionRoll < 88 ? code : rng.chance(0.5) ? String(code) : CLICK_ACTION_NAMES[code];
    rec[rng.chance(0.5) ? 'UrlClickAction' : 'URLClickAction'] = value;
  } else if (actionRoll >= 2) {
    // The 2018 schema had two booleans instead of the enum.
    const blocked = rng.chance(0.7);
    rec.Blocked = blocked;
    rec.ClickedThrough = blocked && rng.chance(0.3);
  }
  rec.SourceId = sourceId;
  rec.TimeOfClick = wireTime(clickMs);
  rec[rng.chance(0.85) ? 'Url' : 'URL'] = url;
  rec.UserIp = userIp;
  rec.EventDeepLink = `https://security.microsoft.com/?hash=/threatexplorer?dltarget=Explorer&dlstorage=Url&viewid=Phish&query-NetworkMessageId=${sourceId}`;
  const click: ClickMemory = { url, user, userIp, sourceId, atMs: clickMs };
  if (mail && mail.clicks.length < 3) mail.clicks.push(click);
  return rec;
}

function pickMailWithUrl(ctx: GenContext, atMs: number): MailMemory | undefined {
  const rng = ctx.rng;
  for (let tries = 0; tries < 4 && ctx.mails.length > 0; tries++) {
    const m = rng.pick(ctx.mails);
    if (m.urls.length > 0 && m.atMs <= atMs) return m;
  }
  return undefined;
}
