import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startSentinelServer,
  type SentinelServer,
  type SentinelServerOptions,
} from '../../test/servers/sentinel.js';
import { selfSigned } from '../api/testing/pki.js';
import { isConnectorError } from '../api/errors.js';
import { Secret } from '../config/secret.js';
import { sentinelSink, type SentinelSinkConfig } from './sentinel/index.js';
import { contractEvents, runSinkContract, type FailureMode, type SinkHarness } from './sink.contract.js';
import type { SendResult, Sink } from './types.js';

const logger = pino({ level: 'silent' });
let pkiDir: string;

beforeAll(async () => {
  pkiDir = mkdtempSync(path.join(tmpdir(), 'atp-sentinel-sink-'));
  await (await startSentinelServer({ pkiDir })).close();
  selfSigned(pkiDir, 'app.pem', 'app.key', '/CN=atp-siem sentinel app');
});

afterAll(() => {
  rmSync(pkiDir, { recursive: true, force: true });
});

function entryFor(azure: SentinelServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'sentinel',
    type: 'sentinel',
    endpoint: azure.ingestUrl,
    dcr_immutable_id: azure.dcrImmutableId,
    stream: azure.stream,
    tenant_id: azure.tenantId,
    client_id: azure.clientId,
    client_secret: { env: 'SENTINEL_SECRET' },
    authority: azure.loginUrl,
    tls: { ca_file: azure.caFile },
    ...extra,
  };
}

/** The parsed config, with the secret the loader would have resolved. */
function configFor(azure: SentinelServer, extra: Record<string, unknown> = {}, secret = azure.clientSecret) {
  const parsed = sentinelSink.configSchema.parse(entryFor(azure, extra));
  return { ...parsed, clientSecret: parsed.clientSecret === undefined ? undefined : new Secret(secret) };
}

async function within<T>(what: () => T, done: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = what();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    value = what();
  }
  return value;
}

async function startHarness(
  options: SentinelServerOptions = {},
): Promise<SinkHarness & { azure: SentinelServer }> {
  const azure = await startSentinelServer({ pkiDir, ...options });
  const sink = await sentinelSink.create(configFor(azure), { logger, baseDir: pkiDir });
  const faults: Record<FailureMode, Parameters<SentinelServer['fail']>[0]> = {
    unavailable: { kind: 'status', status: 503 },
    reset: { kind: 'reset' },
    hang: { kind: 'hang' },
    reject: { kind: 'reject' },
  };
  return {
    azure,
    sink,
    format: 'sentinel',
    received: async (atLeast = 0) =>
      (
        await within(
          () => azure.rows(),
          (rows) => rows.length >= atLeast,
        )
      ).map((r) => JSON.stringify(r.row)),
    fail: (mode) => Promise.resolve(azure.fail(faults[mode])),
    heal: () => Promise.resolve(azure.heal()),
    close: async () => {
      await sink.close();
      await azure.close();
    },
  };
}

runSinkContract('sentinel', () => startHarness(), { failures: ['unavailable', 'reset', 'hang', 'reject'] });

const reasonsOf = (result: SendResult): string[] =>
  result.outcome === 'partial'
    ? result.results.flatMap((r) => (r.status === 'delivered' ? [] : [r.reason]))
    : result.outcome === 'delivered'
      ? []
      : [result.reason];

describe('sentinel sink', () => {
  let azure: SentinelServer;
  let sink: Sink | undefined;

  async function open(
    options: SentinelServerOptions = {},
    extra: Record<string, unknown> = {},
    secret?: string,
  ): Promise<Sink> {
    azure = await startSentinelServer({ pkiDir, ...options });
    sink = await sentinelSink.create(configFor(azure, extra, secret ?? azure.clientSecret), {
      logger,
      baseDir: pkiDir,
    });
    return sink;
  }

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await azure?.close();
  });

  it('splits a batch over 1 MB into requests of at most 1,000,000 bytes and every row arrives, in order', async () => {
    const s = await open();
    const batch = contractEvents(12, 'sentinel', { Subject: 's'.repeat(100_000) });
    expect(batch.reduce((n, e) => n + Buffer.byteLength(e.payload), 0)).toBeGreaterThan(2_000_000);
    expect(await s.send(batch, AbortSignal.timeout(20_000))).toEqual({ outcome: 'delivered' });
    expect(azure.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of azure.requests) {
      expect(r.status).toBe(204);
      expect(r.contentEncoding).toBe('gzip');
      expect(r.bodyBytes).toBeLessThanOrEqual(1_000_000);
    }
    expect(azure.rows().map((r) => r.row.Id)).toEqual(batch.map((e) => e.id));
    const ids = azure.requests.map((r) => r.clientRequestId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('rejects a single row over the request limit alone, with the reason, and delivers its neighbours', async () => {
    const s = await open();
    const [a, b, c] = [
      ...contractEvents(1, 'sentinel'),
      ...contractEvents(1, 'sentinel', { Subject: 'h'.repeat(1_100_000) }),
      ...contractEvents(1, 'sentinel'),
    ];
    const result = await s.send([a!, b!, c!], AbortSignal.timeout(20_000));
    expect(result).toEqual({
      outcome: 'partial',
      results: [
        { status: 'delivered' },
        {
          status: 'rejected',
          reason: expect.stringMatching(/over the 1000000-byte Logs Ingestion request limit/),
        },
        { status: 'delivered' },
      ],
    });
    expect(azure.rows().map((r) => r.row.Id)).toEqual([a!.id, c!.id]);
  });

  it('sends without gzip when gzip is off, still within the limit', async () => {
    const s = await open({}, { gzip: false });
    expect(await s.send(contractEvents(3, 'sentinel'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(azure.requests.map((r) => r.contentEncoding)).toEqual([undefined]);
  });

  it('splits a request the service answers 413 and delivers every row', async () => {
    const s = await open({ maxBodyBytes: 300_000 }, { gzip: false });
    const batch = contractEvents(6, 'sentinel', { Subject: 'q'.repeat(60_000) });
    expect(await s.send(batch, AbortSignal.timeout(20_000))).toEqual({ outcome: 'delivered' });
    expect(azure.requests.some((r) => r.status === 413)).toBe(true);
    expect(azure.rows().map((r) => r.row.Id)).toEqual(batch.map((e) => e.id));
  });

  it('answers rejected for a data error when the batch is one request, so the driver bisects it', async () => {
    const s = await open({ poison: (row) => row.Subject === 'poison' });
    const batch = [...contractEvents(2, 'sentinel'), ...contractEvents(1, 'sentinel', { Subject: 'poison' })];
    const result = await s.send(batch, AbortSignal.timeout(10_000));
    expect(result).toEqual({
      outcome: 'rejected',
      reason: expect.stringContaining('HTTP 400 InvalidPayload'),
    });
    expect(azure.rows()).toHaveLength(0);
  });

  it('narrows a data error down inside a batch of several requests: only the bad row is rejected', async () => {
    const s = await open({ poison: (row) => row.Subject === 'poison' });
    const big = { Subject: 'b'.repeat(150_000) };
    const batch = [
      ...contractEvents(4, 'sentinel', big),
      ...contractEvents(1, 'sentinel', { Subject: 'poison' }),
      ...contractEvents(3, 'sentinel', big),
    ];
    const result = await s.send(batch, AbortSignal.timeout(20_000));
    expect(result.outcome).toBe('partial');
    const statuses = result.outcome === 'partial' ? result.results.map((r) => r.status) : [];
    expect(statuses).toEqual(batch.map((_, i) => (i === 4 ? 'rejected' : 'delivered')));
    expect(azure.rows()).toHaveLength(7);
  });

  it('answers partial when later requests of a batch are throttled: sent rows delivered, the rest retried after Retry-After', async () => {
    const s = await open({ rateLimit: { requests: 1, windowMs: 60_000, retryAfterSec: 5 } });
    const batch = contractEvents(10, 'sentinel', { Subject: 'r'.repeat(150_000) });
    const result = await s.send(batch, AbortSignal.timeout(20_000));
    if (result.outcome !== 'partial') throw new Error(`expected partial, got ${result.outcome}`);
    expect(result.retryAfterMs).toBe(5_000);
    const delivered = result.results.filter((r) => r.status === 'delivered').length;
    expect(delivered).toBeGreaterThan(0);
    expect(
      result.results.slice(delivered).every((r) => r.status === 'retry' && /HTTP 429/.test(r.reason)),
    ).toBe(true);
    expect(azure.rows()).toHaveLength(delivered);
  });

  it('answers retryable with Retry-After when the first request is throttled', async () => {
    const s = await open();
    azure.fail({ kind: 'status', status: 429, retryAfterSec: 7 });
    const result = await s.send(contractEvents(2, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', retryAfterMs: 7_000 });
    expect(result.outcome === 'retryable' && result.blocked).toBeFalsy();
  });

  it('acquires the token once and reuses it across sends', async () => {
    const s = await open();
    for (let i = 0; i < 3; i += 1)
      expect(await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000))).toEqual({
        outcome: 'delivered',
      });
    expect(azure.tokenRequests()).toBe(1);
  });

  it('renews the token when it is within five minutes of expiry', async () => {
    const s = await open({ tokenLifetimeSec: 120 });
    await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000));
    await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000));
    expect(azure.tokenRequests()).toBe(2);
    expect(azure.rows()).toHaveLength(2);
  });

  it('gets a new token once after a 401 and delivers with it', async () => {
    const s = await open();
    await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000));
    azure.revokeIssuedTokens();
    expect(await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(azure.tokenRequests()).toBe(2);
    expect(azure.rows()).toHaveLength(2);
  });

  it('is blocked when a fresh token is refused too, naming the audience to check', async () => {
    const s = await open();
    azure.fail({ kind: 'status', status: 401 });
    const result = await s.send(contractEvents(2, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(reasonsOf(result)[0]).toMatch(
      /newly issued token.*scope https:\/\/monitor\.azure\.com\/\.default/,
    );
    expect(azure.tokenRequests()).toBe(2);
  });

  it('is blocked on 403 with the role to assign, the rule and the client id in the reason, and no secret', async () => {
    const s = await open();
    azure.revoke(azure.clientId);
    const result = await s.send(contractEvents(2, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    const [reason] = reasonsOf(result);
    expect(reason).toContain('OperationFailed');
    expect(reason).toContain('Monitoring Metrics Publisher');
    expect(reason).toContain(azure.dcrImmutableId);
    expect(reason).toContain(azure.clientId);
    expect(reason).not.toContain(azure.clientSecret);
  });

  it('is blocked on 404 with the keys to check', async () => {
    const s = await open({}, { dcr_immutable_id: 'dcr-ffffffffffffffffffffffffffffffff' });
    const result = await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(reasonsOf(result)[0]).toMatch(/HTTP 404.*dcr_immutable_id/);
  });

  it('is blocked, not rejecting the data, when the stream is not declared by the rule', async () => {
    const s = await open({}, { stream: 'Custom-Elsewhere' });
    const result = await s.send(contractEvents(2, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(reasonsOf(result)[0]).toMatch(/InvalidStream.*Fix: set stream/);
  });

  it('is blocked when Entra ID refuses the secret, and neither the reason nor the healthcheck shows the secret', async () => {
    const wrong = 'not-the-secret~Zq8';
    const s = await open({}, {}, wrong);
    const result = await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(reasonsOf(result)[0]).toMatch(/AADSTS7000215.*Fix: check tenant_id, client_id/);
    expect(reasonsOf(result)[0]).not.toContain(wrong);
    const err = await s.healthcheck!(AbortSignal.timeout(10_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConnectorError(err, 'CONFIG_INVALID')).toBe(true);
    expect(String((err as Error).message)).not.toContain(wrong);
    expect(azure.rows()).toHaveLength(0);
  });

  it('authenticates with a certificate instead of a secret', async () => {
    const pem = readFileSync(path.join(pkiDir, 'app.pem'), 'utf8');
    const s = await open(
      { clientCertificatePem: pem },
      { client_secret: undefined, certificate: { cert_file: 'app.pem', key_file: 'app.key' } },
    );
    expect(await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(azure.rows()).toHaveLength(1);
  });

  it('passes the healthcheck with a valid app and reachable endpoint, sending no rows', async () => {
    const s = await open();
    await expect(s.healthcheck!(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
    expect(azure.tokenRequests()).toBe(1);
    expect(azure.rows()).toHaveLength(0);
  });

  it('answers retryable after close', async () => {
    const s = await open();
    await s.close();
    expect((await s.send(contractEvents(1, 'sentinel'), AbortSignal.timeout(1_000))).outcome).toBe(
      'retryable',
    );
  });
});

describe('sentinel sink configuration', () => {
  const base = {
    name: 'sentinel',
    type: 'sentinel',
    endpoint: 'https://dce-atp-abcd.westeurope-1.ingest.monitor.azure.com/',
    dcr_immutable_id: 'dcr-0123456789ABCDEF0123456789abcdef',
    stream: 'Custom-AtpSiemDefender',
    tenant_id: '7d3f9c1a-2b4e-4f60-8a71-93c5e0d2b8f4',
    client_id: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d',
    client_secret: { env: 'SENTINEL_SECRET' },
  };
  const messages = (entry: Record<string, unknown>) => {
    const r = sentinelSink.configSchema.safeParse(entry);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it('defaults to the public cloud, API 2023-01-01, gzip and the sentinel format', () => {
    const c: SentinelSinkConfig = sentinelSink.configSchema.parse(base);
    expect(c).toMatchObject({
      endpoint: 'https://dce-atp-abcd.westeurope-1.ingest.monitor.azure.com',
      dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
      apiVersion: '2023-01-01',
      authority: 'https://login.microsoftonline.com',
      scope: 'https://monitor.azure.com/.default',
      gzip: true,
      format: 'sentinel',
    });
  });

  it('takes the US Government and China authorities and audiences from cloud', () => {
    expect(sentinelSink.configSchema.parse({ ...base, cloud: 'azure-us-government' })).toMatchObject({
      authority: 'https://login.microsoftonline.us',
      scope: 'https://monitor.azure.us/.default',
    });
    expect(sentinelSink.configSchema.parse({ ...base, cloud: 'azure-china' })).toMatchObject({
      scope: 'https://monitor.azure.cn/.default',
    });
  });

  it('refuses plain http off loopback, an ARM id for the DCR, a stream without Custom-, and another format', () => {
    expect(messages({ ...base, endpoint: 'http://dce.example.com' }).join()).toMatch(/only for loopback/);
    expect(messages({ ...base, endpoint: 'http://127.0.0.1:8080' })).toEqual([]);
    expect(messages({ ...base, dcr_immutable_id: '/subscriptions/x/dataCollectionRules/y' }).join()).toMatch(
      /immutableId/,
    );
    expect(messages({ ...base, stream: 'AtpSiemDefender_CL' }).join()).toMatch(/Custom-/);
    expect(messages({ ...base, format: 'ecs' }).join()).toMatch(/sentinel format only/);
  });

  it('asks for exactly one of client_secret and certificate', () => {
    const { client_secret: _omit, ...noSecret } = base;
    expect(messages(noSecret).join()).toMatch(/set client_secret .* or certificate/);
    expect(messages({ ...base, certificate: { cert_file: 'a.pem', key_file: 'a.key' } }).join()).toMatch(
      /not both/,
    );
  });
});
