/**
 * Cutting a batch into Logs Ingestion requests, and folding the answers of
 * those requests back into one SendResult. Pure: no I/O.
 */
import type { EventResult, SendResult, SinkEvent } from '../types.js';

/**
 * Most bytes of uncompressed JSON per request. The service refuses a wire
 * body over 1,048,576 bytes (413) and documents 1 MB "compressed and
 * uncompressed"; the Azure SDKs cut at 1,000,000 uncompressed, and so do we
 * (brackets and commas counted), so a request fits whether gzip is on or off.
 */
export const MAX_REQUEST_BYTES = 1_000_000;

export interface RequestPlan {
  /** Batch indices per request, in batch order; each request's JSON array is at most `maxBytes`. */
  requests: number[][];
  /** Events that cannot be sent at all, with the reason (too large alone, not a JSON object). */
  refused: { index: number; reason: string }[];
}

/**
 * Groups the rows of a batch into requests of at most `maxBytes` of JSON array.
 * @example planRequests(batch).requests // [[0, 1, 2], [3]]
 */
export function planRequests(batch: readonly SinkEvent[], maxBytes = MAX_REQUEST_BYTES): RequestPlan {
  const requests: number[][] = [];
  const refused: RequestPlan['refused'] = [];
  let current: number[] = [];
  let size = 2; // "[" and "]"
  for (const [index, event] of batch.entries()) {
    const payload = event.payload;
    if (event.format !== 'sentinel' || !payload.startsWith('{') || !payload.endsWith('}')) {
      refused.push({
        index,
        reason: `the event is not a JSON object in the sentinel format (format ${event.format}); the sink sends sentinel rows only`,
      });
      continue;
    }
    const bytes = Buffer.byteLength(payload);
    if (bytes + 2 > maxBytes) {
      refused.push({
        index,
        reason: `the row is ${bytes} bytes of JSON, over the ${maxBytes}-byte Logs Ingestion request limit; it cannot be sent`,
      });
      continue;
    }
    const added = current.length === 0 ? bytes : bytes + 1;
    if (size + added > maxBytes) {
      requests.push(current);
      current = [];
      size = 2;
    }
    size += current.length === 0 ? bytes : bytes + 1;
    current.push(index);
  }
  if (current.length > 0) requests.push(current);
  return { requests, refused };
}

/** The JSON array body of one request. */
export function requestBody(batch: readonly SinkEvent[], indices: readonly number[]): string {
  return `[${indices.map((i) => batch[i]!.payload).join(',')}]`;
}

/** Why sending stopped before every request was answered; the unsent rest is to be sent again. */
export interface Stop {
  reason: string;
  retryAfterMs?: number;
  blocked?: boolean;
}

/**
 * Folds per-event results into the batch's answer: `delivered` when all were,
 * `retryable` when none was delivered or refused (blocked and Retry-After kept),
 * otherwise `partial`.
 * @example combineResults(results, stop)
 */
export function combineResults(results: readonly EventResult[], stop: Stop | undefined): SendResult {
  if (results.every((r) => r.status === 'delivered')) return { outcome: 'delivered' };
  if (stop !== undefined && results.every((r) => r.status === 'retry')) {
    const out: SendResult = { outcome: 'retryable', reason: stop.reason };
    if (stop.retryAfterMs !== undefined) out.retryAfterMs = stop.retryAfterMs;
    if (stop.blocked) out.blocked = true;
    return out;
  }
  return stop?.retryAfterMs === undefined
    ? { outcome: 'partial', results: [...results] }
    : { outcome: 'partial', results: [...results], retryAfterMs: stop.retryAfterMs };
}

/** Halves of a request's rows (for a 413 or a data error that must be narrowed down). */
export function halves(indices: readonly number[]): [number[], number[]] {
  const mid = Math.ceil(indices.length / 2);
  return [indices.slice(0, mid), indices.slice(mid)];
}
