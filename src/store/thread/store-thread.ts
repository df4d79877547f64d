/**
 * Worker thread of ThreadStore (thread-store.ts): owns the SQLite store and answers one call at a time, in
 * the order they arrive. Each store method runs to its end (better-sqlite3 is synchronous) before the next
 * message is read, so the calls are serialized exactly as they are in the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type OpenStoreOptions, type Store } from '../index.js';
import { serializeError, type StoreCall, type StoreReply } from './protocol.js';

const port = parentPort;
if (port) {
  const options = workerData as OpenStoreOptions;
  let store: Store | undefined;
  try {
    store = await openStore(options);
    port.postMessage({ ready: true } satisfies StoreReply);
  } catch (err) {
    port.postMessage({ startError: serializeError(err) } satisfies StoreReply);
  }
  const opened = store;
  if (opened) {
    port.on('message', (call: StoreCall) => {
      void (async () => {
        try {
          const method = opened[call.method] as (...args: unknown[]) => Promise<unknown>;
          const result = await method.apply(opened, call.args);
          port.postMessage({ id: call.id, result } satisfies StoreReply);
        } catch (err) {
          port.postMessage({ id: call.id, error: serializeError(err) } satisfies StoreReply);
        }
        if (call.method === 'close') port.close();
      })();
    });
  }
}
