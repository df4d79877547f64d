/**
 * Record type 41 (ThreatIntelligenceUrl, `TIUrlClickData`): a user clicked a
 * Safe Links-wrapped URL; `URLClickAction` says what Safe Links did.
 */
import type {
  Disposition,
  EnumValue,
  EventAction,
  EventOutcome,
  NormalizedEvent,
  Severity,
} from '../event.js';
import { URL_CLICK_ACTIONS } from '../enums.js';
import { buildLinks, isGuid } from '../links.js';
import type { UrlClickRecord } from '../records.js';
import { text } from '../wire.js';
import { userRef, withSeverity } from './common.js';

interface ClickDecision {
  action: EventAction;
  disposition: Disposition | null;
  outcome: EventOutcome;
  isAlert: boolean;
  severity: Severity;
}

/**
 * By `URLClickAction` id. The outcome is the user's navigation: a block page
 * or a pending-detonation page is a failed navigation; clicking through is a
 * success, and the most severe case, because the user reached a URL Safe
 * Links had flagged.
 */
const BY_CLICK_ACTION: Readonly<Record<number, ClickDecision>> = {
  0: {
    action: 'clicked',
    disposition: 'no-action',
    outcome: 'unknown',
    isAlert: false,
    severity: 'informational',
  },
  1: {
    action: 'clicked',
    disposition: 'allowed',
    outcome: 'success',
    isAlert: false,
    severity: 'informational',
  },
  2: {
    action: 'click-blocked',
    disposition: 'blocked',
    outcome: 'failure',
    isAlert: true,
    severity: 'medium',
  },
  3: {
    action: 'click-pending-detonation',
    disposition: 'pending',
    outcome: 'failure',
    isAlert: true,
    severity: 'low',
  },
  4: {
    action: 'clicked-through-warning',
    disposition: 'allowed',
    outcome: 'success',
    isAlert: true,
    severity: 'high',
  },
  5: {
    action: 'clicked-through-warning',
    disposition: 'allowed',
    outcome: 'success',
    isAlert: true,
    severity: 'high',
  },
};

/** Absent or unknown click action (one real sample omits it): a click, nothing more is known. */
const UNKNOWN_CLICK: ClickDecision = {
  action: 'clicked',
  disposition: null,
  outcome: 'unknown',
  isAlert: false,
  severity: 'informational',
};

/** The click action of the 2018 shape: `Blocked` and `ClickedThrough` booleans. */
function fromBooleans(
  blocked: boolean | null | undefined,
  through: boolean | null | undefined,
): EnumValue | null {
  if (through === true) return { id: 4, name: URL_CLICK_ACTIONS[4] ?? 'BlockPageOverride' };
  if (blocked === true) return { id: 2, name: URL_CLICK_ACTIONS[2] ?? 'Blockpage' };
  if (blocked === false) return { id: 1, name: URL_CLICK_ACTIONS[1] ?? 'Allowed' };
  return null;
}

export function mapUrlClick(base: NormalizedEvent, rec: UrlClickRecord): NormalizedEvent {
  const clickAction = rec.URLClickAction ?? fromBooleans(rec.Blocked, rec.ClickedThrough);
  const d =
    (clickAction?.id !== null && clickAction?.id !== undefined && BY_CLICK_ACTION[clickAction.id]) ||
    UNKNOWN_CLICK;
  const url = text(rec.Url);
  const sourceId = text(rec.SourceId);
  // For mail, SourceId is the NetworkMessageId of the message that carried the URL.
  const networkMessageIds = sourceId && isGuid(sourceId) ? [sourceId.toLowerCase()] : [];
  const urls = url ? [url] : [];
  // UserIp is the clicking device; ClientIP is often the same address with a port.
  const ip = rec.UserIp ?? rec.ClientIP ?? null;
  const port = ip?.port ?? (rec.ClientIP && rec.ClientIP.ip === ip?.ip ? rec.ClientIP.port : null);
  const event: NormalizedEvent = {
    ...base,
    kind: 'url-click',
    action: d.action,
    outcome: d.outcome,
    disposition: d.disposition,
    isAlert: d.isAlert,
    actors: {
      ...base.actors,
      user: userRef(rec.UserId),
      clientIp: ip?.ip ?? null,
      clientPort: port,
    },
    urlClick: {
      url,
      clickAction,
      appName: text(rec.AppName),
      appVersion: text(rec.AppVersion),
      // Lower-case when it is a NetworkMessageId, as everywhere: it is the join key to the mail (28, 64).
      sourceId: sourceId && isGuid(sourceId) ? sourceId.toLowerCase() : sourceId,
      timeOfClick: rec.TimeOfClick ?? null,
    },
    urls,
    networkMessageIds,
    deepLink: text(rec.EventDeepLink),
    links: buildLinks({ networkMessageIds, urls, sha256s: [] }),
  };
  return withSeverity(event, d.severity);
}
