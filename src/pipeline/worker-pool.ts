/**
 * The one worker-thread pool behind the index pool (collector) and the encode pool (delivery): N module
 * workers that each answer `{ id, result }` or `{ id, error }` to a request, a request going to the live
 * worker with the fewest work units waiting, and a worker that dies rejecting what it held (the callers then
 * do that work inline). `serveRequests` is the worker side of the same protocol.
 */
import { parentPort, type Worker } from 'node:worker_threads';
import { startModuleWorker } from '../store/thread/module-worker.js';

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  /** Work units (records) in the request: the pool balances by units waiting, not by requests. */
  size: number;
}

interface PoolWorker {
  worker: Worker;
  queued: number;
  alive: boolean;
  pending: Map<number, Pending>;
}

type Answer = { ready: true } | { id: number; result: unknown } | { id: number; error: string };

export interface WorkerPool<Req, Res> {
  /** The answer of a live worker, or undefined when none is alive (the caller works inline). */
  run(request: Req, size: number): Promise<Res> | undefined;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** The worker module's name beside `from` (`encode-worker`), resolved by startModuleWorker. */
  module: string;
  from: string;
  workers: number;
  readyMs: number;
  /** For error texts: `encode`, `index`. */
  what: string;
  /** An idle pool does not keep the process alive. */
  unref?: boolean;
}

function startWorker(options: WorkerPoolOptions): Promise<PoolWorker> {
  return new Promise((resolve, reject) => {
    const worker = startModuleWorker(options.module, options.from);
    const entry: PoolWorker = { worker, queued: 0, alive: true, pending: new Map() };
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${options.what} worker did not start in time`));
    }, options.readyMs);
    const fail = (err: Error): void => {
      entry.alive = false;
      clearTimeout(timer);
      reject(err);
      for (const p of entry.pending.values()) p.reject(err);
      entry.pending.clear();
      entry.queued = 0;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${options.what} worker exited (${code})`)));
    worker.on('message', (m: Answer) => {
      if ('ready' in m) {
        clearTimeout(timer);
        resolve(entry);
        return;
      }
      const p = entry.pending.get(m.id);
      if (!p) return;
      entry.pending.delete(m.id);
      entry.queued -= p.size;
      if ('result' in m) p.resolve(m.result);
      else p.reject(new Error(`${options.what} failed in the worker: ${m.error}`));
    });
    if (options.unref) worker.unref();
  });
}

/**
 * Starts the pool's workers; throws when one of them cannot start (the caller falls back to inline work).
 * @example const pool = await startWorkerPool<Req, Res>({ module: 'encode-worker', from: import.meta.url, workers: 1, readyMs: 15_000, what: 'encoding' });
 */
export async function startWorkerPool<Req, Res>(options: WorkerPoolOptions): Promise<WorkerPool<Req, Res>> {
  let pool = await Promise.all(Array.from({ length: options.workers }, () => startWorker(options)));
  let nextId = 0;
  return {
    run(request, size) {
      const live = pool.filter((w) => w.alive);
      if (live.length === 0) return undefined;
      const w = live.reduce((a, b) => (b.queued < a.queued ? b : a));
      const id = nextId++;
      return new Promise<Res>((resolve, reject) => {
        w.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, size });
        w.queued += size;
        w.worker.postMessage({ id, request });
      });
    },
    async close() {
      const workers = pool;
      pool = [];
      await Promise.all(
        workers.map(async (w) => {
          w.worker.removeAllListeners('exit');
          w.alive = false;
          for (const p of w.pending.values()) p.reject(new Error(`the ${options.what} pool closed`));
          w.pending.clear();
          await w.worker.terminate();
        }),
      );
    },
  };
}

/**
 * The worker side: answers each request with the handler's result, or its error's message.
 * @example serveRequests((request: EncodeRequest) => encodeBatch(request));
 */
export function serveRequests<Req, Res>(handle: (request: Req) => Res): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (message: { id: number; request: Req }) => {
    let answer: Answer;
    try {
      answer = { id: message.id, result: handle(message.request) };
    } catch (err) {
      answer = { id: message.id, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(answer);
  });
  port.postMessage({ ready: true } satisfies Answer);
}
