/**
 * Computing index fields (src/schema extractIndex: a full tolerant parse of
 * each record) costs more than fetching, splitting and storing the record
 * together. A pool of worker threads does it beside the main thread, so
 * that on a machine with more than one core the two overlap. When workers
 * cannot start (or die), indexing happens inline: slower, never wrong.
 */
import { availableParallelism } from 'node:os';
import type { IndexedFields } from '../store/types.js';
import { startWorkerPool, type WorkerPool } from './worker-pool.js';

export type ExtractIndex = (record: unknown) => IndexedFields;

/** One record as the splitter gives it: its text and its parsed value. */
export interface IndexInput {
  raw: string;
  value: unknown;
}

export interface RecordIndexer {
  /** Index fields of each record, in the same order. */
  index(records: IndexInput[]): Promise<IndexedFields[]>;
  close(): Promise<void>;
}

/**
 * Indexes in the calling thread.
 * @example const indexer = inlineIndexer(extractIndex);
 */
export function inlineIndexer(extract: ExtractIndex): RecordIndexer {
  return {
    index: async (records) => records.map((r) => extract(r.value)),
    close: async () => undefined,
  };
}

/**
 * Starts `workers` index worker threads (default: cores − 1, at least 1);
 * falls back to inline indexing when they cannot start.
 * @example const indexer = await startIndexPool({ fallback: extractIndex }); … await indexer.close();
 */
export async function startIndexPool(options: {
  fallback: ExtractIndex;
  workers?: number;
  readyMs?: number;
  onFallback?: (err: Error) => void;
}): Promise<RecordIndexer> {
  const inline = inlineIndexer(options.fallback);
  const count = Math.max(1, options.workers ?? availableParallelism() - 1);
  let pool: WorkerPool<string[], IndexedFields[]>;
  try {
    pool = await startWorkerPool({
      module: 'index-worker',
      from: import.meta.url,
      workers: count,
      readyMs: options.readyMs ?? 15_000,
      what: 'indexing',
    });
  } catch (err) {
    options.onFallback?.(err instanceof Error ? err : new Error(String(err)));
    return inline;
  }
  return {
    index(records) {
      if (records.length === 0) return inline.index(records);
      return (
        pool.run(
          records.map((r) => r.raw),
          records.length,
        ) ?? inline.index(records)
      );
    },
    close: () => pool.close(),
  };
}
