/**
 * The one HTTP client helper of the HTTP sinks (Splunk HEC, Sentinel, webhook; the Elasticsearch and
 * OpenSearch sinks use their vendors' clients but classify through `classifyHttpStatus` too): a keep-alive
 * undici Agent with the sink's TLS options, one POST with optional gzip and an abort signal, and the one
 * table that turns an HTTP status or a network failure into a SendResult.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Agent, request } from 'undici';
import { clip, findCode, parseRetryAfter } from '../api/errors.js';
import { flatHeaders, readTextCapped } from '../api/http.js';
import type { TlsConfig } from './config.js';
import { tlsConnectOptions } from './tls.js';
import type { SendResult } from './types.js';

const gzipAsync = promisify(gzipCallback);

/**
 * The keep-alive agent of one HTTP sink.
 * @example const agent = createSinkAgent(config.tls, ctx.baseDir, config.name, config.concurrency);
 */
export function createSinkAgent(
  tls: TlsConfig | undefined,
  baseDir: string,
  sink: string,
  connections = 4,
): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    connections,
    connectTimeout: 10_000,
    // The driver's abort signal bounds each send; these only stop a connection that went silent.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: tlsConnectOptions(tls, baseDir, sink),
  });
}

export interface HttpPost {
  method?: 'POST' | 'PUT' | 'GET' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** gzip the body and send `Content-Encoding: gzip`. */
  gzip?: boolean;
  signal: AbortSignal;
  /** Most bytes of the response body to read (default 1 MiB: bulk responses are large). */
  maxResponseBytes?: number;
}

export type HttpResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'network'; reason: string };

/** gzip (the HTTP sinks compress on the wire; limits that count wire bytes are checked on the result). */
export async function gzip(body: string | Buffer): Promise<Buffer> {
  return gzipAsync(typeof body === 'string' ? Buffer.from(body) : body);
}

/**
 * Sends one request; a network failure or an abort is a result, never a throw.
 * @example const r = await httpSend(agent, url, { body, gzip: true, signal, headers: { authorization } });
 */
export async function httpSend(agent: Agent, url: string | URL, options: HttpPost): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.gzip && body !== undefined) {
    body = await gzip(body);
    headers['content-encoding'] = 'gzip';
  }
  try {
    const res = await request(url, {
      method: options.method ?? 'POST',
      headers,
      body,
      dispatcher: agent,
      signal: options.signal,
    });
    const text = await readTextCapped(res.body, options.maxResponseBytes ?? 1024 * 1024);
    return { kind: 'response', status: res.statusCode, headers: flatHeaders(res.headers), body: text };
  } catch (err) {
    return { kind: 'network', reason: describeNetworkError(err, options.signal) };
  }
}

/** A short, secret-free description of a failed connection (`ECONNREFUSED`, `timed out`, ...). */
export function describeNetworkError(err: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) return 'timed out (no answer within the sink timeout)';
  const code = findCode(err, () => true);
  const message = err instanceof Error ? err.message : String(err);
  return clip(code === undefined ? message : `${code}: ${message}`);
}

/**
 * The shared status table: what a non-2xx answer means for the batch.
 * - 408, 429, 5xx: retryable, honouring Retry-After;
 * - 401, 403: blocked (the operator must fix the credential or permission; the data is kept);
 * - 404, 405, 410, 421: blocked (the URL is wrong; the data is kept);
 * - 413 and other 4xx: rejected (the driver splits the batch; one event alone is dead-lettered);
 * - 2xx: undefined (the sink reads the body, which may carry per-event results).
 * @example classifyHttpStatus(503, { 'retry-after': '5' }, '', 'HEC')  // { outcome: 'retryable', retryAfterMs: 5000, ... }
 */
export function classifyHttpStatus(
  status: number,
  headers: Record<string, string>,
  body: string,
  what: string,
): SendResult | undefined {
  if (status >= 200 && status < 300) return undefined;
  const detail = body.trim() === '' ? '' : `: ${clip(body)}`;
  const reason = `${what} answered HTTP ${status}${detail}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
    return retryAfterMs === undefined
      ? { outcome: 'retryable', reason }
      : { outcome: 'retryable', reason, retryAfterMs };
  }
  if (status === 401 || status === 403) {
    return {
      outcome: 'retryable',
      reason: `${reason} (check the sink's credential and permissions)`,
      blocked: true,
    };
  }
  if (status === 413) return { outcome: 'rejected', reason: `${what} answered HTTP 413: request too large` };
  // No such path (a typo in the URL, a proxy in front answering for a path it does not route): every batch
  // would be refused the same way, and dead-lettering them one by one would empty the stream into the table.
  if (status === 404 || status === 405 || status === 410 || status === 421) {
    return {
      outcome: 'retryable',
      reason: `${reason} (check the sink's url: nothing there takes events)`,
      blocked: true,
    };
  }
  if (status >= 400) return { outcome: 'rejected', reason };
  // 1xx/3xx: no redirect is followed (a sink posts only to its configured host).
  return { outcome: 'retryable', reason, blocked: true };
}
