/**
 * In-memory doubles for the source's unit tests: a store keeping the ledger
 * and records in maps, a scripted API client and a manual clock.
 */
import type {
  BlobRef,
  BlobState,
  CommitResult,
  ContentTypeStatus,
  PendingBlob,
  RecordInput,
  RetentionResult,
  Store,
} from '../../store/types.js';
import type { BlobRecord, Clock, ContentItem, SourceApiClient } from './types.js';

interface LedgerRow extends PendingBlob {
  state: BlobState;
  nextAttemptAt: string;
  dropReason: string | null;
}

export class MemoryStore implements Store {
  readonly ledger = new Map<string, LedgerRow>();
  readonly records = new Map<string, RecordInput>();
  readonly cursors = new Map<string, string>();
  readonly errors = new Map<string, string | null>();
  storeCalls = 0;

  async migrate(): Promise<void> {}
  async getCursor(tenantId: string, contentType: string): Promise<string | null> {
    return this.cursors.get(`${tenantId}/${contentType}`) ?? null;
  }
  async recordListing(
    tenantId: string,
    contentType: string,
    blobs: BlobRef[],
    windowEnd: string,
  ): Promise<number> {
    const n = await this.addBlobs(blobs);
    this.cursors.set(`${tenantId}/${contentType}`, windowEnd);
    return n;
  }
  async addBlobs(blobs: BlobRef[]): Promise<number> {
    let n = 0;
    for (const b of blobs) {
      if (this.ledger.has(b.contentId)) continue;
      this.ledger.set(b.contentId, {
        ...b,
        attempts: 0,
        lastError: null,
        state: 'pending',
        nextAttemptAt: '',
        dropReason: null,
      });
      n++;
    }
    return n;
  }
  async pendingBlobs(
    tenantId: string,
    contentType: string,
    now: string,
    limit: number,
  ): Promise<PendingBlob[]> {
    return [...this.ledger.values()]
      .filter(
        (r) =>
          r.tenantId === tenantId &&
          r.contentType === contentType &&
          r.state === 'pending' &&
          r.nextAttemptAt <= now,
      )
      .sort((a, b) => a.contentCreated.localeCompare(b.contentCreated))
      .slice(0, limit)
      .map(
        ({
          tenantId,
          contentType,
          contentId,
          contentUri,
          contentCreated,
          contentExpiration,
          attempts,
          lastError,
        }) => ({
          tenantId,
          contentType,
          contentId,
          contentUri,
          contentCreated,
          contentExpiration,
          attempts,
          lastError,
        }),
      );
  }
  async storeRecords(blob: BlobRef, records: RecordInput[]): Promise<CommitResult> {
    this.storeCalls++;
    const r: CommitResult = { inserted: 0, duplicates: 0, invalid: 0 };
    for (const rec of records) {
      const key = `${blob.tenantId}/${rec.id}`;
      if (this.records.has(key)) r.duplicates++;
      else {
        this.records.set(key, rec);
        r.inserted++;
        if (rec.index.invalidReason) r.invalid++;
      }
    }
    return r;
  }
  async commitBlob(blob: BlobRef, records: RecordInput[]): Promise<CommitResult> {
    const r = await this.storeRecords(blob, records);
    this.row(blob).state = 'delivered';
    return r;
  }
  async retryBlob(blob: BlobRef, error: string, nextAttemptAt: string): Promise<void> {
    const row = this.row(blob);
    row.attempts++;
    row.lastError = error;
    row.nextAttemptAt = nextAttemptAt;
  }
  async dropBlob(blob: BlobRef, reason: string, detail: string): Promise<void> {
    const row = this.row(blob);
    row.state = 'dropped';
    row.dropReason = reason;
    row.lastError = detail;
  }
  async blobState(contentId: string): Promise<BlobState | null> {
    return this.ledger.get(contentId)?.state ?? null;
  }
  async setLastError(tenantId: string, contentType: string, error: string | null): Promise<void> {
    this.errors.set(`${tenantId}/${contentType}`, error);
  }
  async status(): Promise<ContentTypeStatus[]> {
    return [];
  }
  async queryEvents(): Promise<never> {
    throw new Error('not in the fake');
  }
  async related(): Promise<never> {
    throw new Error('not in the fake');
  }
  async readFrom(): Promise<never> {
    throw new Error('not in the fake');
  }
  async getSinkOffset(): Promise<number> {
    return 0;
  }
  async setSinkOffset(): Promise<void> {}
  async enforceRetention(): Promise<RetentionResult> {
    return { records: 0, ids: 0, heldForSinks: 0, droppedForSinks: {} };
  }
  // Delivery is not the collector's business: the sink tests use the SQLite store on a temporary file.
  async lastOffset(): Promise<never> {
    throw new Error('not in the fake');
  }
  async offsetBefore(): Promise<never> {
    throw new Error('not in the fake');
  }
  async initSinkOffset(): Promise<never> {
    throw new Error('not in the fake');
  }
  async commitSinkProgress(): Promise<never> {
    throw new Error('not in the fake');
  }
  async setSinkState(): Promise<never> {
    throw new Error('not in the fake');
  }
  async sinkStatus(): Promise<never> {
    throw new Error('not in the fake');
  }
  async deadLetters(): Promise<never> {
    throw new Error('not in the fake');
  }
  async resolveDeadLetters(): Promise<never> {
    throw new Error('not in the fake');
  }
  async close(): Promise<void> {}

  private row(blob: BlobRef): LedgerRow {
    const row = this.ledger.get(blob.contentId);
    if (!row) throw new Error(`blob ${blob.contentId} not in the ledger`);
    return row;
  }
}

/** A clock that only moves when told to; sleeping advances it instantly. */
export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.t += Math.max(0, ms);
    await new Promise((r) => setImmediate(r));
  }
}

export type BlobScript = BlobRecord[] | Error | ((attempt: number) => BlobRecord[] | Error);

/** An API client answering from tables: listing items by contentCreated, blobs by URI. */
export class ScriptedClient implements SourceApiClient {
  readonly tenantId: string;
  items: ContentItem[] = [];
  blobs = new Map<string, BlobScript>();
  skewMs = 0;
  listError: Error | null = null;
  fetches = new Map<string, number>();
  listCalls: Array<{ contentType: string; start: Date; end: Date }> = [];
  subscriptionCalls: string[][] = [];
  /** Items per page, to exercise pagination. */
  pageSize = 2;

  constructor(tenantId: string) {
    this.tenantId = tenantId;
  }
  async ensureSubscriptions(contentTypes: string[]): Promise<void> {
    this.subscriptionCalls.push(contentTypes);
  }
  async *listContent(contentType: string, start: Date, end: Date): AsyncGenerator<ContentItem[]> {
    this.listCalls.push({ contentType, start, end });
    const match = this.items.filter(
      (i) =>
        i.contentType === contentType &&
        Date.parse(i.contentCreated) >= start.getTime() &&
        Date.parse(i.contentCreated) < end.getTime(),
    );
    for (let i = 0; i < match.length || i === 0; i += this.pageSize) {
      if (this.listError) throw this.listError;
      yield match.slice(i, i + this.pageSize);
      if (match.length === 0) break;
    }
  }
  async *fetchBlob(contentUri: string): AsyncGenerator<BlobRecord> {
    const attempt = (this.fetches.get(contentUri) ?? 0) + 1;
    this.fetches.set(contentUri, attempt);
    const script = this.blobs.get(contentUri);
    const answer = typeof script === 'function' ? script(attempt) : script;
    if (!answer) throw Object.assign(new Error('no such blob'), { code: 'BLOB_NOT_FOUND', retryable: false });
    if (answer instanceof Error) throw answer;
    for (const r of answer) yield r;
  }
  clockSkewMs(): number {
    return this.skewMs;
  }
  async close(): Promise<void> {}
}

/** Records of a blob, as the client yields them. */
export function records(ids: string[]): BlobRecord[] {
  return ids.map((Id) => {
    const value = { Id, RecordType: 28, CreationTime: '2026-11-20T10:00:00' };
    return { raw: JSON.stringify(value), value };
  });
}

export function apiError(code: string, retryable: boolean, afCode?: string): Error {
  return Object.assign(new Error(`${code} from the fake`), { code, retryable, afCode });
}
