/**
 * `GET /audit/{contentId}` (spec §3.8): the blob as a JSON array, streamed
 * record by record; AF20052 malformed id, AF20050 unknown (or another
 * tenant's, or lost to a restart), AF20051 expired. Faults may cut the body
 * short or garble it; the next try gets the whole blob.
 */
import type { ServerResponse } from 'node:http';
import type { ApiCall, ServerContext } from '../context.js';
import { AfError } from '../errors.js';
import { JSON_TYPE } from '../http.js';
import { requireSubscription } from '../feed/subscription-handlers.js';
import { requireDlpRole } from '../feed/permissions.js';
import { blobBodyLength, type Blob } from './blob-store.js';
import { isWellFormedContentId } from './content-id.js';

export function findBlob(ctx: ServerContext, call: ApiCall, rawId: string): Blob {
  let contentId: string;
  try {
    contentId = decodeURIComponent(rawId);
  } catch {
    throw new AfError('AF20052', [rawId]);
  }
  if (!isWellFormedContentId(contentId)) throw new AfError('AF20052', [contentId]);
  const blob = ctx.store.get(contentId);
  if (!blob || blob.tenantId.toLowerCase() !== call.tenantId.toLowerCase())
    throw new AfError('AF20050', [contentId]);
  requireDlpRole(call, blob.contentType);
  const sub = requireSubscription(ctx, call, blob.contentType);
  if (blob.withdrawn || blob.contentCreated < sub.visibleFrom) throw new AfError('AF20050', [contentId]);
  if (!blob.records || blob.expiresAt <= ctx.clock.now()) throw new AfError('AF20051', [contentId]);
  return blob;
}

export async function serveBlob(
  blob: Blob,
  res: ServerResponse,
  fault: 'truncated' | 'malformed' | undefined,
): Promise<void> {
  const records = blob.records ?? [];
  if (fault === 'malformed') {
    const text = '[{"CreationTime":"2026-01-01T00:00:00","Id":<html>Service Unavailable</html>';
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const total = blobBodyLength(records);
  // Truncated: a consistent Content-Length for the shortened body, so only a JSON parser notices.
  const limit = fault === 'truncated' ? Math.max(1, Math.floor(total / 2)) : total;
  res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': limit });
  let written = 0;
  const write = async (chunk: Buffer): Promise<boolean> => {
    const room = limit - written;
    if (room <= 0) return false;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    written += part.length;
    if (!res.write(part)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    return !res.destroyed;
  };
  const open = Buffer.from('[');
  const comma = Buffer.from(',');
  if (!(await write(open))) return void res.end();
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && !(await write(comma))) break;
    if (!(await write(records[i]!))) break;
  }
  await write(Buffer.from(']'));
  res.end();
  if (fault === undefined && written === total) blob.fetched = true;
}
