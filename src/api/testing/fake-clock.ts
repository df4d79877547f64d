import type { Clock } from '../retry.js';

/**
 * A clock for tests: time moves only through `advance` (or automatically on
 * each sleep with `autoAdvance`), so backoff and budgets run instantly.
 * @example const clock = new FakeClock({ autoAdvance: true }); await clock.sleep(5000); clock.now() // 5000 later
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #autoAdvance: boolean;
  readonly #sleepers: { at: number; resolve: () => void }[] = [];
  /** Every sleep requested, in order. */
  readonly sleeps: number[] = [];

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.#now = options.start ?? Date.UTC(2026, 10, 20, 12, 0, 0);
    this.#autoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (this.#autoAdvance) {
      this.#now += ms;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#sleepers.push({ at: this.#now + ms, resolve }));
  }

  /** Moves time forward and wakes the sleepers whose time has come. */
  advance(ms: number): void {
    this.#now += ms;
    for (let i = this.#sleepers.length - 1; i >= 0; i--) {
      const s = this.#sleepers[i];
      if (s && s.at <= this.#now) {
        this.#sleepers.splice(i, 1);
        s.resolve();
      }
    }
  }

  get pendingSleeps(): number {
    return this.#sleepers.length;
  }
}
