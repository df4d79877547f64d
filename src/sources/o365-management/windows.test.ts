import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MAX_LISTING_AGE_MS, planWindows, sweepWindows } from './windows.js';

const NOW = new Date('2026-11-25T12:00:00.000Z');

function spans(plan: { windows: Array<{ start: Date; end: Date }> }): number[] {
  return plan.windows.map((w) => w.end.getTime() - w.start.getTime());
}

describe('planWindows', () => {
  it('back-fills the 7 days the API keeps on a first run, in consecutive windows of at most 24 h', () => {
    const plan = planWindows({ cursor: null, serverNow: NOW, settleMs: 0 });
    expect(plan.windows[0]?.start.getTime()).toBe(NOW.getTime() - MAX_LISTING_AGE_MS);
    expect(plan.windows.at(-1)?.end.getTime()).toBe(NOW.getTime());
    expect(Math.max(...spans(plan))).toBeLessThanOrEqual(DAY_MS);
    for (let i = 1; i < plan.windows.length; i++) {
      expect(plan.windows[i]?.start.getTime()).toBe(plan.windows[i - 1]?.end.getTime());
    }
    expect(plan.windows).toHaveLength(7);
    expect(plan.unreachable).toBeNull();
  });

  it('never starts older than 167 h 55 m before the server now', () => {
    expect(MAX_LISTING_AGE_MS).toBe(167 * HOUR_MS + 55 * 60_000);
    const cursor = new Date(NOW.getTime() - 9 * DAY_MS);
    const plan = planWindows({ cursor, serverNow: NOW });
    expect(plan.windows[0]?.start.getTime()).toBe(NOW.getTime() - MAX_LISTING_AGE_MS);
    expect(plan.unreachable).toEqual({ from: cursor, to: new Date(NOW.getTime() - MAX_LISTING_AGE_MS) });
  });

  it('starts exactly at the cursor when it is within reach', () => {
    const cursor = new Date(NOW.getTime() - 30 * 60_000);
    const plan = planWindows({ cursor, serverNow: NOW, settleMs: 0 });
    expect(plan.windows).toEqual([{ start: cursor, end: NOW }]);
  });

  it('never reaches into the future, keeping the settle distance', () => {
    const cursor = new Date(NOW.getTime() - 2 * HOUR_MS);
    const plan = planWindows({ cursor, serverNow: NOW, settleMs: 5_000 });
    expect(plan.windows.at(-1)?.end.getTime()).toBe(NOW.getTime() - 5_000);
  });

  it('plans nothing when the cursor is at or past now (a clock that went back)', () => {
    expect(planWindows({ cursor: NOW, serverNow: NOW }).windows).toEqual([]);
    expect(planWindows({ cursor: new Date(NOW.getTime() + HOUR_MS), serverNow: NOW }).windows).toEqual([]);
  });

  it('skips spans shorter than the minimum until the next poll', () => {
    const cursor = new Date(NOW.getTime() - 500);
    expect(planWindows({ cursor, serverNow: NOW, settleMs: 0, minSpanMs: 1_000 }).windows).toEqual([]);
  });

  it('follows the server clock: a server ahead of us moves the windows forward', () => {
    const local = NOW.getTime();
    const skew = 90_000;
    const plan = planWindows({
      cursor: new Date(local - HOUR_MS),
      serverNow: new Date(local + skew),
      settleMs: 0,
    });
    expect(plan.windows.at(-1)?.end.getTime()).toBe(local + skew);
  });

  it('splits exactly at 24 h boundaries, ending with the shorter remainder', () => {
    const cursor = new Date(NOW.getTime() - 50 * HOUR_MS);
    const plan = planWindows({ cursor, serverNow: NOW, settleMs: 0 });
    expect(spans(plan)).toEqual([DAY_MS, DAY_MS, 2 * HOUR_MS]);
  });
});

describe('sweepWindows', () => {
  it('re-lists the trailing 48 h before the cursor in 24 h windows', () => {
    const cursor = NOW;
    const windows = sweepWindows({
      from: new Date(NOW.getTime() - 48 * HOUR_MS),
      to: cursor,
      serverNow: NOW,
    });
    expect(windows.map((w) => w.end.getTime() - w.start.getTime())).toEqual([DAY_MS, DAY_MS]);
    expect(windows.at(-1)?.end).toEqual(cursor);
  });

  it('clamps the sweep to what the API can still reach and to now', () => {
    const windows = sweepWindows({
      from: new Date(NOW.getTime() - 10 * DAY_MS),
      to: new Date(NOW.getTime() + HOUR_MS),
      serverNow: NOW,
    });
    expect(windows[0]?.start.getTime()).toBe(NOW.getTime() - MAX_LISTING_AGE_MS);
    expect(windows.at(-1)?.end).toEqual(NOW);
  });
});

describe('planWindows on the wire', () => {
  it('keeps every boundary on a whole second, so windows stay contiguous when the API drops sub-seconds', () => {
    const serverNow = new Date('2026-11-25T12:00:07.640Z');
    const plan = planWindows({ cursor: new Date('2026-11-25T11:00:03.000Z'), serverNow, settleMs: 1_000 });
    for (const w of plan.windows) {
      expect(w.start.getMilliseconds()).toBe(0);
      expect(w.end.getMilliseconds()).toBe(0);
    }
    expect(plan.windows.at(-1)?.end.toISOString()).toBe('2026-11-25T12:00:06.000Z');
  });
});
