/**
 * The Logs Ingestion test server against the spec's checklist (siem-sentinel-syslog.md §6), driven by a
 * plain HTTPS client so that the server, not the sink, is what is checked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelServer, type SentinelServer, type SentinelServerOptions } from './sentinel.js';

let pkiDir: string;
let agent: Agent;
let server: SentinelServer | undefined;

beforeAll(async () => {
  pkiDir = mkdtempSync(path.join(tmpdir(), 'atp-sentinel-srv-'));
  // Makes the PKI once for the whole file.
  const first = await startSentinelServer({ pkiDir });
  agent = new Agent({ connect: { ca: readFileSync(first.caFile, 'utf8') } });
  await first.close();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  await agent.close();
  rmSync(pkiDir, { recursive: true, force: true });
});

async function start(options: SentinelServerOptions = {}): Promise<SentinelServer> {
  server = await startSentinelServer({ pkiDir, ...options });
  return server;
}

async function tokenFor(s: SentinelServer, scope = 'https://monitor.azure.com/.default'): Promise<string> {
  const res = await request(`${s.loginUrl}/${s.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: s.clientId,
      client_secret: s.clientSecret,
      scope,
    }).toString(),
  });
  const body = (await res.body.json()) as { access_token: string };
  return body.access_token;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function post(
  s: SentinelServer,
  options: {
    token?: string;
    body?: string | Buffer;
    gzip?: boolean;
    headers?: Record<string, string>;
    dcr?: string;
    stream?: string;
    apiVersion?: string | null;
    signal?: AbortSignal;
  } = {},
): Promise<Answer> {
  const version = options.apiVersion === undefined ? '2023-01-01' : options.apiVersion;
  const query = version === null ? '' : `?api-version=${version}`;
  const url = `${s.ingestUrl}/dataCollectionRules/${options.dcr ?? s.dcrImmutableId}/streams/${options.stream ?? s.stream}${query}`;
  const raw = options.body ?? '[]';
  const body = options.gzip ? gzipSync(raw) : raw;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    ...options.headers,
  };
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers,
    body,
    signal: options.signal,
  });
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v;
  return { status: res.statusCode, headers: flat, text: await res.body.text() };
}

const row = (extra: Record<string, unknown> = {}) => ({
  TimeGenerated: new Date().toISOString(),
  EventId: 'tenant:record-1',
  Id: 'record-1',
  RecordType: 28,
  ...extra,
});

describe('Logs Ingestion test server: tokens', () => {
  it('issues client-credentials JWTs for the Azure Monitor audience and refuses a wrong secret', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(claims.aud).toBe('https://monitor.azure.com');
    expect(claims.appid).toBe(s.clientId);
    const bad = await request(`${s.loginUrl}/${s.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${s.clientId}&client_secret=wrong&scope=https%3A%2F%2Fmonitor.azure.com%2F.default`,
    });
    expect(bad.statusCode).toBe(401);
    expect(((await bad.body.json()) as { error_description: string }).error_description).toMatch(
      /^AADSTS7000215/,
    );
    expect(s.tokenRequests()).toBe(2);
  });

  it('answers 401 for no token, a wrong audience, an expired token, a foreign signature and a revoked token', async () => {
    const s = await start();
    expect((await post(s, { body: JSON.stringify([row()]) })).status).toBe(401);
    const management = await tokenFor(s, 'https://management.azure.com/.default');
    const wrongAudience = await post(s, { token: management, body: JSON.stringify([row()]) });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.headers['x-ms-error-code']).toBe('InvalidAudience');
    const expired = s.issueToken({ ageSec: 7200, lifetimeSec: 3600 });
    expect(
      (await post(s, { token: expired, body: JSON.stringify([row()]) })).headers['x-ms-error-code'],
    ).toBe('TokenExpired');
    const foreign = s.issueToken({ foreignKey: true });
    expect((await post(s, { token: foreign, body: JSON.stringify([row()]) })).status).toBe(401);
    const good = await tokenFor(s);
    expect((await post(s, { token: good, body: JSON.stringify([row()]) })).status).toBe(204);
    s.revokeIssuedTokens();
    expect((await post(s, { token: good, body: JSON.stringify([row()]) })).status).toBe(401);
    expect(s.rows()).toHaveLength(1);
  });

  it('accepts the per-cloud audience it was started with and refuses the commercial one', async () => {
    const s = await start({ audience: 'https://monitor.azure.us' });
    const us = await tokenFor(s, 'https://monitor.azure.us/.default');
    expect((await post(s, { token: us, body: JSON.stringify([row()]) })).status).toBe(204);
    expect((await post(s, { token: s.issueToken({ audience: 'https://monitor.azure.com' }) })).status).toBe(
      401,
    );
  });
});

describe('Logs Ingestion test server: requests', () => {
  it('answers 204 with an empty body, x-ms-request-id and the client request id echoed as a dashed GUID', async () => {
    const s = await start();
    const res = await post(s, {
      token: await tokenFor(s),
      body: JSON.stringify([row()]),
      gzip: true,
      headers: { 'x-ms-client-request-id': '80de7db2d8fe4c0a9b1e2f3a4b5c6d7e' },
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-ms-client-request-id']).toBe('80de7db2-d8fe-4c0a-9b1e-2f3a4b5c6d7e');
    expect(res.headers.server).toBe('Microsoft-HTTPAPI/2.0');
    expect(s.requests.at(-1)).toMatchObject({ status: 204, contentEncoding: 'gzip', rows: 1 });
  });

  it('requires a supported api-version and accepts the GA and preview ones', async () => {
    const s = await start();
    const token = await tokenFor(s);
    expect((await post(s, { token, apiVersion: null })).status).toBe(400);
    expect((await post(s, { token, apiVersion: '2020-01-01' })).status).toBe(400);
    const body = JSON.stringify([row()]);
    expect((await post(s, { token, body, apiVersion: '2021-11-01-preview' })).status).toBe(204);
    expect((await post(s, { token, body, apiVersion: '2023-01-01' })).status).toBe(204);
  });

  it('answers 403 OperationFailed with the documented message when the app lacks the DCR role', async () => {
    const s = await start();
    const token = await tokenFor(s);
    s.revoke(s.clientId);
    const res = await post(s, { token, body: JSON.stringify([row()]) });
    expect(res.status).toBe(403);
    const body = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('OperationFailed');
    expect(body.error.message).toMatch(
      new RegExp(
        `^The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${s.dcrImmutableId}'`,
      ),
    );
    s.grant(s.clientId);
    expect((await post(s, { token, body: JSON.stringify([row()]) })).status).toBe(204);
  });

  it('answers 404 for an unknown rule and 400 for a stream the rule does not declare', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const body = JSON.stringify([row()]);
    expect((await post(s, { token, body, dcr: 'dcr-ffffffffffffffffffffffffffffffff' })).status).toBe(404);
    const res = await post(s, { token, body, stream: 'Custom-Other' });
    expect(res.status).toBe(400);
    expect(res.headers['x-ms-error-code']).toBe('InvalidStream');
  });

  it('requires Content-Type application/json and takes gzip or no Content-Encoding only', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const body = JSON.stringify([row()]);
    expect((await post(s, { token, body, headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await post(s, { token, body, headers: { 'content-encoding': 'deflate' } })).status).toBe(415);
    expect(
      (await post(s, { token, body, headers: { 'content-type': 'application/json; charset=utf-8' } })).status,
    ).toBe(204);
  });

  it('answers 413 ContentLengthLimitExceeded with the service message over 1,048,576 wire bytes', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const exact = `[${JSON.stringify(row({ Subject: '' }))}]`;
    const pad = 1_048_576 - Buffer.byteLength(exact);
    const atLimit = `[${JSON.stringify(row({ Subject: 'x'.repeat(pad) }))}]`;
    expect(Buffer.byteLength(atLimit)).toBe(1_048_576);
    expect((await post(s, { token, body: atLimit })).status).toBe(204);
    const over = `[${JSON.stringify(row({ Subject: 'x'.repeat(pad + 1) }))}]`;
    const res = await post(s, { token, body: over });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toEqual({
      error: {
        code: 'ContentLengthLimitExceeded',
        message:
          'Maximum allowed content length: 1048576 bytes (1 MB). Provided content length: 1048577 bytes.',
      },
    });
  });

  it('counts the wire bytes: a gzip body under the limit passes, one that inflates past the cap is refused', async () => {
    const s = await start({ maxInflatedBytes: 2_000_000 });
    const token = await tokenFor(s);
    const big = JSON.stringify([row({ Subject: 'y'.repeat(1_500_000) })]);
    expect((await post(s, { token, body: big, gzip: true })).status).toBe(204);
    const huge = JSON.stringify([row({ Subject: 'y'.repeat(2_500_000) })]);
    expect((await post(s, { token, body: huge, gzip: true })).status).toBe(413);
  });

  it('answers 400 for a body that is not an array of objects, 204 storing nothing when lenient, 500 when empty', async () => {
    const s = await start();
    const token = await tokenFor(s);
    expect((await post(s, { token, body: '{"a":1}' })).status).toBe(400);
    expect((await post(s, { token, body: '[1,2]' })).status).toBe(400);
    expect((await post(s, { token, body: '[{"a":' })).status).toBe(400);
    expect((await post(s, { token, body: '' })).status).toBe(500);
    await s.close();
    const lenient = await start({ lenientBody: true });
    const t2 = await tokenFor(lenient);
    expect((await post(lenient, { token: t2, body: '{"a":1}' })).status).toBe(204);
    expect(lenient.rows()).toHaveLength(0);
  });

  it('keeps declared columns only and coerces values to their types, null when they do not convert', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const rows = [
      { EventId: 'a', RecordType: '28', IsAlert: 'true', CreationTime: '2026-01-01T00:00:00Z', Unknown: 1 },
      { EventId: 'b', RecordType: 'abc', TimeGenerated: old, Subject: 'z'.repeat(70_000) },
    ];
    expect((await post(s, { token, body: JSON.stringify(rows) })).status).toBe(204);
    const [a, b] = s.rows().map((r) => r.row);
    expect(a).toMatchObject({
      EventId: 'a',
      RecordType: 28,
      IsAlert: true,
      CreationTime: '2026-01-01T00:00:00.000Z',
    });
    expect(a).not.toHaveProperty('Unknown');
    expect(b!.RecordType).toBeNull();
    expect(Date.parse(b!.TimeGenerated as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(a!.TimeGenerated as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((b!.Subject as string).length).toBe(64 * 1024);
    expect(s.errors.map((e) => e.message)).toEqual([
      "Column 'Unknown' is not declared; dropped.",
      "Value of column 'RecordType' cannot be converted to int; stored as null.",
    ]);
  });

  it('stores duplicates and counts them', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const body = JSON.stringify([row(), row({ EventId: 'other' })]);
    await post(s, { token, body });
    await post(s, { token, body });
    expect(s.rows()).toHaveLength(4);
    expect(s.duplicates()).toBe(2);
  });

  it('answers 429 with Retry-After past the per-DCR request rate', async () => {
    const s = await start({ rateLimit: { requests: 2, windowMs: 60_000, retryAfterSec: 7 } });
    const token = await tokenFor(s);
    const body = JSON.stringify([row()]);
    expect((await post(s, { token, body })).status).toBe(204);
    expect((await post(s, { token, body })).status).toBe(204);
    const res = await post(s, { token, body });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('shows rows only after the configured ingestion delay', async () => {
    const s = await start({ visibleAfterMs: 150 });
    const token = await tokenFor(s);
    expect((await post(s, { token, body: JSON.stringify([row()]) })).status).toBe(204);
    expect(s.rows()).toHaveLength(0);
    const deadline = Date.now() + 5_000;
    while (s.rows().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(s.rows()).toHaveLength(1);
  });
});

describe('Logs Ingestion test server: injected faults', () => {
  it('answers an injected status with Retry-After for the given number of requests, then normally', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const body = JSON.stringify([row()]);
    s.fail({ kind: 'status', status: 503, retryAfterSec: 3, times: 1 });
    const res = await post(s, { token, body });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect((await post(s, { token, body })).status).toBe(204);
  });

  it('cuts the connection on reset and never answers on hang', async () => {
    const s = await start();
    const token = await tokenFor(s);
    const body = JSON.stringify([row()]);
    s.fail({ kind: 'reset' });
    await expect(post(s, { token, body })).rejects.toThrow();
    s.fail({ kind: 'hang' });
    await expect(post(s, { token, body, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    s.heal();
    expect((await post(s, { token, body })).status).toBe(204);
    expect(s.rows()).toHaveLength(1);
  });
});
