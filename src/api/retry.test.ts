import { describe, expect, it } from 'vitest';
import { ConnectorError } from './errors.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, RequestBudget, withRetry } from './retry.js';
import { FakeClock } from './testing/fake-clock.js';

const throttled = (retryAfterMs?: number) =>
  new ConnectorError('API_THROTTLED', 'throttled', { afCode: 'AF429', httpStatus: 403, retryAfterMs });

describe('backoffDelay', () => {
  it('stays within the full-jitter ceiling, doubling per attempt up to the cap', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 8000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(8000, 1000 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, policy, undefined, () => 0)).toBe(0);
      expect(backoffDelay(attempt, policy, undefined, () => 0.999999)).toBe(ceiling - 1);
      for (let k = 0; k < 50; k++) {
        const d = backoffDelay(attempt, policy, undefined);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it('uses the server Retry-After when there is one', () => {
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, 7000, () => 0)).toBe(7000);
  });
});

describe('withRetry', () => {
  it('retries throttling and server errors, then succeeds', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const errors = [
      throttled(),
      new ConnectorError('API_UNAVAILABLE', '500'),
      new ConnectorError('NETWORK', 'reset'),
    ];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        const e = errors.shift();
        if (e) throw e;
        return 'ok';
      },
      { clock, random: () => 0.5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([500, 1000, 2000]);
  });

  it('waits exactly the Retry-After the server asked for', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls === 1) throw throttled(12_000);
        return calls;
      },
      { clock },
    );
    expect(clock.sleeps).toEqual([12_000]);
  });

  it('gives up at once when Retry-After is beyond the longest wait, keeping the hint for the caller', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const err = await withRetry(
      async () => {
        throw throttled(3_600_000);
      },
      { clock },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).retryAfterMs).toBe(3_600_000);
    expect(clock.sleeps).toEqual([]);
  });

  it('throws a retryable error after the bounded number of attempts', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new ConnectorError('API_UNAVAILABLE', 'AF50000');
      },
      { clock, policy: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } },
    ).catch((e: unknown) => e as ConnectorError);
    expect(calls).toBe(3);
    expect(err.code).toBe('API_UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });

  it('does not retry non-retryable errors', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new ConnectorError('BLOB_EXPIRED', 'AF20051');
        },
        { clock },
      ),
    ).rejects.toMatchObject({ code: 'BLOB_EXPIRED' });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('RequestBudget', () => {
  it('lets a burst through, then paces requests to the per-minute rate', async () => {
    const clock = new FakeClock({ autoAdvance: true });
    const budget = new RequestBudget(600, clock); // 10 per second, burst of 100
    const start = clock.now();
    for (let i = 0; i < 100; i++) await budget.take();
    expect(clock.now() - start).toBe(0);
    for (let i = 0; i < 50; i++) await budget.take();
    // 50 more at 10/s take 5 s.
    expect(clock.now() - start).toBeGreaterThanOrEqual(4900);
    expect(clock.now() - start).toBeLessThanOrEqual(5100);
  });

  it('makes callers wait until time passes, in arrival order', async () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(60, clock); // 1 per second, burst of 10
    for (let i = 0; i < 10; i++) await budget.take();
    const order: number[] = [];
    const waiting = [1, 2].map((n) => budget.take().then(() => order.push(n)));
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    expect(clock.pendingSleeps).toBe(1);
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1]);
    clock.advance(1000);
    await Promise.all(waiting);
    expect(order).toEqual([1, 2]);
  });
});
