import type { Clock } from './types.js';

/**
 * A wake-up call between loops: wait() resolves on wake(), on timeout, or on
 * abort. A wake() with nobody waiting is remembered, so none is missed.
 * @example const w = new Wakeup(systemClock); setTimeout(() => w.wake(), 10); await w.wait(1000);
 */
export class Wakeup {
  private pending = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly clock: Clock) {}

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length === 0) this.pending = true;
    for (const resolve of waiters) resolve();
  }

  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return;
    }
    const local = new AbortController();
    let waiter: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
    });
    const onAbort = (): void => local.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([woken.then(() => local.abort()), this.clock.sleep(ms, local.signal)]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.waiters = this.waiters.filter((w) => w !== waiter);
    }
  }
}
