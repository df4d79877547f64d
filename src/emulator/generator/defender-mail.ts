/**
 * Record 28, ThreatIntelligence / TIMailData (§9.2): one record per detection
 * on a mail, with the wire quirks collectors meet: Policy and PolicyAction as
 * strings (sometimes the documented ints), DetectionType as a string (rarely
 * the 2018 int), ThreatsAndDetectionTech as a string array, FileVerdict as an
 * int or a numeric string, SHA256 in upper-case hex.
 */
import type { GenContext, MailMemory } from './context.js';
import { wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import {
  ATTACKER_DOMAINS,
  ATTACKER_LOCALPARTS,
  BULK_DOMAINS,
  CLEAN_FILES,
  MALICIOUS_FILES,
  MALWARE_FAMILIES,
  NASTY_SUBJECTS,
  PLAIN_SUBJECTS,
} from './pools.js';
import { weightedTable } from './prng.js';

type Threat = MailMemory['threat'];

const THREATS = weightedTable<Threat>([
  ['Phish', 40],
  ['Malware', 25],
  ['Spam', 20],
  ['HighConfPhish', 15],
]);

/** Detection technologies (§9.2.3) that fit each threat. */
const TECH_BY_THREAT: Record<Threat, readonly string[]> = {
  Phish: [
    'Spoof DMARC',
    'Spoof external domain',
    'Spoof intra-org',
    'URL malicious reputation',
    'URL detonation',
    'URL detonation reputation',
    'Impersonation brand',
    'Impersonation domain',
    'Impersonation user',
    'Mailbox intelligence impersonation',
    'Domain reputation',
    'LLM content analysis',
    'Campaign',
    'Advanced filter',
  ],
  HighConfPhish: [
    'URL malicious reputation',
    'Fingerprint matching',
    'URL detonation reputation',
    'Campaign',
  ],
  Malware: [
    'Antimalware protection',
    'File detonation',
    'File detonation reputation',
    'File reputation',
    'Fingerprint matching',
    'Mixed analysis detection',
  ],
  Spam: [
    'General filter',
    'Bulk',
    'IP reputation',
    'Mail bombing',
    'URL malicious reputation',
    'Advanced filter',
  ],
};

/** Policy as observed strings (`SafeAttachements` is Microsoft's spelling) and as the documented ints. */
const POLICY_STRINGS: Record<Threat, readonly string[]> = {
  Phish: ['Phish'],
  HighConfPhish: ['HighConfidencePhish'],
  Malware: ['AntiMalware', 'SafeAttachements'],
  Spam: ['Spam', 'Bulk'],
};
const POLICY_INTS: Record<Threat, readonly number[]> = {
  Phish: [4, 5, 6, 7, 8, 13],
  HighConfPhish: [15],
  Malware: [9, 10, 12],
  Spam: [1, 2, 3, 14],
};
const POLICY_ACTION_INT: Record<string, number> = { MoveToJmf: 0, Delete: 4, Quarantine: 5, NoAction: 6 };

const DETECTION_TYPE_INT: Record<string, number> = { Inline: 0, Delayed: 1, ZAP: 2 };

const AUTH_VALUES = {
  SPF: ['Pass', 'Fail', 'SoftFail', 'None', 'Permanent error', 'Temporary error'],
  DKIM: ['Pass', 'Fail', 'None'],
  DMARC: ['Pass', 'Fail', 'BestGuessPass', 'Best guess pass', 'None'],
  'Comp Auth': ['pass', 'fail', 'softpass', 'none'],
} as const;

const OVERRIDES: readonly (readonly [details: string, result: string, source: string])[] = [
  ['Exchange transport rule', 'Allow', 'Tenant'],
  ['Antimalware policy block by file type', 'Block', 'Tenant'],
  ['Tenant allow/block list', 'Allow', 'Tenant'],
  ['User safe sender', 'Allow', 'User'],
  ['Phishing simulation', 'Allow', 'Tenant'],
];

export function mailRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  let detectionType = rng.weighted(DETECTION_TYPES);
  // A ZAP or Delayed detection is usually about a mail seen before: reuse its identity.
  const earlier = detectionType !== 'Inline' && ctx.mails.length > 0 ? rng.pick(ctx.mails) : undefined;
  const mail = earlier && earlier.atMs <= atMs ? earlier : newMail(ctx, atMs);
  if (mail !== earlier) detectionType = rng.chance(0.85) ? 'Inline' : detectionType;
  const threat = mail.threat;
  const inline = detectionType === 'Inline';
  const quarantine = threat !== 'Spam' && (threat !== 'Phish' || rng.chance(0.6));
  const policyAction = inline
    ? quarantine
      ? 'Quarantine'
      : 'MoveToJmf'
    : rng.pick(['Quarantine', 'MoveToJmf']);
  const deliveryAction = inline ? (quarantine ? 'Blocked' : 'DeliveredAsSpam') : 'Delivered';
  const original = inline ? (quarantine ? 'Quarantine' : 'JunkFolder') : 'Inbox';
  const latest =
    detectionType === 'ZAP' ? (policyAction === 'Quarantine' ? 'Quarantine' : 'JunkFolder') : original;
  const techs = rng.pickSome(TECH_BY_THREAT[threat], rng.between(1, 3));
  const verdictName = threat === 'HighConfPhish' ? 'Phish' : threat;
  const day = wireTime(mail.atMs).slice(0, 10);
  const dir = mail.recipients[0]?.endsWith(ctx.org.domain)
    ? mail.sender.endsWith(ctx.org.domain)
      ? 'Intraorg'
      : 'Inbound'
    : 'Outbound';

  const rec = commonRecord(ctx, atMs, {
    recordType: 28,
    operation: 'TIMailData',
    workload: 'ThreatIntelligence',
    userType: 4,
    userKey: 'ThreatIntel',
    userId: 'ThreatIntel',
    // Observed: a NetworkMessageId-like value with a suffix.
    objectId: `${mail.networkMessageId}${rng.hex(4)}`,
    system: true,
  });
  if (mail.files.length > 0) rec.AttachmentData = attachments(ctx, mail);
  rec.DetectionType = rng.chance(0.05) ? DETECTION_TYPE_INT[detectionType] : detectionType;
  rec.DetectionMethod = techs[0];
  rec.InternetMessageId = mail.internetMessageId;
  rec.NetworkMessageId = mail.networkMessageId;
  rec.P1Sender = rng.chance(0.3) ? prvs(ctx, mail.sender) : mail.sender;
  rec.P2Sender = threat === 'Phish' && rng.chance(0.3) ? `ceo@${ctx.org.domain}` : mail.sender;
  rec.Policy = rng.chance(0.8) ? rng.pick(POLICY_STRINGS[threat]) : rng.pick(POLICY_INTS[threat]);
  rec.PolicyAction = rng.chance(0.8) ? policyAction : POLICY_ACTION_INT[policyAction];
  rec.Recipients = mail.recipients.slice(); // a copy: records never share arrays with each other
  rec.SenderIp = mail.senderIp;
  rec.Subject = mail.subject;
  rec.Verdict = threat;
  rec.MessageTime = wireTime(mail.atMs);
  rec.EventDeepLink = mailDeepLink(ctx, mail.networkMessageId, day, verdictName);
  rec.DeliveryAction = deliveryAction;
  rec.OriginalDeliveryLocation = original;
  rec.LatestDeliveryLocation = latest;
  rec.Directionality = dir;
  rec.ThreatsAndDetectionTech = threatsAndTech(ctx, verdictName, techs);
  rec.AdditionalActionsAndResults =
    detectionType === 'ZAP'
      ? [`Zap: [Success: Message moved to ${latest === 'Quarantine' ? 'quarantine' : 'junk folder'}]`]
      : ['OriginalDelivery: [N/A]'];
  if (rng.chance(0.25)) rec.Connector = `${rng.guid()}: [Inbound from ${rng.guid()}]`;
  rec.AuthDetails = [
    { Name: 'SPF', Value: rng.pick(AUTH_VALUES.SPF) },
    { Name: 'DKIM', Value: rng.pick(AUTH_VALUES.DKIM) },
    { Name: 'DMARC', Value: rng.pick(AUTH_VALUES.DMARC) },
    { Name: 'Comp Auth', Value: rng.pick(AUTH_VALUES['Comp Auth']) },
  ];
  rec.SystemOverrides = rng.chance(0.15) ? [systemOverride(ctx)] : [];
  if (threat === 'Phish' || threat === 'HighConfPhish')
    rec.PhishConfidenceLevel = threat === 'HighConfPhish' ? 'High' : rng.pick(['Normal', 'High']);
  if (mail !== earlier) ctx.remember(ctx.mails, mail);
  return rec;
}

const DETECTION_TYPES = weightedTable([
  ['Inline', 70],
  ['Delayed', 12],
  ['ZAP', 18],
]);

/** Invent a mail (sender, recipients, URLs, attachments) and its identifiers. */
export function newMail(ctx: GenContext, atMs: number): MailMemory {
  const rng = ctx.rng;
  const threat = rng.weighted(THREATS);
  const dirRoll = rng.int(100);
  let sender: string;
  let recipients: string[];
  if (dirRoll < 85) {
    const domain =
      threat === 'Spam'
        ? rng.pick(BULK_DOMAINS)
        : rng.chance(0.12)
          ? rng.pick(ctx.partners).domain // a compromised partner
          : rng.pick(ATTACKER_DOMAINS);
    sender = `${rng.pick(ATTACKER_LOCALPARTS)}@${domain}`;
    recipients = rng.pickSome(ctx.org.people, rng.between(1, 5)).map((p) => ctx.upn(p));
  } else if (dirRoll < 93) {
    sender = ctx.upn(); // intra-org: a compromised internal account
    recipients = rng.pickSome(ctx.org.people, rng.between(1, 5)).map((p) => ctx.upn(p));
  } else {
    sender = ctx.upn(); // outbound
    const partner = rng.pick(ctx.partners);
    recipients = rng.pickSome(partner.people, rng.between(1, 5)).map((p) => `${p.alias}@${partner.domain}`);
  }
  const urlCount = threat === 'Malware' ? rng.int(2) : rng.between(1, 3);
  const urls: string[] = [];
  for (let i = 0; i < urlCount; i++)
    urls.push(ctx.url(threat === 'Spam' ? rng.pick(BULK_DOMAINS) : undefined));
  const files: MailMemory['files'] = [];
  const fileCount = threat === 'Malware' ? rng.between(1, 3) : rng.chance(0.15) ? 1 : 0;
  for (let i = 0; i < fileCount; i++) {
    const bad = threat === 'Malware' || rng.chance(0.5);
    const [name] = rng.pick(bad ? MALICIOUS_FILES : CLEAN_FILES);
    files.push({ name, sha256: rng.hex(32, true), malwareFamily: bad ? rng.pick(MALWARE_FAMILIES) : '' });
  }
  const senderDomain = sender.slice(sender.indexOf('@') + 1);
  return {
    networkMessageId: rng.guid(),
    internetMessageId: rng.chance(0.5)
      ? `<${rng.hex(8, true)}.${rng.hex(4, true)}@${senderDomain}>`
      : `<${rng.pick(['CY4PR11MB', 'DM6PR04MB', 'AM0PR02MB', 'SN6PR2101MB'])}${rng.between(1000, 9999)}${rng.hex(6, true)}@${rng.pick(['namprd11', 'eurprd02', 'apcprd06'])}.prod.outlook.com>`,
    sender,
    senderIp: ctx.ip(),
    subject: rng.chance(0.35) ? rng.pick(NASTY_SUBJECTS) : rng.pick(PLAIN_SUBJECTS),
    recipients,
    urls,
    files,
    threat,
    atMs: atMs - rng.int(600) * 1000,
    clicks: [],
  };
}

function attachments(ctx: GenContext, mail: MailMemory): WireRecord[] {
  const rng = ctx.rng;
  return mail.files.map((f) => {
    const bad = f.malwareFamily !== '';
    const type = (MALICIOUS_FILES.find(([n]) => n === f.name) ??
      CLEAN_FILES.find(([n]) => n === f.name))?.[1];
    const att: WireRecord = { FileName: f.name, FileType: type ?? 'unknown' };
    // FileVerdict: the documented int, or a numeric string, including the undocumented "2".
    const verdict = bad ? rng.pick([1, 1, 1, 2]) : rng.chance(0.9) ? 0 : rng.pick([-1, -2, -3]);
    att.FileVerdict = rng.chance(0.3) ? String(verdict) : verdict;
    if (bad) att.MalwareFamily = f.malwareFamily;
    att.SHA256 = f.sha256;
    return att;
  });
}

/** BATV-signed envelope sender, as some senders' MTAs rewrite MAIL FROM. */
function prvs(ctx: GenContext, sender: string): string {
  return `prvs=${ctx.rng.hex(5)}=${sender}`;
}

function threatsAndTech(ctx: GenContext, verdict: string, techs: readonly string[]): string[] {
  const out = [`${verdict}: [${techs.join(', ')}]`];
  if (verdict !== 'Spam' && ctx.rng.chance(0.3)) out.push(`Spam: [${ctx.rng.pick(TECH_BY_THREAT.Spam)}]`);
  return out;
}

function systemOverride(ctx: GenContext): WireRecord {
  const [details, result, source] = ctx.rng.pick(OVERRIDES);
  return { Details: details, FinalOverride: ctx.rng.pick(['Yes', 'No']), Result: result, Source: source };
}

/** Threat Explorer link in the observed shape (older records used protection.office.com). */
export function mailDeepLink(ctx: GenContext, nmid: string, day: string, view: string): string {
  const host = ctx.rng.chance(0.9) ? 'security.microsoft.com' : 'protection.office.com';
  return `https://${host}/?hash=/threatexplorer?messageParams=${nmid},${nmid}-${ctx.rng.hex(8)},${day}T00:00:00,${day}T23:59:59&view=${view}`;
}
