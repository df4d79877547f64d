/**
 * `--ground-truth FILE`: NDJSON appended as content becomes visible, so an
 * end-to-end test can compare what a collector stored with what was published.
 *
 * Line kinds (field `kind`):
 * - `record`: one per record published (duplicates appear once per blob that
 *   carries them): Id, RecordType, contentType, contentId, contentCreated,
 *   tenantId, and `expiresBeforeFetch: true` when the blob was published
 *   already expiring (on purpose, or a backlog blob within the expiry margin).
 * - `blob-expired-unfetched`: a blob reached its expiry before any client
 *   fetched it in full; its records are no longer obtainable.
 * - `blob-withdrawn`: a blob became unreachable because its subscription was
 *   stopped and started again (the gap is lost, spec §3.3).
 */
import { createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Blob } from './blobs/blob-store.js';
import { isoMs } from './clock.js';

export interface GroundTruth {
  published(blob: Blob, expiresBeforeFetch: boolean): void;
  expiredUnfetched(blob: Blob): void;
  withdrawn(blob: Blob): void;
  close(): Promise<void>;
}

export function openGroundTruth(path: string | undefined): GroundTruth {
  if (!path) {
    return { published() {}, expiredUnfetched() {}, withdrawn() {}, close: async () => {} };
  }
  // Opened synchronously so a bad path fails the start with a clear error.
  mkdirSync(dirname(path), { recursive: true });
  const out: WriteStream = createWriteStream('', { fd: openSync(path, 'a') });
  const blobFields = (b: Blob): Record<string, unknown> => ({
    contentType: b.contentType,
    contentId: b.contentId,
    contentCreated: isoMs(b.contentCreated),
    tenantId: b.tenantId,
  });
  return {
    published(blob, expiresBeforeFetch) {
      const common = blobFields(blob);
      let text = '';
      for (const m of blob.meta) {
        const line: Record<string, unknown> = {
          kind: 'record',
          Id: m.id,
          RecordType: m.recordType,
          ...common,
        };
        if (expiresBeforeFetch) line.expiresBeforeFetch = true;
        text += `${JSON.stringify(line)}\n`;
      }
      if (text) out.write(text);
    },
    expiredUnfetched(blob) {
      out.write(
        `${JSON.stringify({ kind: 'blob-expired-unfetched', records: blob.meta.length, ...blobFields(blob) })}\n`,
      );
    },
    withdrawn(blob) {
      out.write(
        `${JSON.stringify({ kind: 'blob-withdrawn', records: blob.meta.length, ...blobFields(blob) })}\n`,
      );
    },
    async close() {
      out.end();
      await once(out, 'close');
    },
  };
}
