/**
 * The MITRE ATT&CK technique an alert shows. Deliberately coarse: Defender
 * records say what reached (or nearly reached) a user, not how the attacker
 * operates, so only Phishing (T1566 and its attachment/link sub-techniques)
 * and User Execution: Malicious Link (T1204.001, a click through a warning)
 * are claimed. Files found in SharePoint/OneDrive/Teams get none.
 */
import type { AttackRef, NormalizedEvent } from '../event.js';

const INITIAL_ACCESS = { id: 'TA0001', name: 'Initial Access' };
const EXECUTION = { id: 'TA0002', name: 'Execution' };

export const ATTACK_TECHNIQUES = {
  phishing: { technique: { id: 'T1566', name: 'Phishing' }, tactic: INITIAL_ACCESS },
  attachment: { technique: { id: 'T1566.001', name: 'Spearphishing Attachment' }, tactic: INITIAL_ACCESS },
  link: { technique: { id: 'T1566.002', name: 'Spearphishing Link' }, tactic: INITIAL_ACCESS },
  maliciousLink: {
    technique: { id: 'T1204.001', name: 'User Execution: Malicious Link' },
    tactic: EXECUTION,
  },
} as const satisfies Record<string, AttackRef>;

export function attackOf(e: NormalizedEvent): AttackRef | null {
  if (!e.isAlert) return null;
  // AIR file entities carry no verdict: a file named by an investigation is the threat.
  const badFile =
    e.files.some((f) => f.verdict?.id === 1 || f.malwareFamily !== null) ||
    (e.kind === 'investigation' && e.files.length > 0);
  switch (e.kind) {
    case 'email':
    case 'investigation':
      // Record 28 names no URLs, but its detection technologies say when a URL was the lure.
      return badFile
        ? ATTACK_TECHNIQUES.attachment
        : e.urls.length > 0 || e.threat?.detectionTechnologies.some((t) => /\burl\b/i.test(t))
          ? ATTACK_TECHNIQUES.link
          : ATTACK_TECHNIQUES.phishing;
    case 'url-click':
      return e.action === 'clicked-through-warning'
        ? ATTACK_TECHNIQUES.maliciousLink
        : ATTACK_TECHNIQUES.link;
    case 'file':
    case 'audit':
      return null;
  }
}
