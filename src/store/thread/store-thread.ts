/**
 * Worker thread of ThreadStore (thread-store.ts): owns the SQLite store and answers the calls in the order
 * they arrive. Calls that arrived while the previous ones ran are taken together and run in one transaction
 * (SqliteStore.group): each still succeeds or fails alone, but they share one commit, and every reply is
 * sent only once that commit is done, so no caller hears "stored" before it is.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { openSqliteStore, type OpenStoreOptions } from '../index.js';
import type { SqliteStore } from '../sqlite/sqlite-store.js';
import { serializeError, type StoreCall, type StoreReply } from './protocol.js';

/** Calls taken into one transaction at the most. */
const MAX_GROUP = 32;
/** Never grouped: close ends the thread; retention deletes in slices so as not to hold the write lock long. */
const ALONE = new Set<StoreCall['method']>(['close', 'enforceRetention']);

function invoke(store: SqliteStore, call: StoreCall): Promise<unknown> {
  const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
  try {
    return method.apply(store, call.args);
  } catch (err) {
    return Promise.reject(err);
  }
}

async function answer(port: MessagePort, store: SqliteStore, calls: StoreCall[]): Promise<void> {
  let results: Promise<unknown>[];
  if (calls.length === 1) {
    results = [invoke(store, calls[0] as StoreCall)];
  } else {
    results = [];
    try {
      // The calls run synchronously inside (better-sqlite3 is synchronous): their promises are settled
      // before group() commits.
      store.group(() => {
        for (const call of calls) {
          const result = invoke(store, call);
          result.catch(() => undefined);
          results.push(result);
        }
      });
    } catch (err) {
      // The shared commit failed: nothing of these calls is stored.
      for (const call of calls)
        port.postMessage({ id: call.id, error: serializeError(err) } satisfies StoreReply);
      return;
    }
  }
  for (const [i, call] of calls.entries()) {
    try {
      port.postMessage({ id: call.id, result: await results[i] } satisfies StoreReply);
    } catch (err) {
      port.postMessage({ id: call.id, error: serializeError(err) } satisfies StoreReply);
    }
  }
}

const port = parentPort;
if (port) {
  let store: SqliteStore | undefined;
  try {
    store = await openSqliteStore(workerData as OpenStoreOptions);
    port.postMessage({ ready: true } satisfies StoreReply);
  } catch (err) {
    port.postMessage({ startError: serializeError(err) } satisfies StoreReply);
  }
  const opened = store;
  if (opened) {
    let chain = Promise.resolve();
    const run = (calls: StoreCall[]): void => {
      chain = chain.then(() => answer(port, opened, calls));
      if (calls.some((call) => call.method === 'close')) chain = chain.then(() => port.close());
    };
    port.on('message', (first: StoreCall) => {
      // Whatever else is already queued joins this call, except calls that run alone.
      if (ALONE.has(first.method)) return run([first]);
      const calls = [first];
      while (calls.length < MAX_GROUP) {
        const next = receiveMessageOnPort(port)?.message as StoreCall | undefined;
        if (!next) break;
        if (ALONE.has(next.method)) {
          run(calls);
          return run([next]);
        }
        calls.push(next);
      }
      run(calls);
    });
  }
}
