/**
 * An Azure Monitor Logs Ingestion API that answers like the real one (spec siem-sentinel-syslog.md §1 and
 * checklist §6), with its Entra ID token issuer, over HTTPS with a certificate made for the test. For the
 * sentinel sink's tests and the bench.
 *
 * Two listeners, as in Azure: a login host (the emulator's client-credentials endpoint: secrets and
 * certificate assertions, tokens as RS256 JWTs for the Azure Monitor audience) and an ingestion host
 * (`POST /dataCollectionRules/{id}/streams/{stream}?api-version=…`). The ingestion host checks, in order:
 * route, api-version, bearer token (signature, expiry, audience → 401), data collection rule (unknown → 404),
 * the caller's "Monitoring Metrics Publisher" role on it (→ 403 OperationFailed), the stream (→ 400), the
 * per-DCR request rate (→ 429 + Retry-After), Content-Type and Content-Encoding (→ 415), the 1,048,576-byte
 * wire limit (→ 413 ContentLengthLimitExceeded with the service's message), gzip and a 50 MiB inflated cap,
 * an empty body (→ 500, as live tests saw), JSON and the array-of-objects shape (→ 400, or 204 when
 * lenient). Then each row keeps the declared columns only, coerced to their types (null when a value does
 * not convert, logged like DCRLogErrors), strings cut at 64 KB, an absent or out-of-window TimeGenerated
 * replaced by the receive time; 204 with `x-ms-request-id` and the client request id echoed as a dashed
 * GUID. Rows are stored, duplicates included, for assertions.
 *
 * Codes of 400/401/404 bodies are not documented (spec §8); the ones used here are marked INF.
 *
 * @example
 * const azure = await startSentinelServer();
 * // sink config: endpoint azure.ingestUrl, authority azure.loginUrl, tls.ca_file azure.caFile, ...
 * await azure.close();
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeTestPki } from '../../src/api/testing/pki.js';
import { handleTokenRequest } from '../../src/emulator/auth/token-endpoint.js';
import { signJwt } from '../../src/emulator/auth/jwt.js';
import { TokenService, type IssuedToken } from '../../src/emulator/auth/tokens.js';
import { createClock, type EmulatorClock } from '../../src/emulator/clock.js';
import { Directory, registerCertificate, type ClientApp, type Tenant } from '../../src/emulator/directory.js';
import { UnauthorizedError } from '../../src/emulator/errors.js';
import { SENTINEL_COLUMNS, SENTINEL_STREAM, type SentinelColumnType } from '../../src/formats/sentinel.js';

export interface StreamColumn {
  name: string;
  type: SentinelColumnType;
}

/** A data collection rule: its immutable id, its input streams and who may send to it. */
export interface TestDcr {
  immutableId: string;
  streams: Record<string, readonly StreamColumn[]>;
  /** Client ids holding "Monitoring Metrics Publisher" on the rule. */
  publishers: string[];
}

/**
 * Injected failures of the ingestion host, for `times` requests (default: until `heal()`):
 * - `status`: that status with the service's error body (`retryAfterSec` adds Retry-After);
 * - `reject`: 400 InvalidPayload (a data error, as a bad row would give);
 * - `reset`: the connection is cut as the request arrives; `hang`: no answer ever;
 * - `slow`: the normal answer after `delayMs`.
 */
export type SentinelFault =
  | { kind: 'status'; status: number; retryAfterSec?: number; times?: number }
  | { kind: 'reject'; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'hang'; times?: number }
  | { kind: 'slow'; delayMs: number; times?: number };

export interface SentinelServerOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** PEM of a certificate registered on the app (certificate credential). */
  clientCertificatePem?: string;
  /** Resource the ingestion host accepts tokens for (per cloud: monitor.azure.com / .us / .cn). */
  audience?: string;
  tokenLifetimeSec?: number;
  /** Default: one rule with stream Custom-AtpSiemDefender of the sentinel format's columns; the app may send. */
  dcrs?: TestDcr[];
  apiVersions?: string[];
  /** Wire body limit (default 1,048,576). */
  maxBodyBytes?: number;
  /** Inflated body limit (default 50 MiB, checked after the wire limit; not in the docs). */
  maxInflatedBytes?: number;
  /** Accept a body that is not an array of objects with 204, storing nothing (live 2022 behaviour). */
  lenientBody?: boolean;
  /** An empty body answers 500 (default, as live tests saw) or 400. */
  emptyBodyStatus?: 500 | 400;
  /** Per-DCR request limit (the real one is 12,000 a minute), scaled down for tests. */
  rateLimit?: { requests: number; windowMs: number; retryAfterSec: number };
  /**
   * Rows the service refuses synchronously: a request holding one answers 400 InvalidPayload (as nested
   * JSON into a non-dynamic Auxiliary column does, spec §1.5), storing none of its rows.
   */
  poison?: (row: Record<string, unknown>) => boolean;
  /** Rows become visible to `rows()` this long after they were accepted (ingestion latency). */
  visibleAfterMs?: number;
  /** Folder for the test PKI, reused when it holds one (default: a temporary folder, removed on close). */
  pkiDir?: string;
}

export interface StoredRow {
  dcr: string;
  stream: string;
  row: Record<string, unknown>;
  clientRequestId: string | undefined;
  receivedAt: number;
}

export interface IngestRequest {
  path: string;
  status: number;
  wireBytes: number;
  /** Bytes of JSON after gzip was undone. */
  bodyBytes: number;
  contentEncoding: string | undefined;
  clientRequestId: string | undefined;
  rows: number;
}

export interface SentinelServer {
  loginUrl: string;
  ingestUrl: string;
  /** Absolute path of the CA certificate that signed both hosts' certificate. */
  caFile: string;
  /** Absolute paths of the PKI (its CA key can sign more certificates). */
  pkiDir: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  dcrImmutableId: string;
  stream: string;
  /** Rows stored so far (visible ones), in arrival order. */
  rows(stream?: string): StoredRow[];
  /** How many stored rows repeat a value of `column` already stored (at-least-once tests). */
  duplicates(column?: string): number;
  /** Every ingestion request, answered or not yet (status 0 while pending). */
  requests: IngestRequest[];
  tokenRequests(): number;
  /** DCRLogErrors-like entries: values that did not convert, undeclared columns dropped. */
  errors: { time: string; requestId: string; message: string }[];
  fail(fault: SentinelFault): void;
  heal(): void;
  /** Tokens issued so far are refused from now on (a revoked or rotated credential). */
  revokeIssuedTokens(): void;
  setTokenLifetime(seconds: number): void;
  grant(clientId: string, dcr?: string): void;
  revoke(clientId: string, dcr?: string): void;
  /** A token signed by the issuer, for protocol tests: `ageSec` back-dates it, `foreignKey` signs with another key. */
  issueToken(options?: {
    audience?: string;
    lifetimeSec?: number;
    ageSec?: number;
    foreignKey?: boolean;
  }): string;
  close(): Promise<void>;
}

const DEFAULT_TENANT = '7d3f9c1a-2b4e-4f60-8a71-93c5e0d2b8f4';
const DEFAULT_CLIENT = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const DEFAULT_DCR = 'dcr-0123456789abcdef0123456789abcdef';
const API_VERSIONS = ['2023-01-01', '2021-11-01-preview'];
const MAX_VALUE_BYTES = 64 * 1024;

/** Records every token it issues, so that a test can revoke them. */
class RecordingTokenService extends TokenService {
  readonly issued = new Set<string>();
  override issue(
    tenant: Tenant,
    client: ClientApp,
    how: { viaCertificate: boolean; audience: string },
  ): IssuedToken {
    const token = super.issue(tenant, client, how);
    this.issued.add(token.accessToken);
    return token;
  }
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-ms-error-code': code,
    ...headers,
  });
  res.end(body);
}

/** The service echoes a client request id given as 32 hex digits in the dashed GUID form (spec §1.5). */
function echoedRequestId(sent: string | undefined): string | undefined {
  if (sent === undefined) return undefined;
  const m = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i.exec(sent);
  return m ? m.slice(1).join('-') : sent;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  // A cut inside a character leaves U+FFFD; drop it.
  while (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

/** Converts a value to a column's type as ingestion does; undefined when it does not convert. */
export function coerce(value: unknown, type: SentinelColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string': {
      const text =
        typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return truncateUtf8(text, MAX_VALUE_BYTES);
    }
    case 'int':
    case 'long': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'boolean') return n ? 1 : 0;
      if (typeof n !== 'number' || !Number.isInteger(n)) return undefined;
      if (type === 'int' && (n < -(2 ** 31) || n >= 2 ** 31)) return undefined;
      return n;
    }
    case 'real': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      if (value === 0 || value === 1) return value === 1;
      return undefined;
    case 'datetime': {
      if (typeof value !== 'string') return undefined;
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
    }
    case 'dynamic':
      return value;
  }
}

/**
 * Starts both hosts on 127.0.0.1, port 0.
 * @example const azure = await startSentinelServer({ rateLimit: { requests: 2, windowMs: 60_000, retryAfterSec: 7 } });
 */
export async function startSentinelServer(options: SentinelServerOptions = {}): Promise<SentinelServer> {
  const ownPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? mkdtempSync(path.join(tmpdir(), 'atp-sentinel-pki-'));
  // A shared folder that already holds the PKI is reused: certificates cost a few hundred ms.
  const pki = existsSync(path.join(pkiDir, 'server.pem'))
    ? ({ caCert: 'ca.pem', serverCert: 'server.pem', serverKey: 'server.key' } as const)
    : makeTestPki(pkiDir, { client: false });
  const tls = {
    key: readFileSync(path.join(pkiDir, pki.serverKey)),
    cert: readFileSync(path.join(pkiDir, pki.serverCert)),
  };

  const tenantId = options.tenantId ?? DEFAULT_TENANT;
  const clientId = options.clientId ?? DEFAULT_CLIENT;
  const clientSecret = options.clientSecret ?? `s3cr3t~${randomUUID()}`;
  const audience = options.audience ?? 'https://monitor.azure.com';
  const clock: EmulatorClock = createClock({});
  const directory = new Directory();
  directory.addTenant({ id: tenantId, domain: 'contoso.example', state: 'active' });
  directory.addClient({
    clientId,
    secrets: [clientSecret],
    certificates: options.clientCertificatePem ? [registerCertificate(options.clientCertificatePem)] : [],
    roles: [],
  });
  let tokens = new RecordingTokenService({
    resource: audience,
    lifetimeSec: options.tokenLifetimeSec ?? 3600,
    clock,
  });
  const revoked = new Set<string>();
  const dcrs = new Map<string, TestDcr>(
    (
      options.dcrs ?? [
        {
          immutableId: DEFAULT_DCR,
          streams: { [SENTINEL_STREAM]: SENTINEL_COLUMNS },
          publishers: [clientId],
        },
      ]
    ).map((d) => [
      d.immutableId.toLowerCase(),
      { ...d, publishers: d.publishers.map((p) => p.toLowerCase()) },
    ]),
  );
  const firstDcr = [...dcrs.values()][0]!;
  const apiVersions = options.apiVersions ?? API_VERSIONS;
  const maxBody = options.maxBodyBytes ?? 1_048_576;
  const maxInflated = options.maxInflatedBytes ?? 50 * 1024 * 1024;
  const stored: StoredRow[] = [];
  const requests: IngestRequest[] = [];
  const errors: SentinelServer['errors'] = [];
  const recent = new Map<string, number[]>();
  const hanging = new Set<ServerResponse>();
  let tokenRequests = 0;
  let fault: { spec: SentinelFault; left: number } | undefined;

  const login = createServer(tls, (req, res) => {
    const m = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token$/.exec(new URL(req.url ?? '/', 'https://x').pathname);
    if (!m) {
      sendError(res, 404, 'NotFound', 'Not found.');
      return;
    }
    tokenRequests += 1;
    const ctx = { directory, tokens, clock, baseUrl: () => loginUrl };
    handleTokenRequest(ctx, req, res, {
      tenant: decodeURIComponent(m[1]!),
      version: m[2] ? 'v2' : 'v1',
    }).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'token endpoint failed');
    });
  });

  /** Consumes the current fault, if any. */
  function takeFault(): SentinelFault | undefined {
    if (!fault) return undefined;
    const spec = fault.spec;
    fault.left -= 1;
    if (fault.left <= 0) fault = undefined;
    return spec;
  }

  function authenticate(
    authorization: string | undefined,
  ): { appId: string } | { error: string; code: string } {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token !== undefined && revoked.has(token))
      return { code: 'InvalidToken', error: 'The token was revoked.' };
    try {
      return tokens.authenticate(authorization);
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
      // INF: code names; the service's 401 body is not documented.
      const code =
        err.reason === 'wrong audience'
          ? 'InvalidAudience'
          : err.reason === 'token expired'
            ? 'TokenExpired'
            : err.reason === 'no token'
              ? 'MissingToken'
              : 'InvalidToken';
      return { code, error: `The provided access token is not valid (${err.reason}).` };
    }
  }

  function overRate(dcr: string): boolean {
    const limit = options.rateLimit;
    if (!limit) return false;
    const now = Date.now();
    const times = (recent.get(dcr) ?? []).filter((t) => t > now - limit.windowMs);
    if (times.length >= limit.requests) {
      recent.set(dcr, times);
      return true;
    }
    times.push(now);
    recent.set(dcr, times);
    return false;
  }

  async function readWire(req: IncomingMessage): Promise<{ body: Buffer; bytes: number }> {
    const parts: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      // Past the limit the rest is read and thrown away, so the client sees the 413 rather than a reset.
      if (bytes <= maxBody) parts.push(chunk);
    }
    return { body: Buffer.concat(parts), bytes };
  }

  function toRow(
    input: Record<string, unknown>,
    columns: readonly StreamColumn[],
    requestId: string,
    now: number,
  ): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    const declared = new Set(columns.map((c) => c.name));
    for (const key of Object.keys(input)) {
      if (!declared.has(key))
        errors.push({
          time: new Date(now).toISOString(),
          requestId,
          message: `Column '${key}' is not declared; dropped.`,
        });
    }
    for (const c of columns) {
      if (!(c.name in input)) continue;
      const value = coerce(input[c.name], c.type);
      if (value === undefined) {
        errors.push({
          time: new Date(now).toISOString(),
          requestId,
          message: `Value of column '${c.name}' cannot be converted to ${c.type}; stored as null.`,
        });
        row[c.name] = null;
      } else {
        row[c.name] = value;
      }
    }
    // TimeGenerated more than 2 days old or 1 day ahead is replaced by the receive time (spec §1.4).
    const t = typeof row.TimeGenerated === 'string' ? Date.parse(row.TimeGenerated) : Number.NaN;
    if (Number.isNaN(t) || t < now - 2 * 86_400_000 || t > now + 86_400_000)
      row.TimeGenerated = new Date(now).toISOString();
    return row;
  }

  async function ingest(req: IncomingMessage, res: ServerResponse, record: IngestRequest): Promise<void> {
    const requestId = randomUUID();
    const clientRequestId = record.clientRequestId;
    const echo = echoedRequestId(clientRequestId);
    const common: Record<string, string> = {
      'x-ms-request-id': requestId,
      server: 'Microsoft-HTTPAPI/2.0',
      ...(echo === undefined ? {} : { 'x-ms-client-request-id': echo }),
    };
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}) => {
      record.status = status;
      req.resume();
      sendError(res, status, code, message, { ...common, ...extra });
    };

    const url = new URL(req.url ?? '/', 'https://x');
    const route = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !route)
      return fail(404, 'NotFound', 'The requested resource was not found.');
    const version = url.searchParams.get('api-version');
    if (version === null || !apiVersions.includes(version)) {
      // INF: code and message.
      return fail(
        400,
        'InvalidApiVersion',
        `The api-version '${version ?? ''}' is not supported. Supported versions: ${apiVersions.join(', ')}.`,
      );
    }
    const who = authenticate(req.headers.authorization);
    if ('error' in who) return fail(401, who.code, who.error);
    const dcrId = decodeURIComponent(route[1]!).toLowerCase();
    const stream = decodeURIComponent(route[2]!);
    const dcr = dcrs.get(dcrId);
    // INF: code; the documented fact is only the status.
    if (!dcr) return fail(404, 'NotFound', `Data collection rule with immutable Id '${dcrId}' not found.`);
    if (!dcr.publishers.includes(who.appId.toLowerCase())) {
      return fail(
        403,
        'OperationFailed',
        `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${dcrId}'.`,
      );
    }
    const columns = dcr.streams[stream];
    // INF: code for an undeclared stream.
    if (!columns)
      return fail(
        400,
        'InvalidStream',
        `Stream '${stream}' is not declared by the data collection rule '${dcrId}'.`,
      );
    if (overRate(dcrId)) {
      const after = String(options.rateLimit!.retryAfterSec);
      return fail(429, 'TooManyRequests', 'The request rate of the data collection rule is over its limit.', {
        'retry-after': after,
      });
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      return fail(415, 'UnsupportedMediaType', "The Content-Type header must be 'application/json'.");
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== 'gzip' && encoding !== '')
      return fail(415, 'UnsupportedContentEncoding', "The only supported Content-Encoding is 'gzip'.");
    const declaredLength = Number(req.headers['content-length'] ?? Number.NaN);
    const { body: wire, bytes } = await readWire(req);
    record.wireBytes = bytes;
    const length = Number.isFinite(declaredLength) ? Math.max(declaredLength, bytes) : bytes;
    if (length > maxBody) {
      return fail(
        413,
        'ContentLengthLimitExceeded',
        `Maximum allowed content length: ${maxBody} bytes (1 MB). Provided content length: ${length} bytes.`,
      );
    }
    let body: Buffer = wire;
    if (encoding === 'gzip') {
      try {
        body = gunzipSync(wire, { maxOutputLength: maxInflated });
      } catch (err) {
        if (err instanceof RangeError)
          return fail(413, 'ContentLengthLimitExceeded', `The inflated body is over ${maxInflated} bytes.`);
        return fail(400, 'InvalidContentEncoding', 'The body is not valid gzip.');
      }
    }
    record.bodyBytes = body.length;
    if (body.length === 0) {
      if ((options.emptyBodyStatus ?? 500) === 500) {
        record.status = 500;
        res.writeHead(500, { ...common, 'content-length': 0 });
        res.end();
        return;
      }
      return fail(400, 'InvalidPayload', 'The request body is empty.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(400, 'InvalidPayload', 'The request body is not valid JSON.');
    }
    const rows =
      Array.isArray(parsed) && parsed.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))
        ? (parsed as Record<string, unknown>[])
        : undefined;
    if (rows === undefined && !options.lenientBody)
      return fail(400, 'InvalidPayload', 'The request body must be a JSON array of objects.');
    const poisoned = rows?.findIndex((r) => options.poison?.(r) === true) ?? -1;
    if (poisoned >= 0)
      return fail(
        400,
        'InvalidPayload',
        `Data collection failed: row ${poisoned} cannot be ingested into the table.`,
      );
    const now = Date.now();
    for (const input of rows ?? []) {
      stored.push({
        dcr: dcrId,
        stream,
        row: toRow(input, columns, requestId, now),
        clientRequestId,
        receivedAt: now,
      });
    }
    record.rows = rows?.length ?? 0;
    record.status = 204;
    res.writeHead(204, common);
    res.end();
  }

  const ingestion = createServer(tls, (req, res) => {
    const clientRequestId = req.headers['x-ms-client-request-id'];
    const record: IngestRequest = {
      path: req.url ?? '/',
      status: 0,
      wireBytes: 0,
      bodyBytes: 0,
      contentEncoding: req.headers['content-encoding'],
      clientRequestId: typeof clientRequestId === 'string' ? clientRequestId : undefined,
      rows: 0,
    };
    requests.push(record);
    const injected = takeFault();
    const run = () =>
      ingest(req, res, record).catch(() => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerError', 'test server failure');
      });
    switch (injected?.kind) {
      case undefined:
        void run();
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        hanging.add(res);
        req.resume();
        return;
      case 'slow':
        setTimeout(() => void run(), injected.delayMs).unref();
        return;
      case 'reject':
        record.status = 400;
        req.resume();
        sendError(res, 400, 'InvalidPayload', 'Data collection failed: the request contains invalid data.');
        return;
      case 'status':
        record.status = injected.status;
        req.resume();
        sendError(
          res,
          injected.status,
          injected.status === 429
            ? 'TooManyRequests'
            : injected.status >= 500
              ? 'ServiceUnavailable'
              : 'Error',
          `Injected HTTP ${injected.status}.`,
          injected.retryAfterSec === undefined ? {} : { 'retry-after': String(injected.retryAfterSec) },
        );
        return;
    }
  });

  const listen = (server: Server) =>
    new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () =>
        resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`),
      );
    });
  const loginUrl = await listen(login);
  const ingestUrl = await listen(ingestion);
  let closing: Promise<void> | undefined;
  const visibleAfter = options.visibleAfterMs ?? 0;
  const visible = () => stored.filter((r) => Date.now() >= r.receivedAt + visibleAfter);

  return {
    loginUrl,
    ingestUrl,
    caFile: path.join(pkiDir, pki.caCert),
    pkiDir,
    tenantId,
    clientId,
    clientSecret,
    dcrImmutableId: firstDcr.immutableId,
    stream: Object.keys(firstDcr.streams)[0]!,
    rows: (stream) => visible().filter((r) => stream === undefined || r.stream === stream),
    duplicates(column = 'EventId') {
      const seen = new Set<unknown>();
      let repeats = 0;
      for (const { row } of visible()) {
        const key = row[column];
        if (seen.has(key)) repeats += 1;
        seen.add(key);
      }
      return repeats;
    },
    requests,
    tokenRequests: () => tokenRequests,
    errors,
    fail(spec) {
      fault = { spec, left: spec.times ?? Number.POSITIVE_INFINITY };
    },
    heal() {
      fault = undefined;
    },
    revokeIssuedTokens() {
      for (const t of tokens.issued) revoked.add(t);
    },
    setTokenLifetime(seconds) {
      // Tokens of the old service stay valid: every TokenService of the process signs with the same key.
      const next = new RecordingTokenService({ resource: audience, lifetimeSec: seconds, clock });
      for (const t of tokens.issued) next.issued.add(t);
      tokens = next;
    },
    grant(id, dcr = firstDcr.immutableId) {
      dcrs.get(dcr.toLowerCase())?.publishers.push(id.toLowerCase());
    },
    revoke(id, dcr = firstDcr.immutableId) {
      const d = dcrs.get(dcr.toLowerCase());
      if (d) d.publishers = d.publishers.filter((p) => p !== id.toLowerCase());
    },
    issueToken(o = {}) {
      const issuer = new TokenService({
        resource: o.audience ?? audience,
        lifetimeSec: o.lifetimeSec ?? 3600,
        clock: createClock({ skewMs: -(o.ageSec ?? 0) * 1000 }),
      });
      const tenant = directory.tenant(tenantId)!;
      const client = directory.client(clientId)!;
      const issued = issuer.issue(tenant, client, {
        viaCertificate: false,
        audience: o.audience ?? audience,
      });
      if (!o.foreignKey) return issued.accessToken;
      // Same claims, signed by a key the issuer does not know.
      const claims = JSON.parse(
        Buffer.from(issued.accessToken.split('.')[1]!, 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return signJwt({ kid: 'foreign' }, claims, privateKey);
    },
    close() {
      closing ??= (async () => {
        for (const res of hanging) res.destroy();
        for (const server of [login, ingestion]) {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        if (ownPki) rmSync(pkiDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
