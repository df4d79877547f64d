/**
 * Audit.SharePoint records: SharePoint (4), file operations (6, including
 * FileMalwareDetected) and sharing (14), for SharePoint and OneDrive.
 */
import type { GenContext } from './context.js';
import type { WireRecord } from './common.js';
import { commonRecord } from './common.js';
import { sharePointPath } from './defender-file.js';
import { CLEAN_FILES, MALICIOUS_FILES, MALWARE_FAMILIES, USER_AGENTS } from './pools.js';

export function sharePointRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const upn = ctx.upn();
  const page = `https://${ctx.org.spPrefix}.sharepoint.com/sites/${rng.pick(['Intranet', 'HR', 'Projects'])}/SitePages/Home.aspx`;
  const rec = commonRecord(ctx, atMs, {
    recordType: 4,
    operation: rng.pick([
      'PageViewed',
      'SearchQueryPerformed',
      'SiteCollectionAdminAdded',
      'SitePermissionsModified',
    ]),
    workload: 'SharePoint',
    userType: 0,
    userKey: ctx.puid(),
    userId: upn,
    objectId: page,
  });
  sharePointFields(ctx, rec, 'Page');
  return rec;
}

const FILE_OPS = [
  'FileAccessed',
  'FileDownloaded',
  'FileModified',
  'FileUploaded',
  'FileDeleted',
  'FileMalwareDetected',
];

/** Record 6, including FileMalwareDetected: the SharePoint AV engine's finding, not a record 47 (§9.1). */
export function sharePointFileRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const operation = rng.pick(FILE_OPS);
  const malware = operation === 'FileMalwareDetected';
  const oneDrive = rng.chance(0.35);
  const upn = ctx.upn();
  const [fileName] = rng.pick(malware ? MALICIOUS_FILES : CLEAN_FILES);
  const url = sharePointPath(ctx, oneDrive ? 1 : 0, upn, fileName);
  const rec = commonRecord(ctx, atMs, {
    recordType: 6,
    operation,
    workload: oneDrive ? 'OneDrive' : 'SharePoint',
    userType: malware ? 4 : 0,
    userKey: malware ? 'SHAREPOINT\\system' : ctx.puid(),
    userId: malware ? 'SHAREPOINT\\system' : upn,
    objectId: url,
  });
  sharePointFields(ctx, rec, 'File');
  rec.SourceFileName = fileName;
  rec.SourceFileExtension = fileName.slice(fileName.lastIndexOf('.') + 1);
  rec.SourceRelativeUrl = url.slice(url.indexOf('/', 8) + 1, url.lastIndexOf('/'));
  rec.ListId = rng.guid();
  rec.ListItemUniqueId = rng.guid();
  if (malware) rec.VirusInfo = rng.pick(MALWARE_FAMILIES);
  return rec;
}

const SHARING_OPS = [
  'SharingSet',
  'AnonymousLinkCreated',
  'SecureLinkCreated',
  'AddedToSecureLink',
  'SharingInvitationCreated',
];

export function sharingRecord(ctx: GenContext, atMs: number): WireRecord {
  const rng = ctx.rng;
  const upn = ctx.upn();
  const [fileName] = rng.pick(CLEAN_FILES);
  const url = sharePointPath(ctx, rng.int(2), upn, fileName);
  const rec = commonRecord(ctx, atMs, {
    recordType: 14,
    operation: rng.pick(SHARING_OPS),
    workload: 'SharePoint',
    userType: 0,
    userKey: ctx.puid(),
    userId: upn,
    objectId: url,
  });
  sharePointFields(ctx, rec, 'File');
  const partner = rng.pick(ctx.partners);
  const guest = rng.pick(partner.people);
  rec.TargetUserOrGroupName = `${guest.alias}@${partner.domain}`;
  rec.TargetUserOrGroupType = rng.pick(['Guest', 'Member', 'SharePointGroup']);
  rec.EventData = `<PermissionsGranted>${rng.pick(['Read', 'Contribute', 'Edit'])}</PermissionsGranted><Type>Edit</Type>`;
  return rec;
}

function sharePointFields(ctx: GenContext, rec: WireRecord, itemType: string): void {
  const rng = ctx.rng;
  rec.Site = rng.guid();
  rec.WebId = rng.guid();
  rec.ItemType = itemType;
  rec.EventSource = 'SharePoint';
  rec.SiteUrl = `https://${ctx.org.spPrefix}.sharepoint.com/sites/${rng.pick(['Intranet', 'HR', 'Projects'])}/`;
  rec.UserAgent = rng.pick(USER_AGENTS);
  rec.CorrelationId = rng.guid();
}
