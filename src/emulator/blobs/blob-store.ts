/**
 * Published content blobs per tenant and content type, in the order they
 * became available (which is the order `/subscriptions/content` lists them,
 * spec §5.3), plus an index by content id. Record bodies are kept as
 * serialised JSON so a 200 MB replay blob costs its bytes, not a heap of
 * objects, and are released when the blob expires.
 */
import type { ContentType } from '../content-types.js';

export interface BlobRecordMeta {
  id: string | null;
  recordType: number | null;
}

export interface Blob {
  /** Publication order across the emulator: the pagination cursor. */
  seq: number;
  tenantId: string;
  contentType: ContentType;
  contentId: string;
  /** Emulated epoch ms; listing filters on it. */
  contentCreated: number;
  /** When it became listable (≥ contentCreated for back-filled blobs). */
  visibleAt: number;
  /** After this, fetching answers AF20051. Normally contentCreated + 7 days. */
  expiresAt: number;
  /** Expires on purpose right after publication (ground truth says so). */
  expiresEarly: boolean;
  /** Serialised records; null once expired and released. */
  records: Buffer[] | null;
  meta: BlobRecordMeta[];
  fetched: boolean;
  /** Hidden because its subscription was stopped and restarted (the gap is lost). */
  withdrawn: boolean;
}

export class BlobStore {
  private readonly lists = new Map<string, Blob[]>();
  private readonly byId = new Map<string, Blob>();

  add(blob: Blob): void {
    const key = listKey(blob.tenantId, blob.contentType);
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = []));
    list.push(blob);
    this.byId.set(blob.contentId, blob);
  }

  /** Blobs of one tenant and content type in availability order. */
  list(tenantId: string, contentType: ContentType): readonly Blob[] {
    return this.lists.get(listKey(tenantId, contentType)) ?? [];
  }

  get(contentId: string): Blob | undefined {
    return this.byId.get(contentId);
  }

  all(): IterableIterator<Blob> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }
}

function listKey(tenantId: string, contentType: ContentType): string {
  return `${tenantId.toLowerCase()}|${contentType}`;
}

/** Byte length of the JSON array a blob is served as. */
export function blobBodyLength(records: readonly Buffer[]): number {
  let n = 2 + Math.max(0, records.length - 1);
  for (const r of records) n += r.length;
  return n;
}
