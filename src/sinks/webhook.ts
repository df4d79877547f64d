/**
 * The generic HTTPS webhook sink: each batch is one signed POST of `{"events":[...]}` to the operator's
 * receiver. The signature is an HMAC-SHA256 over "<timestamp>.<body bytes as sent>" with a shared secret,
 * so a receiver can prove the request came from us, refuse stale or replayed requests, and deduplicate a
 * retried batch by its id. docs/sinks/webhook.md says how a receiver verifies; test/servers/webhook.ts
 * does it.
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../api/errors.js';
import type { Secret } from '../config/secret.js';
import { FORMATS } from '../formats/index.js';
import type { FormatId } from '../formats/index.js';
import {
  checkEndpointUrl,
  commonSinkConfig,
  commonSinkShape,
  sinkSecretSchema,
  tlsSchema,
  type CommonSinkConfig,
  type TlsConfig,
} from './config.js';
import { classifyHttpStatus, createSinkAgent, gzip, httpSend, type HttpResult } from './http.js';
import type { EventResult, SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from './types.js';

export interface WebhookSinkConfig extends CommonSinkConfig {
  type: 'webhook';
  url: string;
  /** The HMAC key (resolved by the config loader). */
  secret: Secret;
  /** Extra static headers; a value may be a secret (an `Authorization` a gateway in front wants). */
  headers: Record<string, string | Secret>;
  gzip: boolean;
  tls: TlsConfig | undefined;
}

/** Header names of the protocol. */
export const WEBHOOK_HEADERS = {
  timestamp: 'x-atp-siem-timestamp',
  signature: 'x-atp-siem-signature',
  batchId: 'x-atp-siem-batch-id',
} as const;

/** Headers the sink sets itself; an extra header may not replace them. */
const RESERVED_HEADERS = new Set<string>([
  ...Object.values(WEBHOOK_HEADERS),
  'content-type',
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
]);

/** The JSON formats: the body is a JSON document, so only they fit. */
const JSON_FORMATS: readonly FormatId[] = FORMATS.filter((f) => f.contentType.includes('json')).map(
  (f) => f.id,
);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const urlSchema = z
  .string({ error: 'set url to the receiver, such as https://siem.example.com/atp-siem' })
  .superRefine((text, ctx) => {
    checkEndpointUrl(text, ctx, {
      what: 'url',
      example: 'https://host[:port]/path',
      credentials: 'put credentials in headers as a secret reference',
      query: true,
    });
  });

const headerValue = z.union(
  [
    z.string().refine((v) => !/[\r\n\0]/.test(v), 'a header value cannot hold a line break or NUL character'),
    sinkSecretSchema,
  ],
  { error: 'a header value is text or a secret reference ({ env: VAR } or { file: path })' },
);

const configSchema = z
  .strictObject({
    ...commonSinkShape,
    type: z.literal('webhook'),
    url: urlSchema,
    secret: sinkSecretSchema,
    headers: z
      .record(
        z
          .string()
          .regex(TOKEN, 'a header name is letters, digits and - (such as X-Source)')
          .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), {
            message: `the sink sets ${[...RESERVED_HEADERS].join(', ')} itself; remove it from headers`,
          }),
        headerValue,
      )
      .optional(),
    gzip: z.boolean({ error: 'set gzip to true or false' }).default(false),
    tls: tlsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.format !== undefined && !JSON_FORMATS.includes(c.format))
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: `the webhook body is JSON: set format to one of ${JSON_FORMATS.join(', ')}`,
      });
  })
  .transform((c): WebhookSinkConfig => ({
    ...commonSinkConfig(c, 'webhook', 'ecs'),
    type: 'webhook',
    url: c.url,
    secret: c.secret,
    headers: c.headers ?? {},
    gzip: c.gzip,
    tls: c.tls,
  }));

/**
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the body being the bytes on the wire (compressed
 * when gzip is on), so a receiver verifies before it inflates or parses anything.
 * @example signWebhook('s3cret', 1767225600, Buffer.from('{"events":[]}'))
 */
export function signWebhook(secret: string, timestamp: number, body: Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

/**
 * A batch's id: first and last offset and a digest of its events' tenants and ids. The same batch sent
 * again has the same id (a receiver can deduplicate a retry whose first answer was lost); a different
 * batch, or the same offsets in a rebuilt store, has another.
 * @example webhookBatchId(batch) // '1042-1541-9f86d081884c7d65'
 */
export function webhookBatchId(batch: readonly SinkEvent[]): string {
  const digest = createHash('sha256');
  for (const e of batch) digest.update(`${e.tenantId}/${e.id}\n`);
  const first = batch[0]?.offset ?? 0;
  const last = batch[batch.length - 1]?.offset ?? 0;
  return `${first}-${last}-${digest.digest('hex').slice(0, 16)}`;
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** A Secret after the loader resolved it; an unresolved reference here is a loader bug, said plainly. */
function reveal(sink: string, what: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Secret).reveal === 'function')
    return (value as Secret).reveal();
  throw new ConnectorError('CONFIG_INVALID', `sink ${sink}: ${what} was not resolved to a secret value`, {
    stage: 'startup',
  });
}

/** What the sink may add to a test: a clock for the signature timestamp. */
export interface WebhookSinkDeps {
  now?: () => number;
}

/**
 * Starts a webhook sink.
 * @example const sink = createWebhookSink(config, { logger, baseDir: '/etc/atp-siem' });
 */
export function createWebhookSink(
  config: WebhookSinkConfig,
  ctx: SinkContext,
  deps: WebhookSinkDeps = {},
): Sink {
  const secret = reveal(config.name, 'secret', config.secret);
  if (secret.length < 16) {
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${config.name}: the webhook secret is shorter than 16 characters; use 32 or more random characters`,
      { stage: 'startup' },
    );
  }
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers))
    extra[name.toLowerCase()] = reveal(config.name, `headers.${name}`, value);
  const now = deps.now ?? Date.now;
  const url = new URL(config.url);
  // The query may carry a token of the operator's gateway: reasons name only the origin and path.
  const where = `webhook receiver ${url.origin}${url.pathname}`;
  const agent = createSinkAgent(config.tls, ctx.baseDir, config.name, config.concurrency);
  let closing: Promise<void> | undefined;

  const post = async (body: string, batchId: string, signal: AbortSignal): Promise<HttpResult> => {
    const plain = Buffer.from(body, 'utf8');
    // Compressed here rather than by httpSend, because the signature covers the bytes on the wire.
    const wire = config.gzip ? await gzip(plain) : plain;
    const timestamp = Math.floor(now() / 1000);
    const headers: Record<string, string> = {
      ...extra,
      'content-type': 'application/json',
      'user-agent': 'atp-siem',
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, wire),
      [WEBHOOK_HEADERS.batchId]: batchId,
    };
    if (config.gzip) headers['content-encoding'] = 'gzip';
    return httpSend(agent, url, { headers, body: wire, signal, maxResponseBytes: 64 * 1024 });
  };

  const networkFailure = (reason: string): Extract<SendResult, { outcome: 'retryable' }> =>
    // A certificate the sink does not trust will not heal by waiting: the operator must fix tls.
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(reason)
      ? { outcome: 'retryable', reason: `${where}: ${reason} (check tls.ca_file)`, blocked: true }
      : { outcome: 'retryable', reason: `${where}: ${reason}` };

  return {
    name: config.name,
    type: 'webhook',
    async send(batch, signal) {
      if (signal.aborted) return { outcome: 'retryable', reason: 'timed out before the request was sent' };
      if (closing !== undefined) return { outcome: 'retryable', reason: 'the sink is closing' };
      // A raw record that is not a JSON object would break the document around it: refuse it alone.
      const bad = batch.map((e) => !isJsonObject(e.payload));
      if (bad.some(Boolean)) {
        const results = bad.map((isBad): EventResult =>
          isBad
            ? { status: 'rejected', reason: 'the encoded event is not a JSON object' }
            : { status: 'retry', reason: 'sent again without the events that are not JSON objects' },
        );
        return { outcome: 'partial', results };
      }
      const body = `{"events":[${batch.map((e) => e.payload).join(',')}]}`;
      const result = await post(body, webhookBatchId(batch), signal);
      if (result.kind === 'network') return networkFailure(result.reason);
      return (
        classifyHttpStatus(result.status, result.headers, result.body, where) ?? { outcome: 'delivered' }
      );
    },
    /**
     * A signed POST of `{"events":[]}` (batch id `healthcheck-<timestamp>`): proves the receiver is
     * reachable, trusts our TLS and accepts our signature, without sending an event.
     */
    async healthcheck(signal) {
      const result = await post('{"events":[]}', `healthcheck-${Math.floor(now() / 1000)}`, signal);
      if (result.kind === 'network') {
        throw new ConnectorError(
          'SINK_UNAVAILABLE',
          `sink ${config.name}: ${networkFailure(result.reason).reason}`,
          {
            stage: 'sending',
          },
        );
      }
      const verdict = classifyHttpStatus(result.status, result.headers, result.body, where);
      if (verdict === undefined) return;
      const fail = (code: 'CONFIG_INVALID' | 'SINK_UNAVAILABLE' | 'SINK_REJECTED', fix: string) =>
        new ConnectorError(code, `sink ${config.name}: ${fix}`, {
          stage: 'sending',
          httpStatus: result.status,
        });
      if (result.status >= 300 && result.status < 400)
        throw fail(
          'CONFIG_INVALID',
          `${verdict.outcome === 'retryable' ? verdict.reason : where}; redirects are not followed, set url to the final address`,
        );
      if (verdict.outcome === 'retryable' && verdict.blocked)
        throw fail(
          'CONFIG_INVALID',
          `${verdict.reason}; check that secret (and headers) match the receiver's`,
        );
      if (verdict.outcome === 'retryable') throw fail('SINK_UNAVAILABLE', verdict.reason);
      throw fail(
        'SINK_REJECTED',
        `${verdict.outcome === 'rejected' ? verdict.reason : where}; the receiver must accept {"events":[]} as a health probe`,
      );
    },
    close() {
      closing ??= agent.close().then(() => undefined);
      return closing;
    },
  };
}

/**
 * Posts signed batches to any HTTPS receiver.
 * @example sinks: [{ name: soar, type: webhook, url: https://soar.example/hooks/atp, secret: { env: ATP_WEBHOOK_SECRET } }]
 */
export const webhookSink: SinkDefinition<WebhookSinkConfig> = {
  type: 'webhook',
  defaultFormat: 'ecs',
  formats: JSON_FORMATS,
  configSchema,
  create: (config, ctx) => createWebhookSink(config, ctx),
};
