/**
 * The two vendor clients behind one small interface, and what their failures mean. Both run with their
 * own retries off (the delivery driver retries), no sniffing, the sink's TLS options and timeout, and no
 * redirects (neither follows one). The vendor modules load on a sink's first request, not at start: together
 * they weigh about 35 MB of heap, which a process without a search sink should not carry. elasticsearch-js 8.19 sends `compatible-with=8`, which ES 8 and 9
 * accept (spec §2.3); its product check throws on a 2xx without `X-Elastic-Product` (spec §2.2).
 */
import type { Client as ElasticClient } from '@elastic/elasticsearch';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { clip } from '../../api/errors.js';
import { classifyHttpStatus } from '../http.js';
import { tlsConnectOptions } from '../tls.js';
import type { SendResult, SinkContext } from '../types.js';
import { describeEsError } from './bulk.js';
import type { SearchAuth, SearchProduct, SearchSinkConfig } from './config.js';

export const PRODUCT_NAMES: Record<SearchProduct, string> = {
  elasticsearch: 'Elasticsearch',
  opensearch: 'OpenSearch',
};

export interface SearchRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** An NDJSON body (`_bulk`), sent as it is. */
  bulk?: string;
  query?: Record<string, string>;
}

export interface SearchResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One cluster connection; `request` throws the vendor client's errors (see `describeFailure`). */
export interface SearchClient {
  readonly product: SearchProduct;
  request(req: SearchRequest, signal: AbortSignal): Promise<SearchResponse>;
  /** Replaces any secret of this client in a text with [redacted]. */
  redact(text: string): string;
  close(): Promise<void>;
}

function flat(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** The encoded API key: Kibana shows it encoded; `id:api_key` (the two halves) is encoded here. */
function encodedApiKey(value: string): string {
  return value.includes(':') ? Buffer.from(value).toString('base64') : value;
}

function secretsOf(auth: SearchAuth | undefined): string[] {
  if (!auth) return [];
  switch (auth.kind) {
    case 'api_key': {
      const v = auth.apiKey.reveal();
      return [v, encodedApiKey(v), ...v.split(':').filter((p) => p.length >= 8)];
    }
    case 'basic': {
      const p = auth.password.reveal();
      return [p, Buffer.from(`${auth.username}:${p}`).toString('base64')];
    }
    case 'bearer':
      return [auth.token.reveal()];
  }
}

function redactor(secrets: string[]): (text: string) => string {
  const live = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => live.reduce((t, s) => t.split(s).join('[redacted]'), text);
}

/**
 * The client of the sink's product.
 * @example const client = createSearchClient('elasticsearch', config, ctx);
 */
export function createSearchClient(
  product: SearchProduct,
  config: SearchSinkConfig,
  ctx: SinkContext,
): SearchClient {
  const tls = tlsConnectOptions(config.tls, ctx.baseDir, config.name);
  const redact = redactor(secretsOf(config.auth));
  const common = {
    node: config.urls,
    maxRetries: 0,
    requestTimeout: config.timeoutMs,
    sniffOnStart: false,
    sniffOnConnectionFault: false,
    sniffInterval: false,
  } as const;
  const auth = config.auth;
  if (product === 'elasticsearch') {
    let loaded: Promise<ElasticClient> | undefined;
    const client = (): Promise<ElasticClient> =>
      (loaded ??= import('@elastic/elasticsearch').then(
        ({ Client }) =>
          new Client({
            ...common,
            compression: config.compression,
            tls,
            name: 'atp-siem',
            ...(auth?.kind === 'api_key' ? { auth: { apiKey: encodedApiKey(auth.apiKey.reveal()) } } : {}),
            ...(auth?.kind === 'basic'
              ? { auth: { username: auth.username, password: auth.password.reveal() } }
              : {}),
            ...(auth?.kind === 'bearer' ? { auth: { bearer: auth.token.reveal() } } : {}),
          }),
      ));
    return {
      product,
      redact,
      async request(req, signal) {
        const c = await client();
        const res = await c.transport.request(
          {
            method: req.method,
            path: req.path,
            body: req.body as never,
            bulkBody: req.bulk,
            querystring: req.query,
          },
          { signal, meta: true, maxRetries: 0 },
        );
        return { status: res.statusCode ?? 0, headers: flat(res.headers), body: res.body };
      },
      close: async () => {
        if (loaded) await (await loaded).close();
      },
    };
  }
  let loaded: Promise<OpenSearchClient> | undefined;
  const client = (): Promise<OpenSearchClient> =>
    (loaded ??= import('@opensearch-project/opensearch').then(
      ({ Client }) =>
        new Client({
          ...common,
          ssl: tls,
          ...(config.compression ? { compression: 'gzip' as const } : {}),
          ...(auth?.kind === 'basic'
            ? { auth: { username: auth.username, password: auth.password.reveal() } }
            : {}),
          // opensearch-js builds only Basic and SigV4; a bearer token (JWT) rides as a plain header (spec §3).
          ...(auth?.kind === 'bearer' ? { headers: { authorization: `Bearer ${auth.token.reveal()}` } } : {}),
        }),
    ));
  return {
    product,
    redact,
    async request(req, signal) {
      const c = await client();
      signal.throwIfAborted();
      const pending = c.transport.request(
        {
          method: req.method,
          path: req.path,
          body: req.body as never,
          bulkBody: req.bulk,
          querystring: req.query,
        },
        { maxRetries: 0 },
      );
      // No return value: EventTarget treats a returned thenable (abort() returns the request) as a promise
      // and rethrows its rejection as an uncaught exception.
      const abort = () => {
        pending.abort();
      };
      signal.addEventListener('abort', abort, { once: true });
      try {
        const res = await pending;
        return { status: res.statusCode ?? 0, headers: flat(res.headers), body: res.body as unknown };
      } finally {
        signal.removeEventListener('abort', abort);
      }
    },
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
}

export type Failure =
  | { kind: 'response'; status: number; headers: Record<string, string>; summary: string; errorType: string }
  | { kind: 'not-elasticsearch' }
  | { kind: 'network'; reason: string; tls: boolean }
  | { kind: 'bad-body'; reason: string };

const TLS_PROBLEM = /certificate|CERT_|ERR_TLS|SSL|self[- ]signed|unable to verify|altnames/i;

/** `type: reason` of an error body, or its text. */
export function summarizeBody(body: unknown): { summary: string; errorType: string } {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    const errorType =
      typeof error === 'object' && error !== null && 'type' in error
        ? String((error as { type: unknown }).type)
        : '';
    return { summary: describeEsError(error), errorType };
  }
  if (typeof body === 'string') return { summary: body, errorType: '' };
  return { summary: body === undefined || body === null ? '' : JSON.stringify(body), errorType: '' };
}

/**
 * What a thrown client error was: an HTTP answer, the product check, the network, or an unreadable body.
 * Texts are redacted here, before any clipping could cut a secret in two and leave half of it.
 */
export function describeFailure(
  err: unknown,
  signal: AbortSignal,
  redact: (text: string) => string,
): Failure {
  const e = err as {
    name?: unknown;
    message?: unknown;
    meta?: { statusCode?: unknown; headers?: unknown; body?: unknown };
  };
  const name = typeof e?.name === 'string' ? e.name : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (name === 'ResponseError' && e.meta) {
    const { summary, errorType } = summarizeBody(e.meta.body);
    return {
      kind: 'response',
      status: typeof e.meta.statusCode === 'number' ? e.meta.statusCode : 0,
      headers: flat(e.meta.headers),
      summary: redact(summary),
      errorType,
    };
  }
  if (name === 'ProductNotSupportedError') return { kind: 'not-elasticsearch' };
  if (name === 'DeserializationError') return { kind: 'bad-body', reason: 'its answer is not valid JSON' };
  if (signal.aborted || name === 'RequestAbortedError') {
    return { kind: 'network', reason: 'timed out (no answer within the sink timeout)', tls: false };
  }
  if (name === 'TimeoutError') return { kind: 'network', reason: 'timed out (request timeout)', tls: false };
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const detail = [
    message,
    typeof cause?.code === 'string' ? cause.code : '',
    typeof cause?.message === 'string' ? cause.message : '',
  ]
    .filter((x) => x !== '')
    .join(': ');
  return { kind: 'network', reason: redact(detail), tls: TLS_PROBLEM.test(detail) };
}

/**
 * A failed request as a SendResult: statuses through the shared table (classifyHttpStatus), with what a
 * cluster's answers add: no route (404/405, or ES's 400 "no handler found") and a refused compatibility
 * header mean a wrong URL or version (blocked),
 * not bad data that the driver should bisect and dead-letter.
 */
export function classifyFailure(failure: Failure, product: SearchProduct, url: string): SendResult {
  const what = PRODUCT_NAMES[product];
  switch (failure.kind) {
    case 'not-elasticsearch':
      return {
        outcome: 'retryable',
        blocked: true,
        reason: `the server at ${url} is not Elasticsearch (no "X-Elastic-Product: Elasticsearch" header); if it is OpenSearch, use type: opensearch`,
      };
    case 'bad-body':
      return {
        outcome: 'retryable',
        blocked: true,
        reason: `${what} at ${url}: ${failure.reason}; is the URL the cluster's?`,
      };
    case 'network':
      return failure.tls
        ? {
            outcome: 'retryable',
            blocked: true,
            reason: `TLS with ${url} failed: ${clip(failure.reason)} (set tls.ca_file to the cluster's CA)`,
          }
        : { outcome: 'retryable', reason: `${what} at ${url} could not be reached: ${clip(failure.reason)}` };
    case 'response': {
      const { status, headers, summary, errorType } = failure;
      // A path the cluster has no route for is a 400 "no handler found for uri" (ES), a 404 from a proxy.
      if (status === 404 || status === 405 || summary.startsWith('no handler found for uri')) {
        return {
          outcome: 'retryable',
          blocked: true,
          reason: `${what} answered HTTP ${status} at ${url}: ${clip(summary)} (check url: it must be the cluster's base URL)`,
        };
      }
      if (errorType === 'media_type_header_exception') {
        return {
          outcome: 'retryable',
          blocked: true,
          reason: `${what} refused the client's compatibility headers (${clip(summary)}); this sink needs Elasticsearch 8 or 9`,
        };
      }
      return (
        classifyHttpStatus(status, headers, summary, what) ?? {
          outcome: 'retryable',
          reason: `${what} answered HTTP ${status}`,
        }
      );
    }
  }
}
