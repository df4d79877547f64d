import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the module `name` (without extension) that sits beside the module `from` (its
 * import.meta.url), with from's own extension: .ts when run from source, .js when built, .mjs in a bundle
 * that ships the worker module beside it. From source, the thread registers tsx's loader before it imports
 * the TypeScript module.
 * @example const worker = startModuleWorker('store-thread', import.meta.url, { workerData: options });
 */
export function startModuleWorker(name: string, from: string, options: WorkerOptions = {}): Worker {
  const ext = /\.(m?[jt]s)$/.exec(new URL(from).pathname)?.[1] ?? 'js';
  const url = new URL(`./${name}.${ext}`, from);
  return ext === 'ts'
    ? new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(url, options);
}
