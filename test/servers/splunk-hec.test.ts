/**
 * The HEC test server against the spec's checklist (siem-http-sinks.md §5, Splunk HEC items 1-8), so the
 * sink's tests rest on a server that answers like Splunk.
 */
import { randomUUID } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHecServer, type HecServer, type HecServerOptions } from './splunk-hec.js';

let hec: HecServer;
afterEach(async () => {
  await hec?.close();
});

async function start(options: HecServerOptions = {}): Promise<HecServer> {
  hec = await startHecServer(options);
  return hec;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

async function call(
  path: string,
  init: {
    method?: 'GET' | 'POST' | 'HEAD' | 'OPTIONS';
    body?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const res = await request(`${hec.url}${path}`, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
  });
  const text = await res.body.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

const auth = (token = hec.tokens.main ?? '') => ({ authorization: `Splunk ${token}` });
const env = (event: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ event, ...extra });

describe('HEC test server: routes (checklist 1)', () => {
  it('takes envelopes on /services/collector, /event and /event/1.0', async () => {
    await start();
    for (const path of [
      '/services/collector',
      '/services/collector/event',
      '/services/collector/event/1.0',
    ]) {
      const r = await call(path, { body: env(path), headers: auth() });
      expect(r.json).toEqual({ text: 'Success', code: 0 });
    }
    expect(hec.indexed.map((e) => e.event)).toEqual([
      '/services/collector',
      '/services/collector/event',
      '/services/collector/event/1.0',
    ]);
  });

  it('takes raw lines on /raw and /raw/1.0, one event per line', async () => {
    await start();
    await call('/services/collector/raw', { body: 'one\ntwo\n', headers: auth() });
    await call('/services/collector/raw/1.0?sourcetype=x', { body: 'three', headers: auth() });
    expect(hec.indexed.map((e) => [e.route, e.event])).toEqual([
      ['raw', 'one'],
      ['raw', 'two'],
      ['raw', 'three'],
    ]);
    expect(hec.indexed[2]?.sourcetype).toBe('x');
  });

  it('answers health with code 17 on both paths without a token', async () => {
    await start();
    for (const path of ['/services/collector/health', '/services/collector/health/1.0']) {
      const r = await call(path, { method: 'GET' });
      expect([r.status, r.json]).toEqual([200, { text: 'HEC is healthy', code: 17 }]);
      expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
    }
  });

  it('answers an unknown path 404 and GET on /event 405, both with the not-found body', async () => {
    await start();
    const body = { text: 'The requested URL was not found on this server.', code: 404 };
    const missing = await call('/services/collector/nope', { body: 'x', headers: auth() });
    expect([missing.status, missing.json]).toEqual([404, body]);
    const wrong = await call('/services/collector/event', { method: 'GET', headers: auth() });
    expect([wrong.status, wrong.json]).toEqual([405, body]);
  });

  it('answers OPTIONS 200, empty, with Allow and no token', async () => {
    await start();
    const event = await call('/services/collector/event', { method: 'OPTIONS' });
    expect([event.status, event.text, event.headers.allow]).toEqual([200, '', 'POST,OPTIONS']);
    const health = await call('/services/collector/health', { method: 'OPTIONS' });
    expect(health.headers.allow).toBe('GET,HEAD,OPTIONS');
  });
});

describe('HEC test server: authentication (checklist 2)', () => {
  it('answers 401 code 2 without a header and 401 code 3 for another scheme', async () => {
    await start();
    const none = await call('/services/collector/event', { body: env('x') });
    expect([none.status, none.json?.code]).toEqual([401, 2]);
    const bearer = await call('/services/collector/event', {
      body: env('x'),
      headers: { authorization: `Bearer ${hec.tokens.main}` },
    });
    expect([bearer.status, bearer.json?.code]).toEqual([401, 3]);
  });

  it('answers 403 code 4 for an unknown token and 403 code 1 for a disabled one', async () => {
    await start();
    const unknown = await call('/services/collector/event', { body: env('x'), headers: auth(randomUUID()) });
    expect([unknown.status, unknown.json]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    const disabled = await call('/services/collector/event', {
      body: env('x'),
      headers: auth(hec.tokens.disabled),
    });
    expect([disabled.status, disabled.json]).toEqual([403, { text: 'Token disabled', code: 1 }]);
    expect(hec.indexed).toHaveLength(0);
  });

  it('accepts Basic with any user and the token as password', async () => {
    await start();
    const basic = Buffer.from(`anyone:${hec.tokens.main}`).toString('base64');
    const r = await call('/services/collector/event', {
      body: env('x'),
      headers: { authorization: `Basic ${basic}` },
    });
    expect(r.json?.code).toBe(0);
  });

  it('accepts ?token= only for a token that allows it (else 400 code 16), and the query wins', async () => {
    await start();
    const refused = await call(`/services/collector/event?token=${hec.tokens.main}`, { body: env('x') });
    expect([refused.status, refused.json?.code]).toEqual([400, 16]);
    const allowed = await call(`/services/collector/event?token=${hec.tokens.query}`, {
      body: env('x'),
      headers: auth(randomUUID()),
    });
    expect(allowed.json?.code).toBe(0);
    const queryUnknown = await call(`/services/collector/event?token=${randomUUID()}`, {
      body: env('x'),
      headers: auth(),
    });
    expect([queryUnknown.status, queryUnknown.json?.code]).toEqual([403, 4]);
    expect(hec.indexed.map((e) => e.token)).toEqual(['query']);
  });
});

describe('HEC test server: bodies (checklist 3)', () => {
  it('indexes back-to-back envelopes with or without whitespace, in order, whatever the Content-Type', async () => {
    await start();
    const body = `${env('a')}${env('b')}\n ${env('c')}\r\n`;
    const r = await call('/services/collector/event', {
      body,
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.json?.code).toBe(0);
    expect(hec.indexed.map((e) => e.event)).toEqual(['a', 'b', 'c']);
    expect(hec.indexed[0]?.index).toBe('main');
  });

  it('inflates a gzip body and records the inflated text', async () => {
    await start();
    const body = env({ n: 1 }) + env({ n: 2 });
    const r = await call('/services/collector/event', {
      body: gzipSync(body),
      headers: { ...auth(), 'content-encoding': 'gzip' },
    });
    expect(r.json?.code).toBe(0);
    expect(hec.indexed.map((e) => e.event)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(hec.requests[0]?.body).toBe(body);
    expect(hec.requests[0]?.wireBytes).toBe(gzipSync(body).length);
  });

  it('answers deflate with 415 and an HTML page', async () => {
    await start();
    const r = await call('/services/collector/event', {
      body: deflateSync(env('x')),
      headers: { ...auth(), 'content-encoding': 'deflate' },
    });
    expect(r.status).toBe(415);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(hec.indexed).toHaveLength(0);
  });
});

describe('HEC test server: per-object errors (checklist 4)', () => {
  async function postEvents(body: string, token = hec.tokens.main) {
    return call('/services/collector/event', { body, headers: auth(token) });
  }

  it('answers an empty body with 400 code 5', async () => {
    await start();
    const r = await postEvents('  \n');
    expect([r.status, r.json]).toEqual([400, { text: 'No data', code: 5 }]);
  });

  it('answers bad JSON at object 1 with code 6 and invalid-event-number 1, keeping object 0 only', async () => {
    await start();
    const r = await postEvents(`${env('zero')}{"event":"one",}${env('two')}`);
    expect([r.status, r.json]).toEqual([
      400,
      { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 },
    ]);
    expect(hec.indexed.map((e) => e.event)).toEqual(['zero']);
  });

  it('answers a non-numeric time and an event over maxEventSize with code 6 at their position', async () => {
    await start({ maxEventSize: 200 });
    const badTime = await postEvents(`${env('a')}${env('b', { time: 'yesterday' })}`);
    expect(badTime.json).toMatchObject({ code: 6, 'invalid-event-number': 1 });
    const big = await postEvents(`${env('c')}${env('d')}${env('x'.repeat(300))}`);
    expect(big.json).toMatchObject({ code: 6, 'invalid-event-number': 2 });
    expect(hec.indexed.map((e) => e.event)).toEqual(['a', 'c', 'd']);
  });

  it('takes time as a number or a numeric string', async () => {
    await start();
    const r = await postEvents(`${env('a', { time: 1767225600.123 })}${env('b', { time: '1767225601' })}`);
    expect(r.json?.code).toBe(0);
    expect(hec.indexed.map((e) => e.time)).toEqual([1767225600.123, '1767225601']);
  });

  it('answers an index the token may not use with code 7, its number one too high as observed', async () => {
    await start();
    const r = await postEvents(
      `${env('a', { index: 'o365' })}${env('b', { index: 'main' })}`,
      hec.tokens.restricted,
    );
    expect([r.status, r.json]).toEqual([
      400,
      { text: 'Incorrect index', code: 7, 'invalid-event-number': 2 },
    ]);
    expect(hec.indexed.map((e) => [e.event, e.index])).toEqual([['a', 'o365']]);
  });

  it('answers a missing event with 12, a blank one with 13, nested fields with 15', async () => {
    await start();
    const missing = await postEvents(`${env('a')}${JSON.stringify({ host: 'h' })}`);
    expect(missing.json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 1 });
    const blank = await postEvents(env('  '));
    expect(blank.json).toEqual({ text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 });
    const nested = await postEvents(env('b', { fields: { ok: ['x', 'y'], bad: { deep: 1 } } }));
    expect(nested.json).toEqual({
      text: 'Error in handling indexed fields',
      code: 15,
      'invalid-event-number': 0,
    });
    expect(hec.indexed.map((e) => e.event)).toEqual(['a']);
  });

  it('stops silently at an unknown top-level key (200), or answers code 5 when it is the only object', async () => {
    await start();
    const mid = await postEvents(`${env('a')}${env('b', { extra: 1 })}${env('c')}`);
    expect([mid.status, mid.json?.code]).toEqual([200, 0]);
    const only = await postEvents(env('d', { extra: 1 }));
    expect([only.status, only.json?.code]).toEqual([400, 5]);
    expect(hec.indexed.map((e) => e.event)).toEqual(['a']);
  });

  it('indexes objects with unknown keys in the lenient mode', async () => {
    await start({ unknownKeys: 'ignore' });
    await postEvents(`${env('a')}${env('b', { extra: 1 })}`);
    expect(hec.indexed.map((e) => e.event)).toEqual(['a', 'b']);
  });

  it('drops the prefix too when told to follow the events_processed=0 hint', async () => {
    await start({ indexPrefixOnError: false });
    const r = await postEvents(`${env('a')}${env('')}`);
    expect(r.json?.code).toBe(13);
    expect(hec.indexed).toHaveLength(0);
  });
});

describe('HEC test server: max_content_length (checklist 5)', () => {
  it('answers 413 over max_content_length on the wire, and indexes nothing', async () => {
    await start({ maxContentLength: 100 });
    const r = await call('/services/collector/event', { body: env('x'.repeat(200)), headers: auth() });
    expect(r.status).toBe(413);
    const small = await call('/services/collector/event', { body: env('y'), headers: auth() });
    expect(small.status).toBe(200);
    expect(hec.indexed.map((e) => e.event)).toEqual(['y']);
  });

  it('counts inflated bytes when set to', async () => {
    await start({ maxContentLength: 300, contentLengthCounts: 'inflated' });
    const body = gzipSync(env('x'.repeat(1000)));
    expect(body.length).toBeLessThan(300);
    const r = await call('/services/collector/event', {
      body,
      headers: { ...auth(), 'content-encoding': 'gzip' },
    });
    expect(r.status).toBe(413);
  });
});

describe('HEC test server: channels and acks (checklist 6)', () => {
  const ch = (channel: string) => ({ 'x-splunk-request-channel': channel });
  async function postAck(channel: string | null, body = env('x'), token = hec.tokens.ack) {
    return call('/services/collector/event', {
      body,
      headers: { ...auth(token), ...(channel === null ? {} : ch(channel)) },
    });
  }
  async function poll(channel: string, acks: number[], token = hec.tokens.ack) {
    return call(`/services/collector/ack?channel=${channel}`, {
      body: JSON.stringify({ acks }),
      headers: auth(token),
    });
  }

  it('requires a channel for an ack token (code 10; 28 in Cloud mode) and a GUID (code 11)', async () => {
    await start();
    expect((await postAck(null)).json).toEqual({ text: 'Data channel is missing', code: 10 });
    expect((await postAck('not-a-guid')).json).toEqual({ text: 'Invalid data channel', code: 11 });
    await hec.close();
    await start({ cloud: true });
    const cloud = await postAck(null);
    expect([cloud.status, cloud.json?.code]).toEqual([400, 28]);
    expect(hec.indexed).toHaveLength(0);
  });

  it('takes a post without a channel on a token without useACK, and gives no ackId', async () => {
    await start();
    const r = await postAck(null, env('x'), hec.tokens.main);
    expect(r.json).toEqual({ text: 'Success', code: 0 });
  });

  it('numbers acks 0, 1, 2 per channel, the channel from the header or the query', async () => {
    await start();
    const a = randomUUID();
    const b = randomUUID();
    expect((await postAck(a)).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect((await postAck(a)).json?.ackId).toBe(1);
    const viaQuery = await call(`/services/collector/event?channel=${b}`, {
      body: env('x'),
      headers: auth(hec.tokens.ack),
    });
    expect(viaQuery.json?.ackId).toBe(0);
    expect((await postAck(a)).json?.ackId).toBe(2);
  });

  it('answers /ack with string keys, true once, false for unknown and foreign ids', async () => {
    await start();
    const a = randomUUID();
    const b = randomUUID();
    await postAck(a);
    await postAck(a);
    const first = await poll(a, [0, 1, 7]);
    expect([first.status, first.json]).toEqual([200, { acks: { '0': true, '1': true, '7': false } }]);
    expect((await poll(a, [0, 1])).json).toEqual({ acks: { '0': false, '1': false } });
    await postAck(a);
    expect((await poll(b, [2])).json).toEqual({ acks: { '2': false } });
    expect((await poll(a, [2])).json).toEqual({ acks: { '2': true } });
  });

  it('answers /ack with code 14 for a token without useACK', async () => {
    await start();
    const r = await poll(randomUUID(), [0], hec.tokens.main);
    expect([r.status, r.json]).toEqual([400, { text: 'ACK is disabled', code: 14 }]);
  });

  it('holds an ack false until the index delay has passed on the injected clock', async () => {
    let now = 1_000_000;
    await start({ clock: () => now, indexDelayMs: 5_000 });
    const a = randomUUID();
    await postAck(a);
    expect((await poll(a, [0])).json).toEqual({ acks: { '0': false } });
    now += 5_000;
    expect((await poll(a, [0])).json).toEqual({ acks: { '0': true } });
  });

  it('releases held acks on cue', async () => {
    await start({ indexDelayMs: Number.POSITIVE_INFINITY });
    const a = randomUUID();
    await postAck(a);
    expect((await poll(a, [0])).json).toEqual({ acks: { '0': false } });
    hec.releaseAcks();
    expect((await poll(a, [0])).json).toEqual({ acks: { '0': true } });
  });

  it('never turns a lost ack true, while the event is still indexed', async () => {
    await start({ loseAcks: true });
    const a = randomUUID();
    await postAck(a);
    hec.releaseAcks();
    expect((await poll(a, [0])).json).toEqual({ acks: { '0': false } });
    expect(hec.indexed).toHaveLength(1);
    expect(hec.pendingAcks(a)).toEqual([0]);
  });

  it('drops a channel idle longer than maxIdleTime with its statuses, and restarts its ids at 0', async () => {
    let now = 1_000_000;
    await start({ clock: () => now });
    const a = randomUUID();
    await postAck(a);
    await postAck(a);
    now += 600_001;
    expect((await poll(a, [0, 1])).json).toEqual({ acks: { '0': false, '1': false } });
    expect((await postAck(a)).json?.ackId).toBe(0);
  });

  it('keeps a channel that was used within maxIdleTime', async () => {
    let now = 1_000_000;
    await start({ clock: () => now });
    const a = randomUUID();
    await postAck(a);
    now += 400_000;
    await postAck(a);
    now += 400_000;
    expect((await poll(a, [0, 1])).json).toEqual({ acks: { '0': true, '1': true } });
  });
});

describe('HEC test server: faults (checklist 7)', () => {
  it('answers busy 503 code 9, internal 500 code 8, throttle 429 with Retry-After', async () => {
    await start();
    hec.fail({ kind: 'busy', times: 1 });
    const busy = await call('/services/collector/event', { body: env('x'), headers: auth() });
    expect([busy.status, busy.json]).toEqual([503, { text: 'Server is busy', code: 9 }]);
    hec.fail({ kind: 'internal', times: 1 });
    const internal = await call('/services/collector/event', { body: env('x'), headers: auth() });
    expect([internal.status, internal.json?.code]).toEqual([500, 8]);
    hec.fail({ kind: 'throttle', retryAfter: '7', times: 1 });
    const throttled = await call('/services/collector/event', { body: env('x'), headers: auth() });
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '7']);
    const healed = await call('/services/collector/event', { body: env('y'), headers: auth() });
    expect(healed.status).toBe(200);
    expect(hec.indexed.map((e) => e.event)).toEqual(['y']);
  });

  it('answers health 503 code 18 while unhealthy, and posts 503 code 9', async () => {
    await start();
    hec.fail({ kind: 'unhealthy' });
    const health = await call('/services/collector/health', { method: 'GET' });
    expect([health.status, health.json]).toEqual([
      503,
      { text: 'HEC is unhealthy, queues are full', code: 18 },
    ]);
    const post = await call('/services/collector/event', { body: env('x'), headers: auth() });
    expect([post.status, post.json?.code]).toEqual([503, 9]);
    hec.heal();
    expect((await call('/services/collector/health', { method: 'GET' })).json?.code).toBe(17);
  });

  it('cuts the connection mid-body on reset, indexing nothing', async () => {
    await start();
    hec.fail({ kind: 'reset' });
    await expect(
      call('/services/collector/event', { body: env('x'.repeat(100_000)), headers: auth() }),
    ).rejects.toThrow();
    expect(hec.indexed).toHaveLength(0);
  });

  it('answers after delayMs when slow', async () => {
    await start();
    hec.fail({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    const r = await call('/services/collector/event', { body: env('x'), headers: auth() });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('never answers while hanging, and close() still ends', async () => {
    await start();
    hec.fail({ kind: 'hang' });
    const pending = request(`${hec.url}/services/collector/event`, {
      method: 'POST',
      body: env('x'),
      headers: auth(),
      signal: AbortSignal.timeout(300),
    });
    await expect(pending).rejects.toThrow();
    await hec.waitForRequests(1);
    expect(hec.requests[0]?.status).toBe(0);
  });

  it('applies a fault only to its routes', async () => {
    await start();
    hec.fail({ kind: 'busy', routes: ['ack'] });
    expect((await call('/services/collector/event', { body: env('x'), headers: auth() })).status).toBe(200);
    const ack = await call(`/services/collector/ack?channel=${randomUUID()}`, {
      body: '{"acks":[0]}',
      headers: auth(hec.tokens.ack),
    });
    expect(ack.status).toBe(503);
  });
});

describe('HEC test server: records (checklist 8)', () => {
  it('records each request with headers, inflated body and answer, and each indexed event', async () => {
    await start();
    const channel = randomUUID();
    const body = env(
      { k: 'v' },
      { sourcetype: 'st', host: 'h', source: 's', index: 'i', fields: { f: 'x' } },
    );
    await call('/services/collector/event', {
      body: gzipSync(body),
      headers: { ...auth(), 'content-encoding': 'gzip', 'x-splunk-request-channel': channel },
    });
    expect(hec.requests).toHaveLength(1);
    const rec = hec.requests[0];
    expect(rec?.headers.authorization).toBe(`Splunk ${hec.tokens.main}`);
    expect([rec?.method, rec?.path, rec?.body, rec?.status, rec?.reply]).toEqual([
      'POST',
      '/services/collector/event',
      body,
      200,
      { text: 'Success', code: 0 },
    ]);
    expect(hec.indexed[0]).toEqual({
      token: 'main',
      channel,
      route: 'event',
      index: 'i',
      time: undefined,
      host: 'h',
      source: 's',
      sourcetype: 'st',
      event: { k: 'v' },
      fields: { f: 'x' },
      text: body,
    });
  });
});
