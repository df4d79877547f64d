import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isConnectorError } from '../api/errors.js';
import { Secret } from '../config/secret.js';
import {
  startWebhookReceiver,
  verifyWebhookSignature,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '../../test/servers/webhook.js';
import { contractEvents, runSinkContract, type SinkHarness } from './sink.contract.js';
import type { SendResult, Sink } from './types.js';
import { createWebhookSink, webhookSink, webhookBatchId, type WebhookSinkDeps } from './webhook.js';

const logger = pino({ level: 'silent' });
const SECRET = 'whsec-7c1f0b9e4a6d2385f0e1c9b7a4d6e2f1';
const OTHER_SECRET = 'whsec-00000000000000000000000000000000';

let certDir: string;
let tls: { cert: string; key: string };

beforeAll(() => {
  certDir = mkdtempSync(path.join(tmpdir(), 'atp-webhook-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
    ].concat(
      ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ['-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem')],
    ),
    { stdio: 'ignore' },
  );
  tls = {
    cert: readFileSync(path.join(certDir, 'cert.pem'), 'utf8'),
    key: readFileSync(path.join(certDir, 'key.pem'), 'utf8'),
  };
});

afterAll(() => {
  rmSync(certDir, { recursive: true, force: true });
});

/** Parses a sink entry and resolves its secrets the way the config loader does. */
function configOf(
  extra: Record<string, unknown>,
  secret = SECRET,
  headerSecrets: Record<string, string> = {},
) {
  const parsed = webhookSink.configSchema.parse({
    name: 'soar',
    type: 'webhook',
    secret: { env: 'ATP_WEBHOOK_SECRET' },
    ...extra,
  });
  const headers = { ...parsed.headers };
  for (const [name, value] of Object.entries(headerSecrets)) headers[name] = new Secret(value);
  return { ...parsed, secret: new Secret(secret), headers };
}

async function startWebhookHarness(): Promise<SinkHarness> {
  const receiver = await startWebhookReceiver({ secret: SECRET, tls });
  const config = configOf({ url: receiver.url, tls: { ca_file: 'cert.pem' } });
  const sink = createWebhookSink(config, { logger, baseDir: certDir });
  return {
    sink,
    format: config.format,
    received: () => Promise.resolve([...receiver.events]),
    fail: (mode) => Promise.resolve(receiver.fail(mode)),
    heal: () => Promise.resolve(receiver.heal()),
    async close() {
      await sink.close();
      await receiver.close();
    },
  };
}

runSinkContract('webhook', startWebhookHarness, { failures: ['unavailable', 'reset', 'hang', 'reject'] });

const ok = () => AbortSignal.timeout(10_000);
const reasonOf = (r: SendResult) => (r.outcome === 'retryable' || r.outcome === 'rejected' ? r.reason : '');

describe('webhook sink', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  const receive = async (options: Partial<WebhookReceiverOptions> = {}): Promise<WebhookReceiver> => {
    const receiver = await startWebhookReceiver({ secret: SECRET, ...options });
    open.push(receiver);
    return receiver;
  };
  const start = (
    extra: Record<string, unknown>,
    options: { secret?: string; headerSecrets?: Record<string, string>; deps?: WebhookSinkDeps } = {},
  ): Sink => {
    const config = configOf(extra, options.secret, options.headerSecrets);
    const sink = createWebhookSink(config, { logger, baseDir: certDir }, options.deps);
    open.push(sink);
    return sink;
  };

  it('posts {"events":[...]} as JSON with the timestamp, signature and batch id headers', async () => {
    const clock = Date.parse('2026-12-02T07:00:00.900Z');
    const receiver = await receive({ now: () => clock });
    const batch = contractEvents(3, 'ecs');
    const result = await start({ url: receiver.url }, { deps: { now: () => clock } }).send(batch, ok());
    expect(result).toEqual({ outcome: 'delivered' });
    const [request] = receiver.requests;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-atp-siem-timestamp']).toBe(String(Math.floor(clock / 1000)));
    expect(request?.headers['x-atp-siem-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(request?.headers['x-atp-siem-batch-id']).toBe(webhookBatchId(batch));
    expect(request?.body.toString('utf8')).toBe(`{"events":[${batch.map((e) => e.payload).join(',')}]}`);
  });

  it('signs so that the request verifies with the secret and fails with another', async () => {
    const receiver = await receive();
    await start({ url: receiver.url }).send(contractEvents(2, 'ecs'), ok());
    const request = receiver.requests[0]!;
    const check = (secret: string, body = request.body) =>
      verifyWebhookSignature({
        secret,
        timestamp: request.headers['x-atp-siem-timestamp'],
        signature: request.headers['x-atp-siem-signature'],
        body,
        nowSeconds: Date.now() / 1000,
      });
    expect(check(SECRET).ok).toBe(true);
    expect(check(OTHER_SECRET)).toEqual({ ok: false, why: 'bad-signature' });
    const tampered = Buffer.from(request.body.toString('utf8').replace('Contract', 'Kontract'));
    expect(check(SECRET, tampered)).toEqual({ ok: false, why: 'bad-signature' });
  });

  it('is refused by a receiver with another secret, and answers retryable and blocked', async () => {
    const receiver = await receive({ secret: OTHER_SECRET });
    const result = await start({ url: receiver.url }).send(contractEvents(2, 'ecs'), ok());
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(receiver.counts.badSignature).toBe(1);
    expect(receiver.events).toEqual([]);
  });

  it('lets the reference receiver refuse a captured request replayed after the window, and not process it twice within', async () => {
    let receiverClock = Date.now();
    const receiver = await receive({ now: () => receiverClock });
    await start({ url: receiver.url }).send(contractEvents(2, 'ecs'), ok());
    const captured = receiver.requests[0]!;
    expect(await receiver.replay(captured)).toBe(200);
    expect(receiver.counts.replayed).toBe(1);
    expect(receiver.events).toHaveLength(2);
    receiverClock += 301_000;
    expect(await receiver.replay(captured)).toBe(401);
    expect(receiver.counts.stale).toBe(1);
    expect(receiver.events).toHaveLength(2);
  });

  it('keeps the batch id across a retry (new timestamp and signature) and gives another batch another id', async () => {
    const receiver = await receive();
    let clock = Date.now();
    const sink = start({ url: receiver.url }, { deps: { now: () => clock } });
    const batch = contractEvents(3, 'ecs');
    receiver.fail('unavailable');
    expect((await sink.send(batch, ok())).outcome).toBe('retryable');
    receiver.heal();
    clock += 5_000;
    expect(await sink.send(batch, ok())).toEqual({ outcome: 'delivered' });
    const [failed, retried] = receiver.requests;
    expect(retried?.headers['x-atp-siem-batch-id']).toBe(failed?.headers['x-atp-siem-batch-id']);
    expect(retried?.headers['x-atp-siem-signature']).not.toBe(failed?.headers['x-atp-siem-signature']);
    // The receiver deduplicates the same batch sent once more (its first answer lost).
    clock += 5_000;
    expect(await sink.send(batch, ok())).toEqual({ outcome: 'delivered' });
    expect(receiver.counts.duplicateBatch).toBe(1);
    expect(receiver.events).toHaveLength(3);
    await sink.send(contractEvents(3, 'ecs'), ok());
    expect(receiver.requests[3]?.headers['x-atp-siem-batch-id']).not.toBe(
      failed?.headers['x-atp-siem-batch-id'],
    );
  });

  it('never puts the secret in a reason, or in a header other than as its HMAC', async () => {
    const receiver = await receive({ secret: OTHER_SECRET });
    const sink = start(
      { url: receiver.url, headers: { 'X-Source': 'atp-siem', Authorization: { env: 'GATEWAY_TOKEN' } } },
      { headerSecrets: { Authorization: 'Bearer gateway-token' } },
    );
    const reasons: string[] = [];
    reasons.push(reasonOf(await sink.send(contractEvents(1, 'ecs'), ok())));
    receiver.fail('unavailable');
    reasons.push(reasonOf(await sink.send(contractEvents(1, 'ecs'), ok())));
    receiver.fail('reject');
    reasons.push(reasonOf(await sink.send(contractEvents(1, 'ecs'), ok())));
    receiver.fail('hang');
    reasons.push(reasonOf(await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(300))));
    await receiver.close();
    reasons.push(reasonOf(await sink.send(contractEvents(1, 'ecs'), ok())));
    expect(reasons.every((r) => r.length > 0)).toBe(true);
    for (const r of reasons) expect(r).not.toContain(SECRET);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(4);
    for (const request of receiver.requests) {
      expect(request.headers.authorization).toBe('Bearer gateway-token');
      expect(request.headers['x-source']).toBe('atp-siem');
      for (const value of Object.values(request.headers)) expect(value).not.toContain(SECRET);
      expect(request.body.toString('utf8')).not.toContain(SECRET);
    }
  });

  it('gzips the body when enabled, and the signature covers the compressed bytes', async () => {
    const receiver = await receive();
    const batch = contractEvents(4, 'ecs');
    expect(await start({ url: receiver.url, gzip: true }).send(batch, ok())).toEqual({
      outcome: 'delivered',
    });
    const request = receiver.requests[0]!;
    expect(request.headers['content-encoding']).toBe('gzip');
    const doc = JSON.parse(gunzipSync(request.body).toString('utf8')) as {
      events: { event: { id: string } }[];
    };
    expect(doc.events.map((e) => e.event.id)).toEqual(batch.map((e) => e.id));
    const verdict = verifyWebhookSignature({
      secret: SECRET,
      timestamp: request.headers['x-atp-siem-timestamp'],
      signature: request.headers['x-atp-siem-signature'],
      body: request.body,
      nowSeconds: Date.now() / 1000,
    });
    expect(verdict.ok).toBe(true);
    expect(receiver.events).toHaveLength(4);
  });

  it('rejects a raw record that is not a JSON object alone, without sending, and retries its neighbours', async () => {
    const receiver = await receive();
    const [good, bad] = contractEvents(2, 'raw');
    const result = await start({ url: receiver.url, format: 'raw' }).send(
      [good!, { ...bad!, payload: '1]},{"forged":[' }],
      ok(),
    );
    expect(result).toMatchObject({
      outcome: 'partial',
      results: [{ status: 'retry' }, { status: 'rejected' }],
    });
    expect(receiver.requests).toEqual([]);
  });

  it('answers retryable and blocked when the receiver certificate is not trusted', async () => {
    const receiver = await receive({ tls });
    const result = await start({ url: receiver.url }).send(contractEvents(1, 'ecs'), ok());
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(reasonOf(result)).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('does not follow a redirect: retryable and blocked, nothing reaches the target', async () => {
    const receiver = await receive();
    const redirector: Server = createServer((_req, res) => {
      res.writeHead(307, { location: receiver.url });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => redirector.close(() => resolve())) });
    const port = (redirector.address() as AddressInfo).port;
    const result = await start({ url: `http://127.0.0.1:${port}/hook` }).send(contractEvents(1, 'ecs'), ok());
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(receiver.requests).toEqual([]);
  });

  describe('healthcheck', () => {
    it('passes with a signed empty events array, storing no event', async () => {
      const receiver = await receive();
      await expect(start({ url: receiver.url }).healthcheck!(ok())).resolves.toBeUndefined();
      expect(receiver.requests[0]?.body.toString('utf8')).toBe('{"events":[]}');
      expect(receiver.events).toEqual([]);
    });

    it('fails with CONFIG_INVALID when the receiver refuses the signature', async () => {
      const receiver = await receive({ secret: OTHER_SECRET });
      const err: unknown = await start({ url: receiver.url }).healthcheck!(ok()).catch((e: unknown) => e);
      expect(isConnectorError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain('check that secret');
      expect((err as Error).message).not.toContain(SECRET);
    });

    it('fails with SINK_UNAVAILABLE when the receiver answers 503 or nothing listens', async () => {
      const receiver = await receive();
      receiver.fail('unavailable');
      const sink = start({ url: receiver.url });
      const busy: unknown = await sink.healthcheck!(ok()).catch((e: unknown) => e);
      expect(isConnectorError(busy, 'SINK_UNAVAILABLE')).toBe(true);
      await receiver.close();
      const gone: unknown = await sink.healthcheck!(ok()).catch((e: unknown) => e);
      expect(isConnectorError(gone, 'SINK_UNAVAILABLE')).toBe(true);
      expect((gone as Error).message).toContain('ECONNREFUSED');
    });

    it('fails with SINK_REJECTED when the receiver refuses an empty events array', async () => {
      const receiver = await receive();
      receiver.fail('reject');
      const err: unknown = await start({ url: receiver.url }).healthcheck!(ok()).catch((e: unknown) => e);
      expect(isConnectorError(err, 'SINK_REJECTED')).toBe(true);
    });
  });

  describe('configuration', () => {
    const parse = (extra: Record<string, unknown>) =>
      webhookSink.configSchema.safeParse({
        name: 'soar',
        type: 'webhook',
        secret: { env: 'S' },
        url: 'https://soar.example.com/hook',
        ...extra,
      });
    const messages = (extra: Record<string, unknown>) => JSON.stringify(parse(extra).error?.issues ?? []);

    it('accepts https and loopback http, and refuses plain http elsewhere', () => {
      expect(parse({}).success).toBe(true);
      expect(parse({ url: 'http://127.0.0.1:8080/hook' }).success).toBe(true);
      expect(messages({ url: 'http://soar.example.com/hook' })).toContain('loopback');
    });

    it('refuses credentials in the url, a literal secret, a reserved header and a text format', () => {
      expect(messages({ url: 'https://u:p@soar.example.com/' })).toContain('user or password');
      expect(messages({ secret: 'literal' })).toContain('reference');
      expect(messages({ headers: { 'X-Atp-Siem-Signature': 'v1=00' } })).toContain('itself');
      expect(messages({ headers: { 'X-Evil': 'a\r\nInjected: 1' } })).toContain('line break');
      expect(messages({ format: 'cef' })).toContain('the webhook body is JSON');
    });

    it('refuses a secret shorter than 16 characters at start', () => {
      expect(() => start({ url: 'https://soar.example.com/hook' }, { secret: 'short' })).toThrow(
        /16 characters/,
      );
    });
  });
});
