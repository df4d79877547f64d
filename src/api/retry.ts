/**
 * The one retry policy of the API client: exponential backoff with full
 * jitter for throttling, server errors and broken connections, `Retry-After`
 * honoured when the server sends it (spec §7: undocumented, so optional), a
 * bounded number of attempts, then a retryable ConnectorError for the caller
 * to come back later. Also the per-tenant request budget (token bucket).
 * Clock, sleep and randomness are injected so tests run on a fake clock.
 */
import { ConnectorError } from './errors.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap of one backoff step; a Retry-After above it ends the call at once (the caller comes back later). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * Delay before attempt `attempt + 1` after a failure: full jitter, random in
 * [0, min(max, base·2^(attempt-1))), or the server's Retry-After when given.
 * @example backoffDelay(3, DEFAULT_RETRY_POLICY, undefined, () => 0.5) // 2000
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  policy?: RetryPolicy;
  clock?: Clock;
  random?: () => number;
  /** Called before each wait: log it, count it. */
  onRetry?: (info: { err: ConnectorError; attempt: number; delayMs: number }) => void;
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable ConnectorError, or
 * runs out of attempts (then the last, retryable, error is thrown).
 * @example const page = await withRetry(() => getPage(url), { clock });
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (!(err instanceof ConnectorError) || !err.retryable || attempt >= policy.maxAttempts) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxDelayMs) throw err;
      const delayMs = backoffDelay(attempt, policy, err.retryAfterMs, options.random);
      options.onRetry?.({ err, attempt, delayMs });
      await clock.sleep(delayMs);
    }
  }
}

/**
 * Token bucket of requests per minute, shared by every call of one tenant.
 * Holds at most ten seconds' worth of tokens, so a burst after idling stays small.
 * Waiters are served in arrival order.
 * @example const budget = new RequestBudget(1800); await budget.take();
 */
export class RequestBudget {
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(perMinute: number, clock: Clock = systemClock) {
    if (!(perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.#perMs = perMinute / 60_000;
    this.#capacity = Math.max(1, perMinute / 6);
    this.#clock = clock;
    this.#tokens = this.#capacity;
    this.#last = clock.now();
  }

  /** Waits until a request may be sent, and spends its token. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#takeOne());
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #takeOne(): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#clock.sleep(Math.ceil((1 - this.#tokens) / this.#perMs));
    }
  }
}
