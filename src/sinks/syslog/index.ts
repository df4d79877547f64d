/**
 * The syslog sink: each event as one syslog message (RFC 5424 by default, or RFC 3164), its MSG the event
 * in the sink's format (CEF by default; LEEF or a JSON format), over TCP, TLS (RFC 5425) or UDP (RFC 5426).
 *
 * - TCP/TLS: one persistent connection; a batch is one write, answered `delivered` once it drained to the
 *   kernel. Any failure is `retryable` (the driver sends the whole batch again, on a new connection:
 *   at-least-once). Syslog has no way to refuse an event, so the sink never answers `rejected`.
 * - UDP: one datagram per event; `delivered` means sent.
 * - A message larger than `max_message_bytes` is cut at a character boundary and marked (see
 *   `truncationMarker`), never split into two events.
 *
 * Configuration reference: docs/sinks/syslog.md.
 */
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConnectorError } from '../../api/errors.js';
import type { FormatId } from '../../formats/index.js';
import {
  commonSinkConfig,
  commonSinkShape,
  tlsSchema,
  type CommonSinkConfig,
  type TlsConfig,
} from '../config.js';
import { tlsConnectOptions } from '../tls.js';
import type { SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import {
  FACILITIES,
  buildMessage,
  frame,
  headerField,
  shortHostname,
  type FacilityName,
  type MessageOptions,
  type SyslogFraming,
  type SyslogProtocol,
} from './message.js';
import { DatagramTransport, StreamTransport, type Transport, type TransportFailure } from './transport.js';

export { buildMessage, frame, FACILITIES, SYSLOG_SEVERITY } from './message.js';

export type SyslogTransportKind = 'tcp' | 'tls' | 'udp';

export interface SyslogSinkConfig extends CommonSinkConfig {
  type: 'syslog';
  transport: SyslogTransportKind;
  host: string;
  port: number;
  protocol: SyslogProtocol;
  /** TCP and TLS only (TLS is always octet counting). */
  framing: SyslogFraming;
  /** 0–23. */
  facility: number;
  appName: string;
  /** Undefined: the machine's name, read when the sink starts. */
  hostname: string | undefined;
  maxMessageBytes: number;
  utf8Bom: boolean;
  tls: TlsConfig | undefined;
}

/** Default port of each transport (RFC 5426 / RFC 6587 practice: 514; RFC 5425: 6514). */
export const DEFAULT_PORTS: Record<SyslogTransportKind, number> = { tcp: 514, udp: 514, tls: 6514 };

/**
 * Message size defaults: 8,096 bytes is rsyslog's default maxMessageSize as measured (spec §3.6, §4 item 5;
 * its docs say "8k"); UDP stays below a 1,500-byte MTU after IP and UDP headers so a datagram is never
 * fragmented (spec §3.5).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = { stream: 8096, udp: 1400 } as const;
/** RFC 5424 §6.1: every receiver must take 480 octets. */
const MIN_MESSAGE_BYTES = 480;
/** IPv4 UDP payload ceiling (RFC 5426 §3.2). */
const MAX_UDP_BYTES = 65_507;
const MAX_STREAM_BYTES = 16 * 1024 * 1024;

const URL_HELP =
  'set url to tcp://host:port, tls://host:port or udp://host:port (ports default to 514, tls 6514)';

function parseUrl(text: string): { transport: SyslogTransportKind; host: string; port: number } | string {
  const scheme = /^([a-z]+):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== 'tcp' && scheme !== 'tls' && scheme !== 'udp') return URL_HELP;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return URL_HELP;
  }
  if (url.username !== '' || url.password !== '' || (url.pathname !== '' && url.pathname !== '/'))
    return `${URL_HELP}; a syslog url has no user, path or query`;
  if (url.search !== '' || url.hash !== '') return `${URL_HELP}; a syslog url has no user, path or query`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return URL_HELP;
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  return { transport: scheme, host, port };
}

const facilityNames = Object.keys(FACILITIES) as [FacilityName, ...FacilityName[]];
const FACILITY_HELP = `set facility to a name (${facilityNames.join(', ')}) or a number from 0 to 23`;

const printable = (what: string, max: number) =>
  z
    .string({ error: `set ${what} to 1-${max} printable ASCII characters without spaces` })
    .regex(
      new RegExp(`^[\\x21-\\x7e]{1,${max}}$`),
      `set ${what} to 1-${max} printable ASCII characters without spaces`,
    );

const configSchema = z
  .strictObject({
    ...commonSinkShape,
    type: z.literal('syslog'),
    url: z.string({ error: URL_HELP }),
    protocol: z
      .enum(['rfc5424', 'rfc3164'], { error: 'set protocol to rfc5424 or rfc3164' })
      .default('rfc5424'),
    framing: z.enum(['octet-counting', 'lf'], { error: 'set framing to octet-counting or lf' }).optional(),
    facility: z
      .union([z.enum(facilityNames), z.number().int().min(0).max(23)], { error: FACILITY_HELP })
      .default('local4'),
    app_name: printable('app_name', 48).default('atp-siem'),
    hostname: printable('hostname', 255).optional(),
    max_message_bytes: z
      .number({ error: `set max_message_bytes to a whole number of at least ${MIN_MESSAGE_BYTES}` })
      .int(`set max_message_bytes to a whole number of at least ${MIN_MESSAGE_BYTES}`)
      .min(MIN_MESSAGE_BYTES, `set max_message_bytes to at least ${MIN_MESSAGE_BYTES} (RFC 5424 §6.1)`)
      .max(MAX_STREAM_BYTES, `set max_message_bytes to at most ${MAX_STREAM_BYTES}`)
      .optional(),
    utf8_bom: z.boolean({ error: 'set utf8_bom to true or false' }).default(false),
    tls: tlsSchema.optional(),
  })
  .transform((c, ctx): SyslogSinkConfig => {
    const target = parseUrl(c.url);
    if (typeof target === 'string') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: target });
      return z.NEVER;
    }
    const { transport } = target;
    if (transport !== 'tls' && c.tls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tls options apply to tls:// urls only; use tls://host:6514 or remove tls',
      });
    }
    if (transport === 'tls' && c.framing === 'lf') {
      ctx.addIssue({
        code: 'custom',
        path: ['framing'],
        message: 'syslog over TLS is octet-counted (RFC 5425 §4.3); remove framing or set octet-counting',
      });
    }
    if (transport === 'udp' && c.framing !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['framing'],
        message: 'a UDP datagram carries one message unframed; framing applies to tcp:// and tls:// only',
      });
    }
    if (c.utf8_bom && c.protocol === 'rfc3164') {
      ctx.addIssue({
        code: 'custom',
        path: ['utf8_bom'],
        message: 'the UTF-8 BOM is an RFC 5424 marker; remove utf8_bom or set protocol: rfc5424',
      });
    }
    if (transport === 'udp' && c.max_message_bytes !== undefined && c.max_message_bytes > MAX_UDP_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_message_bytes'],
        message: `a UDP datagram holds at most ${MAX_UDP_BYTES} bytes; lower max_message_bytes`,
      });
    }
    return {
      ...commonSinkConfig(c, 'syslog', 'cef'),
      type: 'syslog',
      transport,
      host: target.host,
      port: target.port,
      protocol: c.protocol,
      // Plain TCP defaults to LF: it is what every TCP syslog receiver takes (syslog-ng network(), the
      // conventional QRadar/ArcSight inputs; rsyslog and octet-counting receivers tell the two apart by the
      // first byte and take both, spec §3.3), and the sink keeps CR/LF out of every MSG so an LF frame
      // cannot break. TLS is octet counting by RFC 5425.
      framing: transport === 'tls' ? 'octet-counting' : (c.framing ?? 'lf'),
      facility: typeof c.facility === 'number' ? c.facility : FACILITIES[c.facility],
      appName: c.app_name,
      hostname: c.hostname,
      maxMessageBytes:
        c.max_message_bytes ??
        (transport === 'udp' ? DEFAULT_MAX_MESSAGE_BYTES.udp : DEFAULT_MAX_MESSAGE_BYTES.stream),
      utf8Bom: c.utf8_bom,
      tls: c.tls,
    };
  });

const FORMATS: readonly FormatId[] = ['cef', 'leef', 'ecs', 'ocsf', 'splunk', 'raw'];

/** The HOSTNAME field: as configured, else the machine's name (its first label for RFC 3164). */
function headerHostname(config: SyslogSinkConfig): string {
  if (config.hostname !== undefined) return config.hostname;
  const name = headerField(osHostname(), 255);
  return config.protocol === 'rfc3164' && isIP(name) === 0 ? shortHostname(name) : name;
}

function retryable(failure: TransportFailure): SendResult {
  return failure.blocked
    ? { outcome: 'retryable', reason: failure.reason, blocked: true }
    : { outcome: 'retryable', reason: failure.reason };
}

function createSyslogSink(config: SyslogSinkConfig, ctx: SinkContext): Sink {
  const transport: Transport =
    config.transport === 'udp'
      ? new DatagramTransport(config.host, config.port)
      : new StreamTransport({
          kind: config.transport,
          host: config.host,
          port: config.port,
          tls: config.transport === 'tls' ? tlsConnectOptions(config.tls, ctx.baseDir, config.name) : {},
        });
  const options: MessageOptions = {
    protocol: config.protocol,
    facility: config.facility,
    hostname: headerHostname(config),
    appName: config.appName,
    procId: String(process.pid),
    bom: config.utf8Bom,
    maxBytes: config.maxMessageBytes,
  };
  const log = ctx.logger.child({ sink: config.name });
  // One connection carries one stream of frames: sends take turns (a `concurrency` above 1 only queues).
  let queue: Promise<unknown> = Promise.resolve();
  let closed: Promise<void> | undefined;

  function inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  function encode(batch: readonly SinkEvent[]): Buffer[] {
    const now = new Date();
    let truncated = 0;
    const frames = batch.map((event) => {
      const message = buildMessage(event, options, now);
      if (message.truncated) truncated++;
      return config.transport === 'udp' ? message.bytes : frame(message.bytes, config.framing);
    });
    if (truncated > 0)
      log.debug({ truncated, maxMessageBytes: config.maxMessageBytes }, 'Syslog messages truncated.');
    return frames;
  }

  return {
    name: config.name,
    type: 'syslog',
    send(batch, signal) {
      if (closed !== undefined)
        return Promise.resolve({ outcome: 'retryable', reason: 'the sink is closed' });
      const frames = encode(batch);
      return inTurn(async (): Promise<SendResult> => {
        if (signal.aborted)
          return { outcome: 'retryable', reason: `timed out waiting to send to ${transport.url}` };
        const failure = await transport.write(frames, signal);
        return failure === undefined ? { outcome: 'delivered' } : retryable(failure);
      });
    },
    async healthcheck(signal) {
      const failure = await inTurn(() => transport.open(signal));
      if (failure === undefined) return;
      throw new ConnectorError(
        failure.blocked ? 'CONFIG_INVALID' : 'SINK_UNAVAILABLE',
        `sink ${config.name}: ${failure.reason}` +
          (failure.blocked ? '' : '; check that the syslog receiver listens there and the url is right'),
        { stage: 'sending' },
      );
    },
    close() {
      closed ??= inTurn(() => transport.close()).then(() => undefined);
      return closed;
    },
  };
}

/**
 * The `syslog` sink type.
 * @example sinks: [{ name: siem, type: syslog, url: "tls://siem.contoso.example:6514", tls: { ca_file: ca.pem } }]
 */
export const syslogSink: SinkDefinition<SyslogSinkConfig> = {
  type: 'syslog',
  defaultFormat: 'cef',
  formats: FORMATS,
  configSchema,
  create: createSyslogSink,
};
