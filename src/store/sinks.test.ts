import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.js';
import { makeBlob, makeRecord, TENANT } from './testing.js';
import { openThreadStore } from './thread/thread-store.js';

const DAY = 86_400_000;
let dir: string;
let nowMs: number;
const open: Store[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-sinkstate-'));
  nowMs = Date.parse('2026-01-10T12:00:00.000Z');
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, () => Promise<Store>][] = [
  ['sqlite', () => openStore({ dataDir: dir, clock: () => new Date(nowMs) })],
  // The thread cannot take a clock: its tests use times relative to the real one.
  ['thread', () => openThreadStore({ dataDir: dir })],
];

async function fill(store: Store, n: number): Promise<number[]> {
  await store.commitBlob(
    makeBlob(),
    Array.from({ length: n }, () => makeRecord()),
  );
  return (await store.readFrom(0, 1000)).map((r) => r.offset);
}

describe.each(backends)('sink offsets and dead letters (%s store)', (_name, openBackend) => {
  async function storeUnderTest(): Promise<Store> {
    const store = await openBackend();
    open.push(store);
    return store;
  }

  it('starts a new sink at the oldest record, at the next new one, or keeps the offset it already has', async () => {
    const store = await storeUnderTest();
    const offsets = await fill(store, 3);
    expect(await store.initSinkOffset('a', { kind: 'oldest' })).toBe(0);
    expect(await store.initSinkOffset('b', { kind: 'now' })).toBe(offsets[2]);
    await store.commitSinkProgress('a', { offset: offsets[1]!, delivered: 2, filtered: 0, deadLetters: [] });
    expect(await store.initSinkOffset('a', { kind: 'now' })).toBe(offsets[1]);
    expect(await store.lastOffset()).toBe(offsets[2]);
  });

  it('commits offset, counts and dead letters together and never moves an offset back', async () => {
    const store = await storeUnderTest();
    const offsets = await fill(store, 4);
    const [first] = await store.readFrom(0, 1);
    await store.commitSinkProgress('s', {
      offset: offsets[3]!,
      delivered: 2,
      filtered: 1,
      deadLetters: [
        {
          offset: first!.offset,
          tenantId: TENANT,
          recordId: first!.id,
          raw: first!.raw,
          reason: 'mapping error',
        },
      ],
    });
    await store.commitSinkProgress('s', { offset: offsets[0]!, delivered: 0, filtered: 0, deadLetters: [] });
    expect(await store.getSinkOffset('s')).toBe(offsets[3]);
    const [status] = await store.sinkStatus(new Date().toISOString(), ['s']);
    expect(status).toMatchObject({
      delivered: 2,
      filtered: 1,
      deadLettered: 1,
      deadLetterOpen: 1,
      lagEvents: 0,
    });
    const letters = await store.deadLetters('s', 10);
    expect(letters).toMatchObject([
      { recordId: first!.id, raw: first!.raw, reason: 'mapping error', attempts: 1 },
    ]);
  });

  it('keeps one dead letter per sink and record: refused again, it counts another attempt with the new reason', async () => {
    const store = await storeUnderTest();
    await fill(store, 1);
    const [r] = await store.readFrom(0, 1);
    const letter = { offset: r!.offset, tenantId: TENANT, recordId: r!.id, raw: r!.raw, reason: 'first' };
    await store.commitSinkProgress('s', {
      offset: r!.offset,
      delivered: 0,
      filtered: 0,
      deadLetters: [letter],
    });
    await store.commitSinkProgress('s', {
      offset: 0,
      delivered: 0,
      filtered: 0,
      deadLetters: [{ ...letter, reason: 'again' }],
    });
    expect(await store.deadLetters('s', 10)).toMatchObject([
      { recordId: r!.id, reason: 'again', attempts: 2 },
    ]);
  });

  it('reports lag in events and seconds, the state and the last error of a failing sink', async () => {
    const store = await storeUnderTest();
    await fill(store, 5);
    await store.setSinkState('s', 'open', 'HEC answered HTTP 503', true);
    await store.setSinkState('s', 'open', 'HEC answered HTTP 503', true);
    const [status] = await store.sinkStatus(new Date(Date.now() + 60_000).toISOString(), ['s']);
    expect(status).toMatchObject({
      lagEvents: 5,
      retried: 2,
      state: 'open',
      lastError: 'HEC answered HTTP 503',
    });
    expect(status!.lagSeconds).toBeGreaterThanOrEqual(0);
    await store.setSinkState('s', 'closed', null, false);
    const [healed] = await store.sinkStatus(new Date().toISOString(), ['s']);
    expect(healed).toMatchObject({ state: 'closed', lastError: null, retried: 2 });
  });

  it('removes dead letters that were re-sent and counts another attempt for those refused again', async () => {
    const store = await storeUnderTest();
    await fill(store, 2);
    const records = await store.readFrom(0, 10);
    await store.commitSinkProgress('s', {
      offset: records[1]!.offset,
      delivered: 0,
      filtered: 0,
      deadLetters: records.map((r) => ({
        offset: r.offset,
        tenantId: TENANT,
        recordId: r.id,
        raw: r.raw,
        reason: 'bad',
      })),
    });
    const [a, b] = await store.deadLetters('s', 10);
    await store.resolveDeadLetters('s', [a!.id], [{ id: b!.id, reason: 'still bad' }]);
    expect(await store.deadLetters('s', 10)).toMatchObject([{ id: b!.id, reason: 'still bad', attempts: 2 }]);
    expect((await store.sinkStatus(new Date().toISOString(), ['s']))[0]).toMatchObject({
      delivered: 1,
      deadLetterOpen: 1,
    });
  });
});

describe('retention with sinks behind', () => {
  async function sqlite(): Promise<Store> {
    const store = await openStore({ dataDir: dir, clock: () => new Date(nowMs) });
    open.push(store);
    return store;
  }

  it('keeps records past retention that an enabled sink has not delivered, and says how many', async () => {
    const store = await sqlite();
    const offsets = await fill(store, 4);
    await store.initSinkOffset('slow', { kind: 'oldest' });
    await store.commitSinkProgress('slow', {
      offset: offsets[1]!,
      delivered: 2,
      filtered: 0,
      deadLetters: [],
    });
    nowMs += 3 * DAY;
    const result = await store.enforceRetention(new Date(nowMs).toISOString(), 2, { sinks: ['slow'] });
    expect(result).toMatchObject({ records: 2, heldForSinks: 2, droppedForSinks: {} });
    expect((await store.readFrom(0, 10)).map((r) => r.offset)).toEqual(offsets.slice(2));
  });

  it('ignores a sink that is no longer configured', async () => {
    const store = await sqlite();
    await fill(store, 2);
    await store.initSinkOffset('removed', { kind: 'oldest' });
    nowMs += 3 * DAY;
    expect(await store.enforceRetention(new Date(nowMs).toISOString(), 2, { sinks: [] })).toMatchObject({
      records: 2,
      heldForSinks: 0,
    });
  });

  it('deletes undelivered records past the hard cap and counts them for each sink that missed them', async () => {
    const store = await sqlite();
    const old = await fill(store, 3);
    nowMs += 5 * DAY;
    await fill(store, 1);
    await store.initSinkOffset('dead', { kind: 'oldest' });
    await store.initSinkOffset('half', { kind: 'oldest' });
    await store.commitSinkProgress('half', { offset: old[1]!, delivered: 2, filtered: 0, deadLetters: [] });
    nowMs += 3 * DAY; // the first three are 8 days old, the last one 3
    const result = await store.enforceRetention(new Date(nowMs).toISOString(), 2, {
      sinks: ['dead', 'half'],
      hardCapDays: 7,
    });
    expect(result).toMatchObject({ records: 3, heldForSinks: 1, droppedForSinks: { dead: 3, half: 1 } });
    const status = await store.sinkStatus(new Date(nowMs).toISOString(), ['dead', 'half']);
    expect(status.map((s) => s.droppedByRetention)).toEqual([3, 1]);
    expect(status[0]!.lastError).toMatch(/hard cap deleted 3 records/);
  });

  it('finds the offset before a stored time for replays', async () => {
    const store = await sqlite();
    const first = await fill(store, 2);
    nowMs += DAY;
    const all = await fill(store, 1);
    expect(await store.offsetBefore(new Date(nowMs - 1000).toISOString())).toBe(first[1]);
    expect(await store.offsetBefore(new Date(nowMs + 1000).toISOString())).toBe(all[2]);
  });
});
