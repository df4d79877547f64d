/**
 * The `type: splunk-hec` entry of `sinks:` (docs/sinks/splunk-hec.md): where HEC is, the token, the
 * routing keys of each envelope, compression and indexer acknowledgement.
 */
import { z } from 'zod';
import type { Secret } from '../../config/secret.js';
import type { FormatId } from '../../formats/index.js';
import {
  checkEndpointUrl,
  commonSinkConfig,
  commonSinkShape,
  durationMs,
  sinkSecretSchema,
  tlsSchema,
  type CommonSinkConfig,
  type TlsConfig,
} from '../config.js';

/**
 * The sourcetype when none is configured. The Splunk Add-on for Microsoft Office 365 parses
 * `o365:management:activity`, which fits the `splunk` format and the record as received (`raw`); the other
 * formats are not that shape, so labelling them with it would run the add-on's extractions on the wrong
 * fields: they get a sourcetype of their own, `atp-siem:<format>`.
 */
export function defaultSourcetype(format: FormatId): string {
  return format === 'splunk' || format === 'raw' ? 'o365:management:activity' : `atp-siem:${format}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Paths an operator may paste after the base URL; the sink adds its own. */
const COLLECTOR_SUFFIX = /\/services\/collector(\/(event|raw|health|ack))?(\/1\.0)?\/*$/;

const hecUrl = z
  .string({ error: 'set url to the HEC base URL, such as https://splunk.example:8088' })
  .transform((text, ctx) => {
    // HEC listens with TLS on 8088 by default.
    const url = checkEndpointUrl(text, ctx, {
      what: 'url',
      example: 'https://splunk.example:8088',
      credentials: 'the token goes in token:',
    });
    if (url === undefined) return z.NEVER;
    return `${url.origin}${url.pathname.replace(COLLECTOR_SUFFIX, '').replace(/\/+$/, '')}`;
  });

/** A routing value: HEC takes any string, but a blank or multi-line one is certainly a mistake. */
const routing = (what: string) =>
  z
    .string({ error: `set ${what} to a name` })
    .regex(/^[^\r\n]+$/, `${what} must be one line`)
    .refine((v) => v.trim() !== '', `${what} must not be blank`);

const ackSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'set ack.enabled to true or false' }).default(false),
    poll_interval: durationMs('ack.poll_interval', '1s', 10, 60_000),
    timeout: durationMs('ack.timeout', '30s', 100, 600_000),
  })
  .transform((a) => ({ enabled: a.enabled, pollIntervalMs: a.poll_interval, timeoutMs: a.timeout }));

export interface SplunkHecSinkConfig extends CommonSinkConfig {
  type: 'splunk-hec';
  /** Base URL without a trailing slash, e.g. `https://splunk.example:8088`. */
  url: string;
  token: Secret;
  index: string | undefined;
  sourcetype: string;
  source: string | undefined;
  host: string | undefined;
  gzip: boolean;
  ack: { enabled: boolean; pollIntervalMs: number; timeoutMs: number };
  /** The channel GUID; undefined: a new one per sink instance. */
  channel: string | undefined;
  tls: TlsConfig | undefined;
}

export const splunkHecConfigSchema: z.ZodType<SplunkHecSinkConfig> = z
  .strictObject({
    ...commonSinkShape,
    type: z.literal('splunk-hec'),
    url: hecUrl,
    token: sinkSecretSchema,
    index: routing('index').optional(),
    sourcetype: routing('sourcetype').optional(),
    source: routing('source').optional(),
    host: routing('host').optional(),
    gzip: z.boolean({ error: 'set gzip to true or false' }).default(true),
    ack: ackSchema.prefault({}),
    channel: z
      .string({ error: 'set channel to a GUID' })
      .regex(
        GUID,
        'channel must be a GUID such as 0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba (HEC answers code 11 otherwise)',
      )
      .optional(),
    tls: tlsSchema.optional(),
  })
  .transform((c) => {
    const common = commonSinkConfig(c, 'splunk-hec', 'splunk');
    return {
      ...common,
      type: 'splunk-hec' as const,
      url: c.url,
      token: c.token,
      index: c.index,
      sourcetype: c.sourcetype ?? defaultSourcetype(common.format),
      source: c.source,
      host: c.host,
      gzip: c.gzip,
      ack: c.ack,
      channel: c.channel,
      tls: c.tls,
    };
  });
