/**
 * Record type 28 (ThreatIntelligence, `TIMailData`): a mail with a threat
 * verdict, at delivery (`Inline`), found after delivery (`Delayed`) or removed
 * after delivery (`ZAP`).
 */
import type {
  Disposition,
  EventAction,
  EventOutcome,
  FileInfo,
  NormalizedEvent,
  Severity,
} from '../event.js';
import { buildLinks, emailAddress } from '../links.js';
import type { MailRecord } from '../records.js';
import { text, uniq } from '../wire.js';
import { emptyFile, shiftSeverity, userRef, withSeverity } from './common.js';

/**
 * Parses `ThreatsAndDetectionTech` items, `"Phish: [Spoof DMARC, URL malicious reputation]"`.
 * An item without brackets is a threat with no technologies.
 */
export function parseThreats(items: readonly string[]): { name: string; technologies: string[] }[] {
  return items.flatMap((item) => {
    const m = /^\s*([^:[]+?)\s*:\s*\[(.*)\]\s*$/.exec(item);
    if (m) {
      const technologies = uniq((m[2] ?? '').split(',').map((t) => t.trim()));
      return [{ name: (m[1] ?? '').trim(), technologies }];
    }
    const name = item.trim();
    return name === '' ? [] : [{ name, technologies: [] }];
  });
}

/** Where a mail ended up, from a delivery location (`Quarantine`, `JunkFolder`, `Inbox`, …). */
export function dispositionOfLocation(location: string | null): Disposition | null {
  switch (location?.toLowerCase().replace(/[\s_-]/g, '')) {
    case undefined:
      return null;
    case 'quarantine':
      return 'quarantined';
    case 'junkfolder':
    case 'junk':
      return 'junked';
    case 'inbox':
    case 'inboxfolder':
    case 'external':
    case 'onpremexternal':
      return 'delivered';
    case 'deleteditems':
    case 'deletedfolder':
    case 'deleted':
      return 'deleted';
    case 'dropped':
    case 'failed':
      return 'blocked';
    default:
      return 'unknown';
  }
}

const VERDICT_SEVERITY: Readonly<Record<string, Severity>> = {
  malware: 'high',
  highconfphish: 'high',
  highconfidencephish: 'high',
  phish: 'medium',
  spoof: 'medium',
  spam: 'low',
  highconfspam: 'low',
  bulk: 'low',
};

/**
 * Verdicts that are not alerts: "no threat", and spam/bulk, which filtering
 * handles routinely (they are still events, with low severity).
 */
const NON_ALERT_VERDICTS = new Set([
  'none',
  'notspam',
  'clean',
  'good',
  'allowed',
  'spam',
  'bulk',
  'highconfspam',
]);

interface Decision {
  action: EventAction;
  disposition: Disposition | null;
  outcome: EventOutcome;
}

/** The ZAP result from `AdditionalActionsAndResults` (`Zap: [Success: …]`). */
function zapOutcome(results: readonly string[]): EventOutcome {
  const zap = results.find((r) => /^\s*zap\s*:/i.test(r));
  if (zap === undefined) return 'unknown';
  if (/success/i.test(zap)) return 'success';
  if (/fail/i.test(zap)) return 'failure';
  return 'unknown';
}

function decide(rec: MailRecord): Decision {
  const latest = dispositionOfLocation(text(rec.LatestDeliveryLocation));
  const original = dispositionOfLocation(text(rec.OriginalDeliveryLocation));
  const detection = rec.DetectionType?.id ?? null;
  if (detection === 2) {
    return {
      action: 'remediated',
      disposition: latest ?? 'removed',
      outcome: zapOutcome(rec.AdditionalActionsAndResults ?? []),
    };
  }
  if (detection === 1) return { action: 'detected', disposition: latest, outcome: 'unknown' };
  switch (rec.DeliveryAction?.toLowerCase().replace(/\s/g, '')) {
    case 'blocked':
    case 'rejected':
      // Delivery was attempted and stopped: a failure for the sender, whatever the control did.
      return {
        action: 'blocked',
        disposition: original === 'quarantined' || original === 'deleted' ? original : 'blocked',
        outcome: 'failure',
      };
    case 'delivered':
      return { action: 'delivered', disposition: original ?? 'delivered', outcome: 'success' };
    case 'deliveredasspam':
    case 'junked':
      return { action: 'delivered-to-junk', disposition: 'junked', outcome: 'success' };
    case 'replaced':
      return { action: 'delivered', disposition: 'modified', outcome: 'success' };
    default:
      return { action: 'detected', disposition: original ?? latest, outcome: 'unknown' };
  }
}

function severityOf(verdict: string | null, action: EventAction): Severity {
  const base: Severity =
    (verdict ? VERDICT_SEVERITY[verdict.toLowerCase().replace(/[\s_-]/g, '')] : undefined) ?? 'medium';
  // A threat that reached the inbox is worse than one that was stopped or removed.
  if (action === 'delivered') return shiftSeverity(base, 1);
  if (action === 'blocked' || action === 'remediated') return shiftSeverity(base, -1, 'low');
  return base;
}

function emailOrNull(v: string | null): string | null {
  return v === null ? null : emailAddress(v);
}

export function mapMail(base: NormalizedEvent, rec: MailRecord): NormalizedEvent {
  const verdict = text(rec.Verdict);
  const threats = parseThreats(rec.ThreatsAndDetectionTech ?? []);
  const method = text(rec.DetectionMethod);
  const files: FileInfo[] = (rec.AttachmentData ?? []).map((a) => ({
    ...emptyFile(),
    name: text(a.FileName),
    types: uniq((a.FileType ?? '').split(';').map((t) => t.trim())),
    sha256: a.SHA256 ?? null,
    verdict: a.FileVerdict ?? null,
    malwareFamily: text(a.MalwareFamily),
  }));
  const recipients = uniq((rec.Recipients ?? []).map((r) => r.trim()));
  const nmid = text(rec.NetworkMessageId)?.toLowerCase() ?? null;
  const d = decide(rec);
  const networkMessageIds = nmid ? [nmid] : [];
  const event: NormalizedEvent = {
    ...base,
    kind: 'email',
    action: d.action,
    outcome: d.outcome,
    disposition: d.disposition,
    isAlert: verdict === null || !NON_ALERT_VERDICTS.has(verdict.toLowerCase().replace(/[\s_-]/g, '')),
    threat: {
      verdict,
      families: uniq(files.map((f) => f.malwareFamily)),
      detectionTechnologies: uniq([...threats.flatMap((t) => t.technologies), method]),
      threats,
      detectionType: rec.DetectionType ?? null,
      detectionMethod: method,
      phishConfidenceLevel: text(rec.PhishConfidenceLevel),
      policy: rec.Policy ?? null,
      policyAction: rec.PolicyAction ?? null,
    },
    actors: {
      ...base.actors,
      user: recipients.length === 1 ? userRef(recipients[0]) : null,
      mailFrom: text(rec.P1Sender),
      // P2 may carry a display name (`IT Support <it@x.example>`); the model keeps the address.
      from: emailOrNull(text(rec.P2Sender)),
      senderIp: rec.SenderIp?.ip ?? null,
      recipients,
    },
    email: {
      networkMessageId: nmid,
      internetMessageId: text(rec.InternetMessageId),
      subject: rec.Subject ?? null,
      direction: text(rec.Directionality),
      messageTime: rec.MessageTime ?? null,
      deliveryAction: text(rec.DeliveryAction),
      originalDeliveryLocation: text(rec.OriginalDeliveryLocation),
      latestDeliveryLocation: text(rec.LatestDeliveryLocation),
      authentication: (rec.AuthDetails ?? []).map((a) => ({ name: a.Name ?? '', value: a.Value ?? '' })),
      systemOverrides: (rec.SystemOverrides ?? []).map((o) => ({
        details: text(o.Details),
        finalOverride: text(o.FinalOverride),
        result: text(o.Result),
        source: text(o.Source),
      })),
      additionalActions: rec.AdditionalActionsAndResults ?? [],
      connector: text(rec.Connector),
    },
    files,
    networkMessageIds,
    deepLink: text(rec.EventDeepLink),
    links: buildLinks({ networkMessageIds, urls: [], sha256s: uniq(files.map((f) => f.sha256)) }),
  };
  return withSeverity(event, severityOf(verdict, d.action));
}
