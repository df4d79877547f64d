import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORMATS, getFormat, type Format } from '../formats/index.js';
import { openStore, type Store, type StoredRecord } from '../store/index.js';
import { makeBlob, makeRecord } from '../store/testing.js';
import { assembleEncoded, DeliveryDriver, encodeRecords } from './delivery.js';
import {
  defaultEncodeWorkers,
  encodeOne,
  encodePoolSize,
  inlineEncoder,
  startEncodePool,
  type RecordEncoder,
} from './encode-pool.js';
import { syslogSink } from '../sinks/syslog/index.js';
import { MemorySink } from './memory-sink.test-util.js';

const logger = pino({ level: 'silent' });

const RAWS = [
  makeRecord({}, { recordType: 28, verdict: 'Phish' }).raw,
  JSON.stringify({
    Id: 'b',
    RecordType: 41,
    CreationTime: '2026-11-20T10:01:00',
    Url: 'https://x.example/\n',
  }),
  JSON.stringify({ Id: 'c', RecordType: 'not a number', Subject: 'line\r\nbreak \u2028 |=\\' }),
  '{"Id": "d", not json',
];

describe('encode pool', () => {
  let pool: RecordEncoder | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('encodes in a worker thread exactly what the inline encoder gives, for every format, in order', async () => {
    let fellBack: Error | undefined;
    pool = await startEncodePool({ workers: 1, onFallback: (e) => (fellBack = e) });
    expect(fellBack).toBeUndefined();
    for (const format of FORMATS) {
      const [fromWorker, inline] = await Promise.all([
        pool.encode(RAWS, format.id),
        inlineEncoder().encode(RAWS, format.id),
      ]);
      expect(fromWorker).toEqual(inline);
      expect(fromWorker.map((e) => ('payload' in e ? e.payload : e.error))).toEqual(
        RAWS.map((raw) => encodeOne(raw, format)).map((e) => ('payload' in e ? e.payload : e.error)),
      );
    }
  });

  it('encodes inline when the workers cannot start in time', async () => {
    let fellBack: Error | undefined;
    pool = await startEncodePool({ workers: 1, readyMs: 1, onFallback: (e) => (fellBack = e) });
    expect(fellBack?.message).toMatch(/did not start/);
    expect(await pool.encode(RAWS, 'cef')).toEqual(await inlineEncoder().encode(RAWS, 'cef'));
  });

  it('answers a failing encoder with its reason instead of throwing', () => {
    const broken: Format = {
      ...(getFormat('cef') as Format),
      encode: () => {
        throw new Error('no');
      },
    };
    expect(encodeOne(RAWS[0] as string, broken)).toEqual({ error: 'no' });
  });

  it('sizes the shared pool by the most demanding enabled sink, and defaults to one worker on 2+ cores', () => {
    expect(defaultEncodeWorkers(1)).toBe(0);
    expect(defaultEncodeWorkers(2)).toBe(1);
    expect(
      encodePoolSize([{ encodeWorkers: 0 }, { encodeWorkers: 3 }, { enabled: false, encodeWorkers: 8 }], 2),
    ).toBe(3);
    expect(encodePoolSize([{}, { encodeWorkers: 0 }], 2)).toBe(1);
    expect(encodePoolSize([{ encodeWorkers: 0 }], 8)).toBe(0);
    expect(encodePoolSize([], 8)).toBe(0);
  });
});

describe('encode_workers', () => {
  const parse = (extra: Record<string, unknown>) =>
    syslogSink.configSchema.safeParse({ name: 's', type: 'syslog', url: 'tcp://127.0.0.1:514', ...extra });

  it('is left unset when not configured (the pipeline default applies) and taken from 0 to 16', () => {
    const unset = parse({});
    expect(unset.success && unset.data.encodeWorkers).toBeUndefined();
    const zero = parse({ encode_workers: 0 });
    expect(zero.success && zero.data.encodeWorkers).toBe(0);
    const many = parse({ encode_workers: 16 });
    expect(many.success && many.data.encodeWorkers).toBe(16);
  });

  it('refuses a value that is not a whole number from 0 to 16, saying so', () => {
    for (const bad of [17, -1, 1.5, 'two']) {
      const r = parse({ encode_workers: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('set encode_workers to a whole number from 0 to 16');
    }
  });
});

describe('the delivery driver with an encode pool', () => {
  let dir: string;
  let store: Store;
  let driver: DeliveryDriver | undefined;
  let pool: RecordEncoder | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atp-siem-encode-'));
    store = await openStore({ dataDir: dir });
  });
  afterEach(async () => {
    await driver?.stop();
    driver = undefined;
    await pool?.close();
    pool = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = {
    name: 'memory',
    type: 'file',
    enabled: true,
    format: 'cef' as const,
    filter: { recordTypes: [], kinds: [] },
    batch: { maxEvents: 7, maxBytes: 1024 * 1024, maxWaitMs: 0 },
    startAt: { kind: 'oldest' as const },
    timeoutMs: 2_000,
    concurrency: 3,
  };

  async function deliverAll(encoder: RecordEncoder | undefined, n: number): Promise<MemorySink> {
    const sink = new MemorySink();
    driver = new DeliveryDriver({ store, sink, config, logger, idlePollMs: 10, encoder });
    await driver.start();
    const end = Date.now() + 10_000;
    while (sink.received.length < n) {
      if (Date.now() > end) throw new Error(`only ${sink.received.length} of ${n} events arrived`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return sink;
  }

  it('hands the sink the same events, in offset order, as inline encoding', async () => {
    await store.commitBlob(
      makeBlob(),
      Array.from({ length: 30 }, () => makeRecord({}, { recordType: 28, verdict: 'Phish' })),
    );
    const stored = await store.readFrom(0, 100);
    pool = await startEncodePool({ workers: 2 });
    const sink = await deliverAll(pool, 30);
    expect(sink.received).toEqual(encodeRecords(stored, getFormat('cef') as Format).events);
    expect(sink.received.map((e) => e.offset)).toEqual(stored.map((r) => r.offset));
  });

  it('hands batches to the sink in offset order even when a later batch encodes long before an earlier one', async () => {
    await store.commitBlob(
      makeBlob(),
      Array.from({ length: 21 }, () => makeRecord({}, { recordType: 28, verdict: 'Phish' })),
    );
    const stored = await store.readFrom(0, 100);
    const inline = inlineEncoder();
    let calls = 0;
    // The first batch takes long; the second and third are immediate.
    const uneven: RecordEncoder = {
      encode: async (raws, format) => {
        calls += 1;
        if (calls === 1) await new Promise((r) => setTimeout(r, 150));
        return inline.encode(raws, format);
      },
      close: async () => undefined,
    };
    const sink = await deliverAll(uneven, 21);
    expect(calls).toBe(3);
    expect(sink.received.map((e) => e.offset)).toEqual(stored.map((r) => r.offset));
  });

  it('encodes a batch inline when the pool fails it, and still delivers it whole', async () => {
    await store.commitBlob(
      makeBlob(),
      Array.from({ length: 10 }, () => makeRecord({}, { recordType: 41 })),
    );
    const stored = await store.readFrom(0, 100);
    let calls = 0;
    const failing: RecordEncoder = {
      encode: async () => {
        calls += 1;
        throw new Error('encode worker exited (1)');
      },
      close: async () => undefined,
    };
    const sink = await deliverAll(failing, 10);
    expect(calls).toBeGreaterThan(0);
    expect(sink.received).toEqual(encodeRecords(stored, getFormat('cef') as Format).events);
  });

  it('turns a payload the pool could not encode into a dead letter with the reason, as inline does', () => {
    const records = [
      { offset: 1, tenantId: 't', id: 'x', raw: '{}', index: { recordType: 28 } },
    ] as StoredRecord[];
    const format = getFormat('cef') as Format;
    const { events, failed } = assembleEncoded(records, format, [{ error: 'bad\nvalue' }]);
    expect(events).toEqual([]);
    expect(failed).toEqual([
      { offset: 1, tenantId: 't', recordId: 'x', raw: '{}', reason: 'encoding as cef failed: bad value' },
    ]);
    expect(() => assembleEncoded(records, format, [])).toThrow(/answered 0 payloads for 1 records/);
  });
});
