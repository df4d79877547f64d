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

const WRITE_CHUNK = 256 * 1024;
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
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
  // Records are gathered into ~256 KB writes: one write per record is far slower on big blobs.
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<boolean> => {
    if (pendingBytes === 0) return !res.destroyed;
    let chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const room = limit - written;
    if (chunk.length > room) chunk = chunk.subarray(0, room);
    written += chunk.length;
    if (chunk.length > 0 && !res.write(chunk)) await drained(res);
    return !res.destroyed && written < limit;
  };
  const add = async (part: Buffer): Promise<boolean> => {
    pending.push(part);
    pendingBytes += part.length;
    return pendingBytes < WRITE_CHUNK || (await flush());
  };
  let open = await add(OPEN);
  for (let i = 0; open && i < records.length; i++) {
    open = (i === 0 || (await add(COMMA))) && (await add(records[i]!));
  }
  if (open) await add(CLOSE);
  await flush();
  res.end();
  if (fault === undefined && written === total) blob.fetched = true;
}
