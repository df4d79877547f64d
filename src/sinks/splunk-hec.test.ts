/**
 * The splunk-hec sink against the HEC test server (test/servers/splunk-hec.ts): the shared sink contract
 * (plain and with indexer acknowledgement), then HEC's own cases.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHecServer, type HecServer, type HecServerOptions } from '../../test/servers/splunk-hec.js';
import { Secret } from '../config/secret.js';
import type { FormatId } from '../formats/index.js';
import { createLogger } from '../telemetry/logger.js';
import { contractEvents, runSinkContract, type SinkHarness } from './sink.contract.js';
import { splunkHecSink, type SplunkHecSinkConfig } from './splunk-hec/index.js';
import { toEnvelope } from './splunk-hec/envelope.js';
import { classifyEventReply } from './splunk-hec/replies.js';
import type { SendResult, Sink, SinkEvent } from './types.js';

const logger = createLogger({ level: 'silent' });
const ENVELOPE_KEYS = ['time', 'host', 'source', 'sourcetype', 'index', 'event', 'fields'];

function hecConfig(url: string, token: string, extra: Record<string, unknown> = {}): SplunkHecSinkConfig {
  const parsed = splunkHecSink.configSchema.parse({
    name: 'splunk',
    type: 'splunk-hec',
    url,
    token: { env: 'HEC_TOKEN' },
    ...extra,
  });
  // What the config loader does with the reference.
  return { ...parsed, token: new Secret(token) };
}

interface Setup {
  hec: HecServer;
  sink: Sink;
  config: SplunkHecSinkConfig;
}

let opened: Setup[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of opened) {
    await s.sink.close();
    await s.hec.close();
  }
  opened = [];
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function setup(
  options: { server?: HecServerOptions; token?: string; config?: Record<string, unknown> } = {},
): Promise<Setup> {
  const hec = await startHecServer(options.server);
  const config = hecConfig(hec.url, hec.tokens[options.token ?? 'main'] ?? '', options.config);
  const sink = await splunkHecSink.create(config, { logger, baseDir: process.cwd() });
  const s = { hec, sink, config };
  opened.push(s);
  return s;
}

async function harness(token: string, config: Record<string, unknown> = {}): Promise<SinkHarness> {
  const hec = await startHecServer();
  const parsed = hecConfig(hec.url, hec.tokens[token] ?? '', config);
  const sink = await splunkHecSink.create(parsed, { logger, baseDir: process.cwd() });
  return {
    sink,
    format: parsed.format,
    async received(atLeast = 0) {
      await hec.waitForIndexed(atLeast, 2000).catch(() => undefined);
      return hec.indexed.map((e) => e.text);
    },
    async fail(mode) {
      if (mode === 'unavailable') hec.fail({ kind: 'busy' });
      else if (mode === 'reset') hec.fail({ kind: 'reset' });
      else if (mode === 'hang') hec.fail({ kind: 'hang' });
      // A real per-event refusal: every event is over maxEventSize, so HEC answers code 6 at event 0.
      else hec.configure({ maxEventSize: 64 });
    },
    async heal() {
      hec.heal();
      hec.configure({ maxEventSize: 5 * 1024 * 1024 });
    },
    async close() {
      await sink.close();
      await hec.close();
    },
  };
}

const FAILURES = ['unavailable', 'reset', 'hang', 'reject'] as const;
runSinkContract('splunk-hec', () => harness('main'), { failures: FAILURES });
runSinkContract(
  'splunk-hec with indexer acknowledgement',
  () => harness('ack', { ack: { enabled: true, poll_interval: '20ms' } }),
  {
    failures: FAILURES,
  },
);

/** Resolves with the first condition's value, polling every 10 ms for at most `ms`. */
async function until<T>(probe: () => T | undefined, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function reasonsOf(result: SendResult): string[] {
  if (result.outcome === 'retryable' || result.outcome === 'rejected') return [result.reason];
  if (result.outcome === 'partial')
    return result.results.flatMap((r) => (r.status === 'delivered' ? [] : [r.reason]));
  return [];
}

const idsIndexed = (hec: HecServer) => hec.indexed.map((e) => (e.event as { Id?: string }).Id);

describe('splunk-hec: partial batches (invalid-event-number)', () => {
  function batchWithBigThird(): SinkEvent[] {
    const small = contractEvents(4, 'splunk');
    const [big] = contractEvents(1, 'splunk', { Long: 'x'.repeat(6000) });
    return [small[0], small[1], big, small[2], small[3]] as SinkEvent[];
  }

  it('delivers the events before the refused one, dead-letters it with HEC’s text and retries the rest', async () => {
    const { hec, sink } = await setup({ server: { maxEventSize: 5000 } });
    const batch = batchWithBigThird();
    const result = await sink.send(batch, AbortSignal.timeout(5000));
    expect(result.outcome).toBe('partial');
    const results = result.outcome === 'partial' ? result.results : [];
    expect(results.map((r) => r.status)).toEqual(['delivered', 'delivered', 'rejected', 'retry', 'retry']);
    expect(results[2]).toMatchObject({ reason: expect.stringContaining('code 6 (Invalid data format)') });
    expect(idsIndexed(hec)).toEqual([batch[0]?.id, batch[1]?.id]);

    const again = await sink.send([batch[3], batch[4]] as SinkEvent[], AbortSignal.timeout(5000));
    expect(again).toEqual({ outcome: 'delivered' });
    expect(idsIndexed(hec)).toEqual([batch[0], batch[1], batch[3], batch[4]].map((e) => e?.id));
  });

  it('with indexer acknowledgement, sends the unacknowledged prefix again instead of counting it', async () => {
    const { sink } = await setup({
      token: 'ack',
      server: { maxEventSize: 5000 },
      config: { ack: { enabled: true, poll_interval: '20ms' } },
    });
    const result = await sink.send(batchWithBigThird(), AbortSignal.timeout(5000));
    expect(result.outcome === 'partial' && result.results.map((r) => r.status)).toEqual([
      'retry',
      'retry',
      'rejected',
      'retry',
      'retry',
    ]);
  });
});

describe('splunk-hec: indexer acknowledgement', () => {
  const ack = { ack: { enabled: true, poll_interval: '20ms' } };

  it('answers delivered only after /ack reports the ackId true', async () => {
    const { hec, sink } = await setup({ token: 'ack', config: ack, server: { indexDelayMs: Infinity } });
    let settled = false;
    const sending = sink.send(contractEvents(2, 'splunk'), AbortSignal.timeout(5000)).finally(() => {
      settled = true;
    });
    await until(() =>
      hec.requests.filter((r) => r.path === '/services/collector/ack').length >= 2 ? true : undefined,
    );
    expect(settled).toBe(false);
    expect(hec.indexed).toHaveLength(2);
    hec.releaseAcks();
    expect(await sending).toEqual({ outcome: 'delivered' });
    const polls = hec.requests.filter((r) => r.path === '/services/collector/ack');
    expect(polls.at(-1)?.reply).toEqual({ acks: { '0': true } });
  });

  it('asks for the ids of concurrent sends in one poll on the sink’s one channel', async () => {
    const { hec, sink } = await setup({ token: 'ack', config: ack, server: { indexDelayMs: Infinity } });
    const sends = [1, 2, 3].map(() => sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000)));
    const poll = await until(() =>
      hec.requests.find((r) => r.path === '/services/collector/ack' && r.body === '{"acks":[0,1,2]}'),
    );
    const channels = new Set(
      hec.requests
        .filter((r) => r.path === '/services/collector/event')
        .map((r) => r.headers['x-splunk-request-channel']),
    );
    expect(channels.size).toBe(1);
    expect(poll.headers['x-splunk-request-channel']).toBe([...channels][0]);
    hec.releaseAcks();
    expect(await Promise.all(sends)).toEqual([1, 2, 3].map(() => ({ outcome: 'delivered' })));
  });

  it('answers retryable once the signal aborts when the ack is lost, saying the batch may be doubled', async () => {
    const { sink } = await setup({ token: 'ack', config: ack, server: { loseAcks: true } });
    const started = Date.now();
    const result = await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(400));
    const took = Date.now() - started;
    expect(result.outcome).toBe('retryable');
    expect(result.outcome === 'retryable' && result.blocked).toBeFalsy();
    expect(reasonsOf(result)[0]).toMatch(/ackId 0.*may hold it twice/);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(3000);
  });

  it('gives up at ack.timeout when it is shorter than the signal', async () => {
    const { sink } = await setup({
      token: 'ack',
      config: { ack: { enabled: true, poll_interval: '20ms', timeout: '300ms' } },
      server: { loseAcks: true },
    });
    const started = Date.now();
    const result = await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(20_000));
    expect(result.outcome).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('counts HEC’s 200 as delivered when the token has acknowledgement off (no ackId)', async () => {
    const { hec, sink } = await setup({ token: 'main', config: ack });
    expect(await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000))).toEqual({
      outcome: 'delivered',
    });
    expect(hec.requests.some((r) => r.path === '/services/collector/ack')).toBe(false);
  });
});

describe('splunk-hec: the wire', () => {
  it('posts gzip envelopes back to back with the token header and one GUID channel', async () => {
    const { hec, sink } = await setup();
    await sink.send(contractEvents(3, 'splunk'), AbortSignal.timeout(5000));
    await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    const [first, second] = hec.requests;
    expect(first?.path).toBe('/services/collector/event');
    expect(first?.headers['content-encoding']).toBe('gzip');
    expect(first?.headers.authorization).toBe(`Splunk ${hec.tokens.main}`);
    expect(first?.wireBytes).toBeLessThan(Buffer.byteLength(first?.body ?? ''));
    const channel = first?.headers['x-splunk-request-channel'];
    expect(channel).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second?.headers['x-splunk-request-channel']).toBe(channel);
    const envelopes = (first?.body ?? '')
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(envelopes).toHaveLength(3);
    for (const e of envelopes) expect(Object.keys(e).every((k) => ENVELOPE_KEYS.includes(k))).toBe(true);
  });

  it('sends plain JSON when gzip is false, and the configured channel', async () => {
    const channel = randomUUID();
    const { hec, sink } = await setup({ config: { gzip: false, channel } });
    await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    expect(hec.requests[0]?.headers['content-encoding']).toBeUndefined();
    expect(hec.requests[0]?.headers['x-splunk-request-channel']).toBe(channel);
  });

  it('keeps hostile text one event, its subject intact', async () => {
    const { hec, sink } = await setup();
    const subject = 'a}{"event":"forged"}\n{"time":1,"event":"x"}\r\n\u2028"]}';
    const batch = contractEvents(2, 'splunk', { Subject: subject });
    expect(await sink.send(batch, AbortSignal.timeout(5000))).toEqual({ outcome: 'delivered' });
    expect(hec.indexed).toHaveLength(2);
    expect(hec.indexed.map((e) => (e.event as { Subject?: string }).Subject)).toEqual([subject, subject]);
  });

  it('routes with the configured index, host, source and sourcetype, keeping the format’s fields', async () => {
    const { hec, sink } = await setup({
      token: 'restricted',
      config: { index: 'o365', host: 'contoso', source: 'o365', sourcetype: 'o365:custom' },
    });
    const [event] = contractEvents(1, 'splunk');
    expect(await sink.send([event as SinkEvent], AbortSignal.timeout(5000))).toEqual({
      outcome: 'delivered',
    });
    const got = hec.indexed[0];
    expect([got?.index, got?.host, got?.source, got?.sourcetype]).toEqual([
      'o365',
      'contoso',
      'o365',
      'o365:custom',
    ]);
    const payload = JSON.parse(event?.payload ?? '{}') as Record<string, unknown>;
    expect(got?.fields).toEqual(payload.fields);
    expect(got?.time).toBe(payload.time);
    expect(got?.event).toEqual(JSON.parse(event?.raw ?? '{}'));
  });
});

describe('splunk-hec: envelopes of other formats', () => {
  const routing = { index: undefined, sourcetype: 'st', source: undefined, host: undefined };
  const cases: [FormatId, (e: SinkEvent, v: unknown) => void][] = [
    ['ecs', (e, v) => expect(v).toEqual(JSON.parse(e.payload))],
    ['ocsf', (e, v) => expect(v).toEqual(JSON.parse(e.payload))],
    ['raw', (e, v) => expect(v).toEqual(JSON.parse(e.raw))],
    ['cef', (e, v) => expect(v).toBe(e.payload)],
    ['leef', (e, v) => expect(v).toBe(e.payload)],
  ];
  for (const [format, check] of cases) {
    it(`wraps a ${format} payload as event with the record’s time and no other keys`, () => {
      const [e] = contractEvents(1, format, { Subject: 'x\ny' });
      const envelope = JSON.parse(toEnvelope(e as SinkEvent, routing)) as Record<string, unknown>;
      expect(Object.keys(envelope)).toEqual(['time', 'source', 'sourcetype', 'event']);
      expect(envelope.time).toBe(Date.parse(e?.creationTime ?? '') / 1000);
      expect([envelope.source, envelope.sourcetype]).toEqual(['atp-siem', 'st']);
      check(e as SinkEvent, envelope.event);
    });
  }

  it('keeps a splunk payload’s event and fields text verbatim and drops keys HEC does not know', () => {
    const [e] = contractEvents(1, 'splunk');
    const payload =
      '{"time":1767225600.500,"event":{"n":1.50,"s":"a\\u00e9"},"fields":{"f":["x"]},"extra":1}';
    const envelope = toEnvelope({ ...(e as SinkEvent), payload }, { ...routing, index: 'o365' });
    expect(envelope).toBe(
      '{"time":1767225600.500,"source":"atp-siem","sourcetype":"st","index":"o365","event":{"n":1.50,"s":"a\\u00e9"},"fields":{"f":["x"]}}',
    );
  });

  it('leaves time out when the record has none (HEC then uses arrival time)', () => {
    const [e] = contractEvents(1, 'cef');
    const envelope = JSON.parse(toEnvelope({ ...(e as SinkEvent), creationTime: null }, routing)) as object;
    expect('time' in envelope).toBe(false);
  });

  it('defaults the sourcetype by format: the add-on’s for splunk and raw, atp-siem:<format> otherwise', () => {
    const url = 'http://127.0.0.1:8088';
    expect(hecConfig(url, 't').sourcetype).toBe('o365:management:activity');
    expect(hecConfig(url, 't', { format: 'raw' }).sourcetype).toBe('o365:management:activity');
    expect(hecConfig(url, 't', { format: 'ecs' }).sourcetype).toBe('atp-siem:ecs');
  });
});

describe('splunk-hec: answers', () => {
  it('blocks on a disabled token, an unknown token and an index the token may not use, saying what to fix', async () => {
    const disabled = await setup({ token: 'disabled' });
    const r1 = await disabled.sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    expect(r1).toMatchObject({
      outcome: 'retryable',
      blocked: true,
      reason: expect.stringMatching(/code 1 .*enable it/),
    });

    const unknown = await setup();
    const other = await splunkHecSink.create(hecConfig(unknown.hec.url, randomUUID()), {
      logger,
      baseDir: '.',
    });
    const r2 = await other.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    await other.close();
    expect(r2).toMatchObject({
      outcome: 'retryable',
      blocked: true,
      reason: expect.stringMatching(/code 4 .*check token/),
    });

    const restricted = await setup({ token: 'restricted', config: { index: 'main' } });
    const r3 = await restricted.sink.send(contractEvents(2, 'splunk'), AbortSignal.timeout(5000));
    expect(r3).toMatchObject({
      outcome: 'retryable',
      blocked: true,
      reason: expect.stringMatching(/code 7 .*index/),
    });
    expect(restricted.hec.indexed).toHaveLength(0);
  });

  it('retries busy, internal error and unhealthy, honouring Retry-After', async () => {
    const { hec, sink } = await setup();
    const cases = [
      [{ kind: 'busy' }, /HTTP 503 code 9/],
      [{ kind: 'internal' }, /HTTP 500 code 8/],
      [{ kind: 'unhealthy' }, /HTTP 503 code 9/],
    ] as const;
    for (const [fault, reason] of cases) {
      hec.fail({ ...fault, times: 1 });
      const r = await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
      expect(r).toMatchObject({ outcome: 'retryable', reason: expect.stringMatching(reason) });
      expect(r.outcome === 'retryable' && r.blocked).toBeFalsy();
    }
    hec.fail({ kind: 'throttle', retryAfter: '7', times: 1 });
    const throttled = await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    expect(throttled).toMatchObject({ outcome: 'retryable', retryAfterMs: 7000 });
  });

  it('answers rejected on 413 so the driver splits the batch', async () => {
    const { sink } = await setup({ server: { maxContentLength: 500 }, config: { gzip: false } });
    const r = await sink.send(contractEvents(3, 'splunk'), AbortSignal.timeout(5000));
    expect(r).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('413') });
  });

  it('classifies codes HEC does not document by HTTP status, and a 200 that is no HEC reply as blocked', () => {
    const answer = (status: number, body: string) => ({
      kind: 'response' as const,
      status,
      headers: {},
      body,
    });
    expect(classifyEventReply(answer(400, '{"text":"New","code":99}'), 2, false)).toMatchObject({
      result: { outcome: 'rejected' },
    });
    expect(
      classifyEventReply(answer(503, '{"text":"Server is shutting down","code":23}'), 2, false),
    ).toMatchObject({
      result: { outcome: 'retryable' },
    });
    expect(classifyEventReply(answer(200, '<html>login</html>'), 2, false)).toMatchObject({
      result: { outcome: 'retryable', blocked: true },
    });
    expect(
      classifyEventReply(
        answer(400, '{"text":"Invalid data format","code":6,"invalid-event-number":5}'),
        2,
        false,
      ),
    ).toMatchObject({
      result: { outcome: 'rejected' },
    });
  });

  it('answers retryable when HEC cannot be reached', async () => {
    const { hec, config } = await setup();
    await hec.close();
    const sink = await splunkHecSink.create(config, { logger, baseDir: '.' });
    const r = await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000));
    await sink.close();
    expect(r).toMatchObject({ outcome: 'retryable', reason: expect.stringContaining('not reached') });
  });

  it('answers retryable for a send after close', async () => {
    const { sink } = await setup();
    await sink.close();
    expect((await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(5000))).outcome).toBe(
      'retryable',
    );
  });
});

describe('splunk-hec: the token stays secret', () => {
  it('never puts the token in a reason, even when an answer echoes it', async () => {
    const token = randomUUID();
    // A misbehaving proxy that echoes the request's Authorization header in its answers.
    const echo = createServer((req, res) => {
      const healthy = req.url?.endsWith('/health') === true;
      const body = healthy
        ? { text: 'HEC is healthy', code: 17 }
        : { text: `denied ${req.headers.authorization}`, code: 4 };
      res.writeHead(healthy ? 200 : 403, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    servers.push(echo);
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const sink = await splunkHecSink.create(hecConfig(url, token), { logger, baseDir: '.' });
    const results = [await sink.send(contractEvents(2, 'splunk'), AbortSignal.timeout(5000))];
    const err = await sink.healthcheck?.(AbortSignal.timeout(5000)).catch((e: unknown) => e);
    await sink.close();
    expect(reasonsOf(results[0] as SendResult).length).toBeGreaterThan(0);
    expect(reasonsOf(results[0] as SendResult).join(' ')).not.toContain(token);
    expect(err).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('denied Splunk [redacted]'),
    });
    expect(String((err as Error).message)).not.toContain(token);
    expect(JSON.stringify(results)).not.toContain(token);
  });

  it('keeps the token out of reasons for refused, failed and lost-ack sends', async () => {
    const { hec, sink } = await setup({
      token: 'ack',
      config: { ack: { enabled: true, poll_interval: '20ms' } },
    });
    const token = hec.tokens.ack ?? '';
    const reasons: string[] = [];
    hec.configure({ loseAcks: true });
    reasons.push(...reasonsOf(await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(300))));
    hec.fail({ kind: 'reset', times: 1 });
    reasons.push(...reasonsOf(await sink.send(contractEvents(1, 'splunk'), AbortSignal.timeout(3000))));
    hec.configure({ maxEventSize: 64 });
    reasons.push(...reasonsOf(await sink.send(contractEvents(2, 'splunk'), AbortSignal.timeout(3000))));
    expect(reasons).toHaveLength(4);
    for (const reason of reasons) expect(reason).not.toContain(token);
  });
});

describe('splunk-hec: healthcheck', () => {
  it('passes with a good token and indexes nothing', async () => {
    const { hec, sink } = await setup({ token: 'ack', config: { ack: { enabled: true } } });
    await expect(sink.healthcheck?.(AbortSignal.timeout(5000))).resolves.toBeUndefined();
    expect(hec.indexed).toHaveLength(0);
    expect(hec.requests.map((r) => r.path)).toEqual([
      '/services/collector/health',
      '/services/collector/event',
      '/services/collector/ack',
    ]);
  });

  it('says the token is unknown or disabled (CONFIG_INVALID) with the fix', async () => {
    const disabled = await setup({ token: 'disabled' });
    await expect(disabled.sink.healthcheck?.(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/token is disabled; enable it/),
    });
    const other = await splunkHecSink.create(hecConfig(disabled.hec.url, randomUUID()), {
      logger,
      baseDir: '.',
    });
    const err = await other.healthcheck?.(AbortSignal.timeout(5000)).catch((e: unknown) => e);
    await other.close();
    expect(err).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('does not know this token'),
    });
  });

  it('says ack.enabled needs acknowledgement on the token (code 14)', async () => {
    const { sink } = await setup({ token: 'main', config: { ack: { enabled: true } } });
    await expect(sink.healthcheck?.(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('set ack.enabled to false'),
    });
  });

  it('says SINK_UNAVAILABLE when HEC is unhealthy or unreachable, CONFIG_INVALID when the URL has no HEC', async () => {
    const { hec, sink } = await setup();
    hec.fail({ kind: 'unhealthy' });
    await expect(sink.healthcheck?.(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'SINK_UNAVAILABLE',
      message: expect.stringContaining('queues are full'),
    });
    hec.heal();
    const wrongPath = await splunkHecSink.create(hecConfig(`${hec.url}/splunk`, hec.tokens.main ?? ''), {
      logger,
      baseDir: '.',
    });
    const e404 = await wrongPath.healthcheck?.(AbortSignal.timeout(5000)).catch((e: unknown) => e);
    await wrongPath.close();
    expect(e404).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('set url to the HEC base URL'),
    });
    await hec.close();
    await expect(sink.healthcheck?.(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'SINK_UNAVAILABLE',
      message: expect.stringContaining('cannot reach HEC'),
    });
  });
});

describe('splunk-hec: configuration', () => {
  const parse = (extra: Record<string, unknown>) =>
    splunkHecSink.configSchema.safeParse({ name: 's', type: 'splunk-hec', token: { env: 'T' }, ...extra });

  it('refuses plain http to a non-loopback host and takes https', () => {
    const refused = parse({ url: 'http://splunk.example:8088' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain('use https://');
    expect(parse({ url: 'https://splunk.example:8088' }).success).toBe(true);
  });

  it('drops a pasted /services/collector path from url', () => {
    const parsed = parse({ url: 'https://splunk.example:8088/services/collector/event/' });
    expect(parsed.success && parsed.data.url).toBe('https://splunk.example:8088');
  });

  it('refuses a channel that is not a GUID, unknown keys and a token written as a value', () => {
    expect(parse({ url: 'https://s:8088', channel: 'abc' }).success).toBe(false);
    expect(parse({ url: 'https://s:8088', indexx: 'o365' }).success).toBe(false);
    expect(parse({ url: 'https://s:8088', token: 'raw-token' }).success).toBe(false);
  });

  it('defaults gzip on, acknowledgement off, poll every 1s for up to 30s', () => {
    const parsed = parse({ url: 'https://s:8088' });
    expect(parsed.success && [parsed.data.gzip, parsed.data.ack, parsed.data.format]).toEqual([
      true,
      { enabled: false, pollIntervalMs: 1000, timeoutMs: 30_000 },
      'splunk',
    ]);
  });
});
