/**
 * The configuration file's schema: one source for validation, defaults and
 * types. Keys are snake_case on disk and camelCase once parsed. Secrets stay
 * references here ({ env } or { file }); `load.ts` resolves them.
 */
import { z } from 'zod';

export const CONTENT_TYPES = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** Login host, API host and resource of each cloud (spec §1.1). */
export const CLOUDS = {
  commercial: { login: 'https://login.microsoftonline.com', api: 'https://manage.office.com' },
  gcc: { login: 'https://login.microsoftonline.com', api: 'https://manage-gcc.office.com' },
  'gcc-high': { login: 'https://login.microsoftonline.us', api: 'https://manage.office365.us' },
  dod: { login: 'https://login.microsoftonline.us', api: 'https://manage.protection.apps.mil' },
  china: { login: 'https://login.partner.microsoftonline.cn', api: 'https://manage.office365.cn' },
} as const;
export type CloudName = keyof typeof CLOUDS;
const CLOUD_NAMES = Object.keys(CLOUDS) as [CloudName, ...CloudName[]];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = (what: string) =>
  z
    .string({ error: `set ${what} to a GUID in quotes` })
    .regex(GUID, `${what} must be a GUID like "00000000-0000-0000-0000-000000000000"`);

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses "500ms", "30s", "15m", "48h", "7d" (or a bare number of seconds) to milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) return undefined;
  const unit = match[2] as keyof typeof DURATION_UNITS_MS;
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[unit]);
}

const duration = (fallback: string, min: string, max: string) =>
  z
    .union([z.string(), z.number()], { error: 'write a duration such as "30s", "15m" or "48h"' })
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      const lo = parseDuration(min) ?? 0;
      const hi = parseDuration(max) ?? Infinity;
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'write a duration such as "30s", "15m" or "48h"' });
        return z.NEVER;
      }
      if (ms < lo || ms > hi) {
        ctx.addIssue({ code: 'custom', message: `choose a duration between ${min} and ${max}` });
        return z.NEVER;
      }
      return ms;
    });

/** `{ env: VAR }` or `{ file: path }`; a literal string is refused so that secrets never sit in the file. */
export const secretRefSchema = z
  .strictObject(
    {
      env: z.string().min(1, 'name the environment variable').optional(),
      file: z.string().min(1, 'give the path of the file').optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'write the secret as a reference, { env: VARIABLE } or { file: path }, never the value itself'
          : undefined,
    },
  )
  .superRefine((ref, ctx) => {
    if ((ref.env === undefined) === (ref.file === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of env or file' });
    }
  });
export type SecretRef = z.output<typeof secretRefSchema>;

export const certificateSchema = z
  .strictObject({
    cert_file: z.string({ error: 'set cert_file to the PEM certificate path' }).min(1),
    key_file: z.string({ error: 'set key_file to the PEM private key path' }).min(1),
    key_passphrase: secretRefSchema.optional(),
  })
  .transform((c) => ({ certFile: c.cert_file, keyFile: c.key_file, keyPassphrase: c.key_passphrase }));

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

const endpointUrl = (what: string) =>
  z.string({ error: `set ${what} to a URL such as https://host` }).superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL; write it as https://host[:port]' });
      return;
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        message: `plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https:// for ${url.hostname}`,
      });
    } else if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must start with https://' });
    } else if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a plain base URL without query, fragment or credentials',
      });
    }
  });

/** A whole number in [min, max], with a message that says so. */
const wholeNumber = (what: string, min: number, max: number, fallback: number) =>
  z
    .number({ error: `set ${what} to a whole number from ${min} to ${max}` })
    .int(`set ${what} to a whole number from ${min} to ${max}`)
    .min(min, `set ${what} to a whole number from ${min} to ${max}`)
    .max(max, `set ${what} to a whole number from ${min} to ${max}`)
    .default(fallback);

const trimSlash = (text: string) => text.replace(/\/+$/, '');

export const endpointsSchema = z
  .strictObject({
    login: endpointUrl('endpoints.login'),
    api: endpointUrl('endpoints.api'),
    resource: z.string().url('endpoints.resource must be a URL such as https://manage.office.com').optional(),
    ca_file: z.string().min(1).optional(),
  })
  .transform((e) => ({
    login: trimSlash(e.login),
    api: trimSlash(e.api),
    resource: trimSlash(e.resource ?? e.api),
    caFile: e.ca_file,
  }));

export const tenantSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    tenant_id: guid('tenant_id'),
    cloud: z.enum(CLOUD_NAMES, { error: `set cloud to one of ${CLOUD_NAMES.join(', ')}` }).optional(),
    endpoints: endpointsSchema.optional(),
    client_id: guid('client_id'),
    client_secret: secretRefSchema.optional(),
    certificate: certificateSchema.optional(),
    content_types: z
      .array(z.enum(CONTENT_TYPES, { error: `content types are ${CONTENT_TYPES.join(', ')}` }))
      .min(
        1,
        `list at least one content type (${CONTENT_TYPES.join(', ')}) or leave content_types out for all five`,
      )
      .refine((list) => new Set(list).size === list.length, 'list each content type once')
      .default([...CONTENT_TYPES]),
    publisher_id: guid('publisher_id').optional(),
  })
  .superRefine(
    (t, ctx) => {
      if (typeof t !== 'object' || t === null) return;
      const hasSecret = t.client_secret !== undefined;
      const hasCert = t.certificate !== undefined;
      if (hasSecret && hasCert)
        ctx.addIssue({ code: 'custom', message: 'set client_secret or certificate, not both' });
      if (!hasSecret && !hasCert) {
        ctx.addIssue({
          code: 'custom',
          message: 'set client_secret ({ env: VAR } or { file: path }) or certificate',
        });
      }
      if (t.cloud !== undefined && t.endpoints !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'set cloud or endpoints, not both' });
      }
    },
    { when: () => true },
  )
  .transform((t) => {
    const cloud = t.endpoints === undefined ? (t.cloud ?? 'commercial') : 'custom';
    const endpoints =
      t.endpoints ??
      (() => {
        const c = CLOUDS[t.cloud ?? 'commercial'];
        return { login: c.login, api: c.api, resource: c.api, caFile: undefined };
      })();
    return {
      name: t.name ?? t.tenant_id,
      tenantId: t.tenant_id.toLowerCase(),
      cloud: cloud as CloudName | 'custom',
      endpoints,
      clientId: t.client_id,
      clientSecret: t.client_secret,
      certificate: t.certificate,
      contentTypes: t.content_types as ContentType[],
      publisherId: (t.publisher_id ?? t.tenant_id).toLowerCase(),
    };
  });

/** `host:port` or `[v6]:port` → parts. */
const listenSchema = z
  .string()
  .default('127.0.0.1:9464')
  .transform((text, ctx) => {
    const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
    const port = match ? Number(match[2]) : NaN;
    if (!match || port > 65535) {
      ctx.addIssue({ code: 'custom', message: 'write listen as host:port, e.g. 127.0.0.1:9464' });
      return z.NEVER;
    }
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
  });

export const collectorSchema = z
  .strictObject({
    poll_interval: duration('30s', '1s', '1h'),
    straggler_window: duration('48h', '1h', '7d'),
    straggler_interval: duration('15m', '1m', '24h'),
    blob_concurrency: wholeNumber('blob_concurrency', 1, 64, 4),
    request_budget_per_minute: wholeNumber('request_budget_per_minute', 1, 60_000, 1800),
  })
  .transform((c) => ({
    pollIntervalMs: c.poll_interval,
    stragglerWindowMs: c.straggler_window,
    stragglerIntervalMs: c.straggler_interval,
    blobConcurrency: c.blob_concurrency,
    requestBudgetPerMinute: c.request_budget_per_minute,
  }));

export const configSchema = z
  .strictObject({
    data_dir: z.string().min(1).optional(),
    retention_days: wholeNumber('retention_days', 1, 3650, 30),
    log_level: z
      .enum(LOG_LEVELS, { error: `set log_level to one of ${LOG_LEVELS.join(', ')}` })
      .default('info'),
    listen: listenSchema,
    collector: collectorSchema.prefault({}),
    tenants: z
      .array(tenantSchema, { error: 'list at least one tenant under tenants:' })
      .min(1, 'list at least one tenant under tenants:'),
    // Past this many days, records go even if a sink has not delivered them (counted per sink). Unset: never.
    retention_hard_cap_days: z
      .number({ error: 'set retention_hard_cap_days to a whole number of days from 1 to 3650' })
      .int('set retention_hard_cap_days to a whole number of days from 1 to 3650')
      .min(1, 'set retention_hard_cap_days to a whole number of days from 1 to 3650')
      .max(3650, 'set retention_hard_cap_days to a whole number of days from 1 to 3650')
      .optional(),
    // Credentials for the listener (dashboard, /metrics, /healthz); required when listen is not loopback.
    listen_auth: z
      .strictObject({
        token: secretRefSchema.optional(),
        username: z.string().min(1, 'set listen_auth.username to a non-empty name').optional(),
        password: secretRefSchema.optional(),
      })
      .refine((a) => a.token !== undefined || (a.username !== undefined && a.password !== undefined), {
        message: 'set listen_auth.token, or both listen_auth.username and listen_auth.password',
      })
      .refine((a) => (a.username === undefined) === (a.password === undefined), {
        message: 'set listen_auth.username and listen_auth.password together',
      })
      .optional(),
    // Each sink entry is validated by its own type's schema (src/sinks, one beside each sink) in loadConfig.
    sinks: z
      .array(z.unknown(), { error: 'write sinks as a list of entries, each with a name and a type' })
      .default([]),
  })
  .superRefine((c, ctx) => {
    if (!Array.isArray(c.tenants)) return;
    const seen = new Map<string, number>();
    c.tenants.forEach((t: unknown, i: number) => {
      const id = (t as { tenant_id?: unknown; tenantId?: unknown } | null)?.tenantId;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'tenant_id'],
          message: `same tenant as tenants[${first}]; list each tenant once`,
        });
      } else seen.set(id, i);
    });
  });

export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedTenant = z.output<typeof tenantSchema>;
export type CollectorConfig = z.output<typeof collectorSchema>;
