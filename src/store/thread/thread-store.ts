/**
 * The store in a worker thread of its own. SQLite's work (B-trees, WAL writes, checkpoints) is as large as
 * fetching, splitting and indexing records together; run beside them on another core, the two overlap
 * instead of adding up. Every call keeps the Store contract: its promise settles when the transaction has
 * committed (or failed) in the worker, so "cursor and records in one transaction" and "a crash only repeats
 * work" hold unchanged; kill -9 takes the thread with the process.
 */
import type { OpenStoreOptions } from '../index.js';
import type { Store } from '../types.js';
import { startModuleWorker } from './module-worker.js';
import { deserializeError, type StoreCall, type StoreMethod, type StoreReply } from './protocol.js';

/** What crosses to the thread: everything but the clock (a function cannot). */
export type ThreadStoreOptions = Omit<OpenStoreOptions, 'clock' | 'readonly'>;

/** Every Store method but close, forwarded as is (a Record, so that a method added to Store must be listed). */
const FORWARDED: Record<Exclude<StoreMethod, 'close'>, true> = {
  migrate: true,
  getCursor: true,
  recordListing: true,
  addBlobs: true,
  pendingBlobs: true,
  storeRecords: true,
  commitBlob: true,
  retryBlob: true,
  dropBlob: true,
  blobState: true,
  setLastError: true,
  status: true,
  queryEvents: true,
  related: true,
  readFrom: true,
  getSinkOffset: true,
  setSinkOffset: true,
  lastOffset: true,
  offsetBefore: true,
  initSinkOffset: true,
  commitSinkProgress: true,
  setSinkState: true,
  sinkStatus: true,
  deadLetters: true,
  resolveDeadLetters: true,
  enforceRetention: true,
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * Opens the store of `options.dataDir` (migrated, as openStore does) in a worker thread.
 * Rejects with the store's own error (StoreVersionError…) when it cannot be opened.
 * @example const store = await openThreadStore({ dataDir: './data' }); … await store.close();
 */
export async function openThreadStore(options: ThreadStoreOptions): Promise<Store> {
  const worker = startModuleWorker('store-thread', import.meta.url, { workerData: options });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | null = null;
  let closed = false;

  const fail = (err: Error): void => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const early = (err: Error): void => reject(err);
    worker.once('error', early);
    worker.once('exit', (code) =>
      reject(new Error(`the store thread exited (${code}) before it opened the store`)),
    );
    worker.once('message', (first: StoreReply) => {
      worker.off('error', early);
      worker.removeAllListeners('exit');
      if ('startError' in first) {
        void worker.terminate();
        reject(deserializeError(first.startError));
      } else resolve();
    });
  });

  worker.on('message', (reply: StoreReply) => {
    if (!('id' in reply)) return;
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if ('error' in reply) waiting.reject(deserializeError(reply.error));
    else waiting.resolve(reply.result);
  });
  worker.on('error', (err) => fail(new Error(`the store thread failed: ${err.message}`)));
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the store thread exited (${code})`));
  });

  const call = (method: StoreMethod, args: unknown[]): Promise<unknown> => {
    if (failure) return Promise.reject(failure);
    if (closed) return Promise.reject(new Error('the store is closed'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies StoreCall);
    });
  };

  const proxy = {} as Record<StoreMethod, (...args: unknown[]) => Promise<unknown>>;
  const methods = Object.keys(FORWARDED) as Exclude<StoreMethod, 'close'>[];
  for (const method of methods) proxy[method] = (...args) => call(method, args);
  proxy.close = async () => {
    if (closed) return;
    if (!failure) await call('close', []);
    closed = true;
    await worker.terminate();
  };
  return proxy as unknown as Store;
}
