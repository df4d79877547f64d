/**
 * The blob state machine: one attempt at one listed blob ends in exactly one
 * of delivered, will retry (with the time of the next attempt) or dropped
 * with a reason. Nothing is skipped silently.
 */
import { createHash } from 'node:crypto';
import type { BlobRef, CommitResult, PendingBlob, RecordInput, Store } from '../../store/types.js';
import { inlineIndexer, type RecordIndexer } from '../../pipeline/index-pool.js';
import {
  errorFacts,
  isSubscriptionLost,
  type BlobRecord,
  type Clock,
  type ExtractIndex,
  type SourceApiClient,
} from './types.js';

/** Records per store transaction while a blob streams in: bounds memory for blobs of any size. */
export const CHUNK_RECORDS = 1000;
/** A blob that keeps arriving malformed is dropped after this many attempts. */
export const MAX_MALFORMED_ATTEMPTS = 3;

export type DropReason = 'expired' | 'gone' | 'invalid-id' | 'malformed';

export type BlobOutcome =
  | { kind: 'delivered'; result: CommitResult }
  | { kind: 'retry'; error: string; nextAttemptAt: string; result: CommitResult }
  | { kind: 'dropped'; reason: DropReason; detail: string; result: CommitResult }
  /** Stopped on request before the end: the blob stays pending as it was (chunks stored so far dedupe on the next attempt). */
  | { kind: 'abandoned'; result: CommitResult };

export interface BlobWorkerDeps {
  store: Store;
  client: SourceApiClient;
  extractIndex: ExtractIndex;
  /** Computes index fields off the main thread; inline with extractIndex when absent. */
  indexer?: RecordIndexer;
  clock: Clock;
  /** Checked between records; true → abandon the attempt. */
  stopping?: () => boolean;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxMalformedAttempts?: number;
  chunkRecords?: number;
  /** Called when a fetch fails for a subscription reason (AF20022/AF20023), so the caller repairs it. */
  onSubscriptionLost?: (contentType: string) => void;
}

/**
 * Delay before attempt `attempts + 1`: exponential with jitter, honouring the
 * server's Retry-After when it sent one.
 * @example retryDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0.5 }) // 8000
 */
export function retryDelayMs(
  attempts: number,
  options: { baseMs: number; maxMs: number; retryAfterMs?: number | null; random?: () => number },
): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempts, 30));
  const jittered = exp * (0.5 + random());
  return Math.min(options.maxMs, Math.max(jittered, options.retryAfterMs ?? 0));
}

/** The dedupe key of a record: its `Id`; records without one get a content hash so a re-send still dedupes. */
export function recordId(value: unknown, raw: string): string {
  if (typeof value === 'object' && value !== null) {
    const id = (value as Record<string, unknown>).Id;
    if (typeof id === 'string' && id.length > 0) return id;
  }
  return 'sha256:' + createHash('sha256').update(raw).digest('hex');
}

function addResult(into: CommitResult, r: CommitResult): void {
  into.inserted += r.inserted;
  into.duplicates += r.duplicates;
  into.invalid += r.invalid;
}

/** Maps an error code from src/api to a drop reason, or null when the blob may still succeed. */
function dropReasonFor(code: string, afCode: string | null): DropReason | null {
  if (code === 'BLOB_EXPIRED' || afCode === 'AF20051') return 'expired';
  if (code === 'BLOB_NOT_FOUND' || afCode === 'AF20050') return 'gone';
  if (code === 'BLOB_INVALID_ID' || afCode === 'AF20052') return 'invalid-id';
  return null;
}

/**
 * Makes one attempt at a pending blob and records its outcome in the store.
 * @example const outcome = await processBlob(blob, { store, client, extractIndex, clock: systemClock });
 */
export async function processBlob(blob: PendingBlob, deps: BlobWorkerDeps): Promise<BlobOutcome> {
  const { store, client, clock } = deps;
  const result: CommitResult = { inserted: 0, duplicates: 0, invalid: 0 };
  const ref: BlobRef = {
    tenantId: blob.tenantId,
    contentType: blob.contentType,
    contentId: blob.contentId,
    contentUri: blob.contentUri,
    contentCreated: blob.contentCreated,
    contentExpiration: blob.contentExpiration,
  };
  // The API refuses expired content (AF20051); asking costs a request from the budget for nothing.
  // Expiration is judged on the server's clock.
  const serverNow = clock.now() + client.clockSkewMs();
  const expiration = Date.parse(blob.contentExpiration);
  if (Number.isFinite(expiration) && expiration <= serverNow) {
    const detail = `expired at ${blob.contentExpiration} before it could be fetched`;
    await store.dropBlob(ref, 'expired', detail);
    return { kind: 'dropped', reason: 'expired', detail, result };
  }

  const chunkSize = deps.chunkRecords ?? CHUNK_RECORDS;
  const indexer = deps.indexer ?? inlineIndexer(deps.extractIndex);
  // Chunks are stored strictly in order, one after the other; while chunk k is indexed (a worker
  // thread, see src/pipeline/index-pool.ts) and stored, chunk k+1 is read. At most two chunks are in
  // memory at once.
  let stored: Promise<void> = Promise.resolve();
  const flush = (records: BlobRecord[], last: boolean): Promise<void> => {
    // The inputs are made as soon as the index is, so the parsed values (the bulk of a chunk's memory) are
    // garbage before the chunk waits its turn in the store: held across that wait, they outlived the young
    // generation and made the collector's garbage collection several times dearer.
    const inputs = indexer.index(records).then((indexes) =>
      records.map((r, i): RecordInput => ({
        id: recordId(r.value, r.raw),
        raw: r.raw,
        index: indexes[i] as RecordInput['index'],
      })),
    );
    inputs.catch(() => undefined); // surfaces through `stored` below
    stored = stored.then(async () => {
      const ready = await inputs;
      addResult(result, await (last ? store.commitBlob(ref, ready) : store.storeRecords(ref, ready)));
    });
    return stored;
  };
  let chunk: BlobRecord[] = [];
  try {
    for await (const record of client.fetchBlob(blob.contentUri)) {
      chunk.push(record);
      if (chunk.length >= chunkSize) {
        const before = stored;
        void flush(chunk, false).catch(() => undefined);
        chunk = [];
        await before;
        if (deps.stopping?.()) {
          await stored;
          return { kind: 'abandoned', result };
        }
      }
    }
    await flush(chunk, true);
    return { kind: 'delivered', result };
  } catch (err) {
    // Let chunks already handed over finish (or fail) before recording the outcome.
    await stored.catch(() => undefined);
    const facts = errorFacts(err);
    const reason = dropReasonFor(facts.code, facts.afCode);
    if (reason) {
      const detail = `${facts.code}${facts.afCode ? ` ${facts.afCode}` : ''}: ${facts.message}`;
      await store.dropBlob(ref, reason, detail);
      return { kind: 'dropped', reason, detail, result };
    }
    const attempts = blob.attempts + 1;
    const malformed = facts.code === 'BLOB_MALFORMED';
    if (malformed && attempts >= (deps.maxMalformedAttempts ?? MAX_MALFORMED_ATTEMPTS)) {
      const detail = `malformed after ${attempts} attempts: ${facts.message}`;
      await store.dropBlob(ref, 'malformed', detail);
      return { kind: 'dropped', reason: 'malformed', detail, result };
    }
    if (isSubscriptionLost(facts)) deps.onSubscriptionLost?.(blob.contentType);
    // Everything else (throttling, 5xx, resets, auth trouble) is not the blob's fault: try again later.
    const delay = retryDelayMs(attempts - 1, {
      baseMs: deps.retryBaseMs ?? 1_000,
      maxMs: deps.retryMaxMs ?? 10 * 60_000,
      retryAfterMs: facts.retryAfterMs,
    });
    const nextAttemptAt = new Date(clock.now() + delay).toISOString();
    const error = `${facts.code}${facts.afCode ? ` ${facts.afCode}` : ''}: ${facts.message}`;
    await store.retryBlob(ref, error, nextAttemptAt);
    return { kind: 'retry', error, nextAttemptAt, result };
  }
}
