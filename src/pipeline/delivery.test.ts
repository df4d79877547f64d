import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommonSinkConfig } from '../sinks/config.js';
import { openStore, type Store } from '../store/index.js';
import { makeBlob, makeRecord } from '../store/testing.js';
import { createSinkMetrics } from '../telemetry/metrics.js';
import { Registry } from 'prom-client';
import { DeliveryDriver, type DeliveryOptions } from './delivery.js';
import { MemorySink } from './memory-sink.test-util.js';

const logger = pino({ level: 'silent' });
const FAST = { maxAttempts: Infinity, baseDelayMs: 1, maxDelayMs: 5 };
let dir: string;
let store: Store;
const drivers: DeliveryDriver[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-delivery-'));
  store = await openStore({ dataDir: dir });
});
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(over: Partial<CommonSinkConfig> = {}): CommonSinkConfig {
  return {
    name: 'test',
    type: 'file',
    enabled: true,
    format: 'ecs',
    filter: { recordTypes: [], kinds: [] },
    batch: { maxEvents: 10, maxBytes: 1024 * 1024, maxWaitMs: 0 },
    startAt: { kind: 'oldest' },
    timeoutMs: 2_000,
    concurrency: 1,
    ...over,
  };
}

async function storeRecords(
  n: number,
  fields: Record<string, unknown> = {},
  recordType = 28,
): Promise<string[]> {
  const records = Array.from({ length: n }, () =>
    makeRecord(fields, { recordType, verdict: recordType === 28 ? 'Phish' : null }),
  );
  await store.commitBlob(makeBlob(), records);
  return records.map((r) => r.id);
}

async function start(
  sink: MemorySink,
  over: Partial<CommonSinkConfig> = {},
  extra: Partial<DeliveryOptions> = {},
) {
  const driver = new DeliveryDriver({
    store,
    sink,
    config: config(over),
    logger,
    policy: FAST,
    idlePollMs: 10,
    ...extra,
  });
  drivers.push(driver);
  await driver.start();
  return driver;
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the delivery driver', () => {
  it('delivers every stored record once, in offset order, in batches of max_events', async () => {
    const ids = await storeRecords(25);
    const sink = new MemorySink();
    await start(sink);
    await until(() => sink.received.length === 25);
    expect(sink.received.map((e) => e.id)).toEqual(ids);
    expect(sink.batches).toEqual([10, 10, 5]);
    await until(async () => (await store.getSinkOffset('memory')) === sink.received.at(-1)!.offset);
  });

  it('moves the offset only after the SIEM acknowledged the batch', async () => {
    await storeRecords(3);
    const sink = new MemorySink();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    sink.script = async () => {
      await gate;
      return { outcome: 'delivered' };
    };
    await start(sink);
    await until(() => sink.calls === 1);
    expect(await store.getSinkOffset('memory')).toBe(0);
    release();
    await until(async () => (await store.getSinkOffset('memory')) > 0);
  });

  it('keeps every event through a long outage and delivers all once the SIEM is back, collection going on', async () => {
    const first = await storeRecords(10);
    const sink = new MemorySink();
    let down = true;
    sink.script = () => (down ? { outcome: 'retryable', reason: 'HTTP 503' } : { outcome: 'delivered' });
    const registry = new Registry();
    const metrics = createSinkMetrics(registry);
    const driver = await start(sink, {}, { metrics });
    await until(() => sink.calls >= 20);
    const during = await storeRecords(15); // the collector stores on while the sink is down
    expect(driver.snapshot().state).toBe('open');
    const [status] = await store.sinkStatus(new Date().toISOString(), ['memory']);
    expect(status).toMatchObject({ state: 'open', lastError: 'HTTP 503', lagEvents: 25 });
    down = false;
    await until(() => sink.received.length === 25);
    expect(sink.received.map((e) => e.id)).toEqual([...first, ...during]);
    await until(
      async () => (await store.sinkStatus(new Date().toISOString(), ['memory']))[0]!.lagEvents === 0,
    );
    const [after] = await store.sinkStatus(new Date().toISOString(), ['memory']);
    expect(after).toMatchObject({ state: 'closed', lastError: null, delivered: 25 });
    expect(after!.retried).toBeGreaterThanOrEqual(20);
    expect(await registry.getSingleMetricAsString('atp_siem_sink_events_delivered_total')).toContain(
      'atp_siem_sink_events_delivered_total{sink="memory"} 25',
    );
  });

  it('dead-letters events the SIEM refused with its reason, sends the retry ones again alone, and moves on', async () => {
    const ids = await storeRecords(4);
    const sink = new MemorySink();
    sink.script = (batch, call) =>
      call === 1
        ? {
            outcome: 'partial',
            results: [
              { status: 'delivered' },
              { status: 'rejected', reason: 'mapper_parsing_exception: failed to parse field [x]' },
              { status: 'retry', reason: 'es_rejected_execution_exception' },
              { status: 'delivered' },
            ],
          }
        : { outcome: 'delivered' };
    await start(sink);
    await until(() => sink.received.length === 3);
    expect(sink.batches).toEqual([4, 1]);
    expect(sink.received.map((e) => e.id)).toEqual([ids[0], ids[3], ids[2]]);
    await until(async () => (await store.deadLetters('memory', 10)).length === 1);
    const [letter] = await store.deadLetters('memory', 10);
    expect(letter).toMatchObject({
      recordId: ids[1],
      reason: 'mapper_parsing_exception: failed to parse field [x]',
    });
    await until(
      async () => (await store.sinkStatus(new Date().toISOString(), ['memory']))[0]!.lagEvents === 0,
    );
  });

  it('splits a request refused as a whole until the one bad event is found, delivering its neighbours', async () => {
    const ids = await storeRecords(8);
    const bad = ids[5];
    const sink = new MemorySink();
    sink.script = (batch) =>
      batch.some((e) => e.id === bad)
        ? { outcome: 'rejected', reason: 'HTTP 400: malformed JSON' }
        : { outcome: 'delivered' };
    await start(sink);
    await until(() => sink.received.length === 7);
    expect(sink.received.map((e) => e.id)).toEqual(ids.filter((id) => id !== bad));
    await until(async () => (await store.deadLetters('memory', 10)).length === 1);
    expect((await store.deadLetters('memory', 10))[0]).toMatchObject({
      recordId: bad,
      reason: 'HTTP 400: malformed JSON',
    });
  });

  it('sends only what the filter keeps and still moves the offset past the rest', async () => {
    await storeRecords(3, {}, 15);
    const clicks = await storeRecords(2, {}, 41);
    const sink = new MemorySink();
    await start(sink, { filter: { recordTypes: [], kinds: ['url-click'] } });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((e) => e.id)).toEqual(clicks);
    await until(
      async () => (await store.sinkStatus(new Date().toISOString(), ['memory']))[0]!.filtered === 3,
    );
  });

  it('starts a new sink with start_at now at the next record, not the backlog', async () => {
    await storeRecords(5);
    const sink = new MemorySink();
    await start(sink, { startAt: { kind: 'now' } });
    const fresh = await storeRecords(2);
    await until(() => sink.received.length === 2);
    expect(sink.received.map((e) => e.id)).toEqual(fresh);
  });

  it('commits batches in flight together in offset order, even when a later one is acknowledged first', async () => {
    await storeRecords(30);
    const sink = new MemorySink();
    const offsets: number[] = [];
    const original = store.commitSinkProgress.bind(store);
    store.commitSinkProgress = async (name, progress) => {
      offsets.push(progress.offset);
      return original(name, progress);
    };
    sink.script = async (_batch, call) => {
      await new Promise((r) => setTimeout(r, call === 1 ? 80 : 1));
      return { outcome: 'delivered' };
    };
    await start(sink, { concurrency: 3 });
    await until(() => sink.received.length === 30);
    await until(() => offsets.length === 3);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('holds a blocked sink (bad token) with its events and reason, and delivers once it is fixed', async () => {
    await storeRecords(2);
    const sink = new MemorySink();
    sink.script = () => ({ outcome: 'retryable', reason: 'HEC code 4: Invalid token', blocked: true });
    const driver = await start(
      sink,
      {},
      { policy: { maxAttempts: Infinity, baseDelayMs: 1, maxDelayMs: 20 } },
    );
    await until(() => sink.calls >= 2);
    expect(driver.snapshot().state).toBe('blocked');
    expect((await store.sinkStatus(new Date().toISOString(), ['memory']))[0]).toMatchObject({
      state: 'blocked',
      lastError: 'HEC code 4: Invalid token',
      lagEvents: 2,
    });
    sink.script = null;
    await until(() => sink.received.length === 2);
  });

  it('starts again from the last committed offset after an unexpected store failure, reporting it blocked meanwhile', async () => {
    const ids = await storeRecords(25);
    let failNext = false;
    let reads = 0;
    const flaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'readFrom') {
          return async (...args: Parameters<Store['readFrom']>) => {
            reads += 1;
            if (failNext) {
              failNext = false;
              throw new Error('SQLITE_IOERR: disk I/O error');
            }
            return target.readFrom(...args);
          };
        }
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const sink = new MemorySink();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    sink.script = async () => {
      // The first batch is delivered; the read after it fails.
      if (sink.calls === 1) failNext = true;
      else if (sink.calls === 2) await gate;
      return { outcome: 'delivered' };
    };
    const driver = await start(sink, {}, { store: flaky });
    await until(
      async () => (await store.sinkStatus(new Date().toISOString(), ['memory']))[0]?.state === 'blocked',
    );
    expect((await store.sinkStatus(new Date().toISOString(), ['memory']))[0]?.lastError).toContain(
      'SQLITE_IOERR',
    );
    expect(driver.snapshot().state).toBe('blocked');
    release();
    await until(() => sink.received.length === 25, 5_000);
    expect(sink.received.map((e) => e.id)).toEqual(ids);
    expect(reads).toBeGreaterThan(2);
    await until(() => driver.snapshot().state === 'closed');
    expect((await store.sinkStatus(new Date().toISOString(), ['memory']))[0]?.state).toBe('closed');
  });

  it('leaves the offset where it was when stopped mid-outage, and a new driver delivers from there', async () => {
    const ids = await storeRecords(4);
    const sink = new MemorySink();
    sink.script = () => ({ outcome: 'retryable', reason: 'ECONNREFUSED' });
    const driver = await start(sink);
    await until(() => sink.calls >= 3);
    const stopping = Date.now();
    await driver.stop();
    expect(Date.now() - stopping).toBeLessThan(1_000);
    expect(await store.getSinkOffset('memory')).toBe(0);
    const next = new MemorySink();
    await start(next);
    await until(() => next.received.length === 4);
    expect(next.received.map((e) => e.id)).toEqual(ids);
  });

  it('closes a batch at max_bytes, and waits up to max_wait to fill a short one', async () => {
    await storeRecords(6, { Pad: 'x'.repeat(1000) });
    const sink = new MemorySink();
    await start(sink, { batch: { maxEvents: 100, maxBytes: 2500, maxWaitMs: 0 } });
    await until(() => sink.received.length === 6);
    expect(sink.batches.every((n) => n <= 2)).toBe(true);

    const waiting = new MemorySink('waiting');
    await start(waiting, {
      name: 'waiting',
      startAt: { kind: 'now' },
      batch: { maxEvents: 100, maxBytes: 1 << 20, maxWaitMs: 300 },
    });
    await storeRecords(1);
    await new Promise((r) => setTimeout(r, 50));
    await storeRecords(1);
    await until(() => waiting.received.length === 2);
    expect(waiting.batches).toEqual([2]);
  });

  it('never retries faster than the backoff, even when the SIEM says Retry-After: 0', async () => {
    await storeRecords(2);
    const sink = new MemorySink();
    sink.script = () => ({ outcome: 'retryable', reason: 'HTTP 503', retryAfterMs: 0 });
    await start(sink, {}, { policy: { maxAttempts: Infinity, baseDelayMs: 100, maxDelayMs: 200 } });
    await new Promise((r) => setTimeout(r, 600));
    expect(sink.calls).toBeGreaterThan(1);
    expect(sink.calls).toBeLessThanOrEqual(8);
  });

  it('shows a sink blocked in the last run as closed once a new run delivers', async () => {
    await storeRecords(2);
    await store.initSinkOffset('memory', { kind: 'oldest' });
    await store.setSinkState('memory', 'blocked', 'HEC code 4: Invalid token', true);
    const sink = new MemorySink();
    await start(sink);
    await until(() => sink.received.length === 2);
    await until(
      async () => (await store.sinkStatus(new Date().toISOString(), ['memory']))[0]!.state === 'closed',
    );
    expect((await store.sinkStatus(new Date().toISOString(), ['memory']))[0]!.lastError).toBeNull();
  });

  it('sends one trial batch at a time while the breaker is open, whatever the concurrency', async () => {
    await storeRecords(40);
    const sink = new MemorySink();
    let inFlight = 0;
    let most = 0;
    let down = true;
    sink.script = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return down ? { outcome: 'retryable', reason: 'HTTP 503' } : { outcome: 'delivered' };
    };
    const driver = await start(
      sink,
      { concurrency: 4 },
      { policy: { maxAttempts: Infinity, baseDelayMs: 1, maxDelayMs: 2 } },
    );
    await until(() => driver.snapshot().consecutiveFailures >= 8);
    most = 0;
    await until(() => sink.calls >= 30);
    expect(most).toBe(1);
    down = false;
    await until(() => sink.received.length === 40);
  });

  it('leaves the live state alone when a one-shot sender (replay) fails', async () => {
    const { BatchSender, GiveUp } = await import('./delivery.js');
    const sink = new MemorySink();
    sink.script = () => ({ outcome: 'retryable', reason: 'ECONNREFUSED' });
    const sender = new BatchSender(
      { store, sink, config: config(), logger, policy: FAST, recordState: false },
      2,
    );
    await storeRecords(1);
    const [record] = await store.readFrom(0, 1);
    const { encodeRecords } = await import('./delivery.js');
    const { getFormat } = await import('../formats/index.js');
    const { events } = encodeRecords([record!], getFormat('ecs')!);
    await expect(sender.deliver(events)).rejects.toBeInstanceOf(GiveUp);
    expect(await store.sinkStatus(new Date().toISOString(), ['memory'])).toMatchObject([
      { state: 'closed', retried: 0, lastError: null },
    ]);
  });
});
