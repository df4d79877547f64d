/**
 * Record type 47 (ThreatIntelligenceAtpContent, `AtpDetection`): Safe
 * Attachments for SharePoint, OneDrive and Teams found a file malicious. A
 * file found bad is locked by the service (users cannot open, copy or share
 * it), hence disposition `blocked`.
 */
import type { FileInfo, NormalizedEvent } from '../event.js';
import { buildLinks } from '../links.js';
import type { FileRecord } from '../records.js';
import { text, uniq } from '../wire.js';
import { emptyFile, isBadVerdict, userRef, withSeverity } from './common.js';

export function mapFile(base: NormalizedEvent, rec: FileRecord): NormalizedEvent {
  const fd = rec.FileData;
  const verdict = fd?.FileVerdict ?? null;
  const owner = text(rec.LastModifiedBy);
  const file: FileInfo = {
    ...emptyFile(),
    name: text(fd?.FileName),
    sha256: fd?.SHA256 ?? null,
    verdict,
    malwareFamily: text(fd?.MalwareFamily),
    path: text(fd?.FilePath),
    size: fd?.FileSize ?? null,
    documentId: text(fd?.DocumentId),
    sourceWorkload: rec.SourceWorkload ?? null,
    lastModifiedBy: owner,
    lastModifiedTime: rec.LastModifiedDate ?? null,
  };
  const bad = verdict?.id === 1;
  const method = text(rec.DetectionMethod);
  const event: NormalizedEvent = {
    ...base,
    kind: 'file',
    action: 'detected',
    outcome: 'unknown',
    disposition: bad ? 'blocked' : null,
    isAlert: isBadVerdict(verdict),
    threat: {
      verdict: bad ? 'Malware' : null,
      families: uniq([file.malwareFamily]),
      detectionTechnologies: uniq([method]),
      threats: bad ? [{ name: 'Malware', technologies: uniq([method]) }] : [],
      detectionType: null,
      detectionMethod: method,
      phishConfidenceLevel: null,
      policy: null,
      policyAction: null,
    },
    actors: { ...base.actors, user: userRef(owner) ?? base.actors.user },
    files: [file],
    deepLink: text(rec.EventDeepLink),
    links: buildLinks({ networkMessageIds: [], urls: [], sha256s: uniq([file.sha256]) }),
  };
  // Scan errors, timeouts and pending scans are worth a look, not an alarm.
  return withSeverity(event, bad ? 'high' : isBadVerdict(verdict) ? 'low' : 'informational');
}
