/**
 * The content item of spec §5.1, shared by listings, notifications and
 * webhook pushes: `contentUri` = root + `/audit/` + contentId, expiration
 * 7 days after creation.
 */
import type { Blob } from '../blobs/blob-store.js';
import { isoMs } from '../clock.js';

export function contentItem(baseUrl: string, blob: Blob): Record<string, string> {
  return {
    contentType: blob.contentType,
    contentId: blob.contentId,
    contentUri: `${baseUrl}/api/v1.0/${blob.tenantId}/activity/feed/audit/${blob.contentId}`,
    contentCreated: isoMs(blob.contentCreated),
    contentExpiration: isoMs(blob.contentCreated + 7 * 86_400_000),
  };
}
