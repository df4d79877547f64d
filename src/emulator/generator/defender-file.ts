/**
 * Record 47, ThreatIntelligenceAtpContent / AtpDetection (§9.4): Safe
 * Attachments for SharePoint, OneDrive and Teams found a malicious file.
 * Unlike record 28, SHA256 is base64 here, and FileSize a decimal string.
 */
import type { GenContext } from './context.js';
import { wireTime } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { MALICIOUS_FILES, MALWARE_FAMILIES } from './pools.js';

const SITES = ['Finance', 'HR Team', 'Projects', 'Sales & Marketing', 'Legal (Confidential)', 'IT'];

export function fileRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const owner = ctx.person();
  const modifiedBy = ctx.upn(owner);
  const sourceWorkload = rng.int(3);
  const [fileName] = rng.pick(MALICIOUS_FILES);
  const filePath = sharePointPath(ctx, sourceWorkload, modifiedBy, fileName);
  const documentId = rng.guid();
  const fileVerdict = rng.chance(0.9) ? 1 : '1';

  const rec = commonRecord(ctx, atMs, {
    recordType: 47,
    operation: 'AtpDetection',
    workload: 'ThreatIntelligence',
    userType: 4,
    userKey: 'ThreatIntel',
    userId: modifiedBy,
    objectId: filePath,
    system: true,
  });
  rec.FileData = {
    DocumentId: documentId,
    FileName: fileName,
    FilePath: filePath,
    FileVerdict: fileVerdict,
    MalwareFamily: rng.pick(MALWARE_FAMILIES),
    SHA256: rng.base64(32),
    FileSize: String(rng.between(900, 25_000_000)),
  };
  rec.SourceWorkload = sourceWorkload;
  rec.DetectionMethod = rng.chance(0.7)
    ? 'AntiMalware'
    : rng.pick(['File detonation', 'File detonation reputation']);
  rec.LastModifiedDate = wireTime(atMs - rng.int(72 * 3600) * 1000);
  rec.LastModifiedBy = modifiedBy;
  rec.EventDeepLink = `https://security.microsoft.com/?hash=/threatexplorer?dltarget=Explorer&dlstorage=Url&viewid=MalwareContent&query-Id=${documentId}`;
  rec.DetectionDate = wireTime(atMs - rng.int(300) * 1000);
  return rec;
}

/** Where the file lives: a team site (0), a OneDrive (1) or a Teams channel folder (2). Spaces left unencoded, as observed. */
export function sharePointPath(
  ctx: GenContext,
  sourceWorkload: number,
  upn: string,
  fileName: string,
): string {
  const prefix = ctx.org.spPrefix;
  const site = ctx.rng.pick(SITES);
  if (sourceWorkload === 1)
    return `https://${prefix}-my.sharepoint.com/personal/${upn.replace(/[@.]/g, '_')}/Documents/${fileName}`;
  if (sourceWorkload === 2)
    return `https://${prefix}.sharepoint.com/sites/${site}/Shared Documents/General/${fileName}`;
  return `https://${prefix}.sharepoint.com/sites/${site}/Shared Documents/${fileName}`;
}
