/**
 * Computing index fields (src/schema extractIndex: a full tolerant parse of
 * each record) costs more than fetching, splitting and storing the record
 * together. A pool of worker threads does it beside the main thread, so
 * that on a machine with more than one core the two overlap. When workers
 * cannot start (or die), indexing happens inline: slower, never wrong.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../store/thread/module-worker.js';
import type { IndexedFields } from '../store/types.js';

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

interface Pending {
  resolve: (indexes: IndexedFields[]) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy: number;
  alive: boolean;
  pending: Map<number, Pending>;
}

function startWorker(readyMs: number): Promise<PoolWorker> {
  return new Promise((resolve, reject) => {
    const worker = startModuleWorker('index-worker', import.meta.url);
    const entry: PoolWorker = { worker, busy: 0, alive: true, pending: new Map() };
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error('index worker did not start in time'));
    }, readyMs);
    const fail = (err: Error): void => {
      entry.alive = false;
      clearTimeout(timer);
      reject(err);
      for (const p of entry.pending.values()) p.reject(err);
      entry.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`index worker exited (${code})`)));
    worker.on('message', (m: { ready?: true; id?: number; indexes?: IndexedFields[]; error?: string }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(entry);
        return;
      }
      const p = m.id === undefined ? undefined : entry.pending.get(m.id);
      if (!p || m.id === undefined) return;
      entry.pending.delete(m.id);
      entry.busy -= 1;
      if (m.indexes) p.resolve(m.indexes);
      else p.reject(new Error(`indexing failed: ${m.error ?? 'unknown error'}`));
    });
  });
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
  let pool: PoolWorker[];
  try {
    pool = await Promise.all(Array.from({ length: count }, () => startWorker(options.readyMs ?? 15_000)));
  } catch (err) {
    options.onFallback?.(err instanceof Error ? err : new Error(String(err)));
    return inline;
  }
  let nextId = 0;
  return {
    index(records) {
      const live = pool.filter((w) => w.alive);
      if (live.length === 0 || records.length === 0) return inline.index(records);
      const w = live.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      return new Promise<IndexedFields[]>((resolve, reject) => {
        w.pending.set(id, { resolve, reject });
        w.busy += 1;
        w.worker.postMessage({ id, raws: records.map((r) => r.raw) });
      });
    },
    async close() {
      const workers = pool;
      pool = [];
      await Promise.all(
        workers.map(async (w) => {
          w.worker.removeAllListeners('exit');
          w.alive = false;
          await w.worker.terminate();
        }),
      );
    },
  };
}
