/**
 * The keys every `sinks:` entry shares (name, type, format, filter, batching, start, TLS, timeouts), as a
 * zod shape that each sink type spreads into its own strict schema, so one entry is validated as a whole and
 * an unknown key is named with its line. Secrets are references only; the config loader replaces each
 * reference by a Secret once it has read it (see `sinkSecretSchema`).
 */
import { z } from 'zod';
import { isLoopbackHost, parseDuration, secretRefSchema } from '../config/schema.js';
import type { Secret } from '../config/secret.js';
import { formatIds, type FormatId } from '../formats/index.js';

/** Marks a secret reference inside a sink's configuration, for the loader to resolve. */
export const SINK_SECRET = Symbol('atp-siem.sinkSecret');

/**
 * A secret of a sink (`{ env: VAR }` or `{ file: path }`). Parsed, it is a marked reference; `loadConfig`
 * replaces it with the Secret it names before any sink sees its configuration, which is why its type is
 * Secret.
 */
export const sinkSecretSchema = secretRefSchema.transform(
  (ref) => ({ ...ref, [SINK_SECRET]: true }) as unknown as Secret,
);

export interface EndpointUrlRules {
  /** The key, for messages (`url`, `endpoint`). */
  what: string;
  /** A URL of the right shape, for messages. */
  example: string;
  /** Where credentials go instead, for the message when the URL holds some. */
  credentials: string;
  /** Whether a query string and fragment may stay (a webhook's own URL may need one). */
  query?: boolean;
}

/**
 * Checks a SIEM endpoint URL the same way for every sink: https, or plain http only to a loopback host (a
 * test receiver), no user or password in it, and no query or fragment unless allowed. Adds the issue with its
 * fix and returns undefined when the text is not such a URL.
 */
export function checkEndpointUrl(
  text: string,
  ctx: z.RefinementCtx,
  rules: EndpointUrlRules,
): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${rules.what} is not a URL; write it as ${rules.example}` });
    return undefined;
  }
  const problem =
    url.protocol !== 'http:' && url.protocol !== 'https:'
      ? `${rules.what} must start with https://`
      : url.protocol === 'http:' && !isLoopbackHost(url.hostname)
        ? `plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https:// for ${url.hostname}`
        : url.username !== '' || url.password !== ''
          ? `${rules.what} must not hold a user or password; ${rules.credentials}`
          : !rules.query && (url.search !== '' || url.hash !== '')
            ? `${rules.what} must be a plain URL without query or fragment, such as ${rules.example}`
            : undefined;
  if (problem === undefined) return url;
  ctx.addIssue({ code: 'custom', message: problem });
  return undefined;
}

export const DEFENDER_KINDS = ['malware', 'phish', 'url-click', 'file', 'investigation'] as const;
export type DefenderKind = (typeof DEFENDER_KINDS)[number];

/** A duration key (`"1s"`, `"500ms"`, or milliseconds) from `min` to `max` ms, as milliseconds. */
export const durationMs = (what: string, fallback: string, min: number, max: number) =>
  z
    .union([z.string(), z.number()], { error: `write ${what} as a duration such as "1s" or "30s"` })
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < min || ms > max) {
        ctx.addIssue({
          code: 'custom',
          message: `write ${what} as a duration from ${min}ms to ${max / 1000}s, such as "1s"`,
        });
        return z.NEVER;
      }
      return ms;
    });

const whole = (what: string, min: number, max: number, fallback: number) =>
  z
    .number({ error: `set ${what} to a whole number from ${min} to ${max}` })
    .int(`set ${what} to a whole number from ${min} to ${max}`)
    .min(min, `set ${what} to a whole number from ${min} to ${max}`)
    .max(max, `set ${what} to a whole number from ${min} to ${max}`)
    .default(fallback);

export const filterSchema = z
  .strictObject({
    record_types: z
      .array(z.number().int().min(0, 'record types are whole numbers such as 28, 41, 47, 64'))
      .optional(),
    kinds: z.array(z.enum(DEFENDER_KINDS, { error: `kinds are ${DEFENDER_KINDS.join(', ')}` })).optional(),
  })
  .transform((f) => ({ recordTypes: f.record_types ?? [], kinds: f.kinds ?? [] }));
export type SinkFilter = z.output<typeof filterSchema>;

export const batchSchema = z
  .strictObject({
    max_events: whole('batch.max_events', 1, 100_000, 500),
    max_bytes: whole('batch.max_bytes', 1024, 256 * 1024 * 1024, 4 * 1024 * 1024),
    max_wait: durationMs('batch.max_wait', '1s', 0, 600_000),
  })
  .transform((b) => ({ maxEvents: b.max_events, maxBytes: b.max_bytes, maxWaitMs: b.max_wait }));
export type BatchConfig = z.output<typeof batchSchema>;

export const tlsSchema = z
  .strictObject({
    ca_file: z.string().min(1).optional(),
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    key_passphrase: sinkSecretSchema.optional(),
    verify: z.boolean({ error: 'set tls.verify to true or false' }).default(true),
    server_name: z.string().min(1).optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.cert_file === undefined) !== (t.key_file === undefined))
      ctx.addIssue({ code: 'custom', message: 'set cert_file and key_file together (client certificate)' });
  })
  .transform((t) => ({
    caFile: t.ca_file,
    certFile: t.cert_file,
    keyFile: t.key_file,
    keyPassphrase: t.key_passphrase,
    verify: t.verify,
    serverName: t.server_name,
  }));
export type TlsConfig = z.output<typeof tlsSchema>;

/** `oldest`, `now`, or an ISO time (records stored at or after it). */
export const startAtSchema = z
  .string({ error: 'set start_at to oldest, now or an ISO time such as 2026-01-01T00:00:00Z' })
  .default('oldest')
  .transform((text, ctx): SinkStart => {
    if (text === 'oldest' || text === 'now') return { kind: text };
    const ms = Date.parse(text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: 'set start_at to oldest, now or an ISO time such as 2026-01-01T00:00:00Z',
      });
      return z.NEVER;
    }
    return { kind: 'time', at: new Date(ms).toISOString() };
  });
export type SinkStart = { kind: 'oldest' } | { kind: 'now' } | { kind: 'time'; at: string };

const FORMAT_IDS = formatIds() as [FormatId, ...FormatId[]];

/** Keys every sink has; spread into each sink type's `z.strictObject({...commonSinkShape, ...})`. */
export const commonSinkShape = {
  name: z
    .string({ error: 'give each sink a name (letters, digits, - and _)' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'a sink name is 1-63 letters, digits, - and _'),
  enabled: z.boolean({ error: 'set enabled to true or false' }).default(true),
  format: z.enum(FORMAT_IDS, { error: `set format to one of ${FORMAT_IDS.join(', ')}` }).optional(),
  filter: filterSchema.optional(),
  batch: batchSchema.prefault({}),
  start_at: startAtSchema,
  timeout: durationMs('timeout', '30s', 100, 600_000),
  concurrency: whole('concurrency', 1, 16, 2),
  // No default here: unset means the pipeline's default (DEFAULT_ENCODE_WORKERS in src/pipeline/encode-pool.ts).
  encode_workers: z
    .number({ error: 'set encode_workers to a whole number from 0 to 16' })
    .int('set encode_workers to a whole number from 0 to 16')
    .min(0, 'set encode_workers to a whole number from 0 to 16')
    .max(16, 'set encode_workers to a whole number from 0 to 16')
    .optional(),
};

/** The common keys once parsed (camelCase), as every sink's parsed config carries them. */
export interface CommonSinkConfig {
  name: string;
  type: string;
  enabled: boolean;
  format: FormatId;
  filter: SinkFilter;
  batch: BatchConfig;
  startAt: SinkStart;
  timeoutMs: number;
  concurrency: number;
  /** Encode threads this sink asks for (0: inline); undefined: the pipeline's default. */
  encodeWorkers?: number | undefined;
}

type CommonInput = {
  name: string;
  enabled: boolean;
  format?: FormatId | undefined;
  filter?: SinkFilter | undefined;
  batch: BatchConfig;
  start_at: SinkStart;
  timeout: number;
  concurrency: number;
  encode_workers?: number | undefined;
};

/**
 * The common keys in camelCase, with the sink's default format; spread into a sink's transform.
 * @example .transform((c) => ({ ...commonSinkConfig(c, 'file', 'ecs'), path: c.path }))
 */
export function commonSinkConfig(c: CommonInput, type: string, defaultFormat: FormatId): CommonSinkConfig {
  return {
    name: c.name,
    type,
    enabled: c.enabled,
    format: c.format ?? defaultFormat,
    filter: c.filter ?? { recordTypes: [], kinds: [] },
    batch: c.batch,
    startAt: c.start_at,
    timeoutMs: c.timeout,
    concurrency: c.concurrency,
    ...(c.encode_workers === undefined ? {} : { encodeWorkers: c.encode_workers }),
  };
}
