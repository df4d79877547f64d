/**
 * A Splunk HTTP Event Collector that answers like the real one (spec siem-http-sinks.md §1 and checklist §5),
 * for the splunk-hec sink's tests and the bench: routes and aliases, token authentication with HEC's codes,
 * back-to-back envelopes, gzip, per-object errors that keep the indexed prefix, size limits, channels and
 * indexer acknowledgement (ids per channel, `true` once, idle expiry on an injected clock), and faults.
 * It records every request and every event it indexed.
 *
 * @example
 * const hec = await startHecServer();
 * // POST `${hec.url}/services/collector/event` with `Authorization: Splunk ${hec.tokens.main}`
 * await hec.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One HEC token (inputs.conf `[http://name]`). */
export interface HecTokenSpec {
  name: string;
  /** The GUID value; random when absent. */
  value?: string;
  disabled?: boolean;
  /** Indexes the token may write to; empty or absent: any. */
  indexes?: string[];
  /** Index used when an envelope names none (default `main`). */
  defaultIndex?: string;
  useAck?: boolean;
  allowQueryStringAuth?: boolean;
}

/** Knobs that change how the server behaves; all can be changed while it runs with `configure`. */
export interface HecBehaviour {
  /** `limits.conf [http_input] max_content_length` (default 838860800). Over it: 413. */
  maxContentLength: number;
  /** Whether max_content_length counts the bytes on the wire or the inflated body (unverified, spec §6). */
  contentLengthCounts: 'wire' | 'inflated';
  /** `inputs.conf [http] maxEventSize` (default 5 MiB), checked on each envelope's JSON text: over it, code 6. */
  maxEventSize: number;
  /** Splunk Cloud answers a missing channel with code 28 instead of 10 (spec §1.5). */
  cloud: boolean;
  /**
   * An unknown top-level key: `stop` as observed (indexing stops at that object; 200 if some were indexed,
   * else 400 code 5), or `ignore` (a lenient HEC that indexes the object and drops the key).
   */
  unknownKeys: 'stop' | 'ignore';
  /** Whether the objects before a bad one are indexed (observed: yes; one server log hints no, spec §1.6). */
  indexPrefixOnError: boolean;
  /** Code 7 reports an `invalid-event-number` one too high, as observed (spec §1.6). */
  incorrectIndexOffByOne: boolean;
  /** Milliseconds (on the server clock) from a post to its ack turning true. */
  indexDelayMs: number;
  /** Acks of posts accepted from now on never turn true (an indexer lost them). */
  loseAcks: boolean;
  /** `ackIdleCleanup` / `maxIdleTime`: a channel idle this long is dropped with its statuses (default 600 s). */
  maxIdleTimeMs: number;
}

export type HecRoute = 'event' | 'raw' | 'health' | 'ack';

/**
 * A fault applied to requests on `routes` (default event and raw) for `times` requests (default: until heal):
 * - `busy`: 503 code 9; `internal`: 500 code 8; `throttle`: 429 code 9 with `Retry-After`;
 * - `unhealthy`: health answers 503 code 18 and posts 503 code 9 (a full queue);
 * - `reset`: the connection is cut once the body starts to arrive; `hang`: the body is read, no answer ever;
 * - `slow`: the normal answer after `delayMs`.
 */
export interface HecFault {
  kind: 'busy' | 'internal' | 'throttle' | 'unhealthy' | 'reset' | 'hang' | 'slow';
  routes?: HecRoute[];
  times?: number;
  retryAfter?: string;
  delayMs?: number;
  /** For `unhealthy`: which health code (18 queues full, 19 ack service unavailable, 20 both). */
  healthCode?: 18 | 19 | 20;
}

export interface HecServerOptions extends Partial<HecBehaviour> {
  /** Tokens; by default `main`, `ack` (useACK), `disabled`, `restricted` (index `o365` only), `query`. */
  tokens?: HecTokenSpec[];
  /** The server clock for acks and channel expiry (epoch ms); defaults to Date.now. */
  clock?: () => number;
}

export interface HecRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Bytes as received (compressed when gzip). */
  wireBytes: number;
  /** The inflated body as text (null when it could not be inflated or was not read). */
  body: string | null;
  /** Status answered (0: no answer, the connection was cut or left hanging). */
  status: number;
  reply: unknown;
}

export interface HecIndexedEvent {
  /** The name of the token that sent it. */
  token: string;
  channel: string | null;
  route: 'event' | 'raw';
  index: string;
  time: number | string | undefined;
  host: string | undefined;
  source: string | undefined;
  sourcetype: string | undefined;
  event: unknown;
  fields: Record<string, unknown> | undefined;
  /** The envelope's own JSON text (for `/raw`, the line). */
  text: string;
}

export interface HecServer {
  url: string;
  port: number;
  /** Token values by name. */
  tokens: Record<string, string>;
  requests: HecRequestRecord[];
  indexed: HecIndexedEvent[];
  configure(change: Partial<HecBehaviour>): void;
  fail(fault: HecFault): void;
  heal(): void;
  /** Marks every pending ack as indexed now (with a long `indexDelayMs`, this releases them on cue). */
  releaseAcks(): void;
  /** Ack ids waiting to be read on a channel (pending or ready, not lost-and-forgotten). */
  pendingAcks(channel: string): number[];
  /** Resolves once `indexed` holds `count` events, or rejects after `timeoutMs`. */
  waitForIndexed(count: number, timeoutMs?: number): Promise<HecIndexedEvent[]>;
  waitForRequests(count: number, timeoutMs?: number): Promise<HecRequestRecord[]>;
  close(): Promise<void>;
}

/** HEC's reply texts by code (spec §1.5). */
export const HEC_TEXT: Readonly<Record<number, string>> = {
  0: 'Success',
  1: 'Token disabled',
  2: 'Token is required',
  3: 'Invalid authorization',
  4: 'Invalid token',
  5: 'No data',
  6: 'Invalid data format',
  7: 'Incorrect index',
  8: 'Internal server error',
  9: 'Server is busy',
  10: 'Data channel is missing',
  11: 'Invalid data channel',
  12: 'Event field is required',
  13: 'Event field cannot be blank',
  14: 'ACK is disabled',
  15: 'Error in handling indexed fields',
  16: 'Query string authorization is not enabled',
  17: 'HEC is healthy',
  18: 'HEC is unhealthy, queues are full',
  19: 'HEC is unhealthy, ack service unavailable',
  20: 'HEC is unhealthy, queues are full, ack service unavailable',
  28: 'Data channel is missing. If you have multiple indexers, sticky session load balancers must be provisioned',
};

const ROUTES: Readonly<Record<string, HecRoute>> = {
  '/services/collector': 'event',
  '/services/collector/event': 'event',
  '/services/collector/event/1.0': 'event',
  '/services/collector/raw': 'raw',
  '/services/collector/raw/1.0': 'raw',
  '/services/collector/health': 'health',
  '/services/collector/health/1.0': 'health',
  '/services/collector/ack': 'ack',
};

const NOT_FOUND = { text: 'The requested URL was not found on this server.', code: 404 };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENVELOPE_KEYS = new Set(['time', 'host', 'source', 'sourcetype', 'index', 'event', 'fields']);

interface Token extends HecTokenSpec {
  value: string;
}

interface Channel {
  nextId: number;
  /** ackId → when it turns true, or lost. Ids read as true are deleted: `true` is told once. */
  pending: Map<number, { readyAt: number; lost: boolean }>;
  lastUsed: number;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const hecReply = (code: number, status = 400, extra: Record<string, unknown> = {}): Reply => ({
  status,
  body: { text: HEC_TEXT[code] ?? 'Unknown', code, ...extra },
});

function defaultTokens(): HecTokenSpec[] {
  return [
    { name: 'main' },
    { name: 'ack', useAck: true },
    { name: 'disabled', disabled: true },
    { name: 'restricted', indexes: ['o365'], defaultIndex: 'o365' },
    { name: 'query', allowQueryStringAuth: true },
  ];
}

/**
 * Finds where each top-level JSON value of a back-to-back stream ends; an object that does not close, or
 * text that is not an object, becomes one last "bad" item (HEC stops there anyway).
 */
function splitObjects(text: string): { text: string; ok: boolean }[] {
  const items: { text: string; ok: boolean }[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (i >= n) break;
    if (text[i] !== '{') {
      items.push({ text: text.slice(i), ok: false });
      break;
    }
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) break;
      }
    }
    if (i >= n) {
      items.push({ text: text.slice(start), ok: false });
      break;
    }
    i++;
    items.push({ text: text.slice(start, i), ok: true });
  }
  return items;
}

const isStringArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null);

/**
 * Starts a HEC on 127.0.0.1 (HTTP, port 0).
 * @example const hec = await startHecServer({ maxEventSize: 1000 });
 */
export async function startHecServer(options: HecServerOptions = {}): Promise<HecServer> {
  const clock = options.clock ?? Date.now;
  const behaviour: HecBehaviour = {
    maxContentLength: options.maxContentLength ?? 838_860_800,
    contentLengthCounts: options.contentLengthCounts ?? 'wire',
    maxEventSize: options.maxEventSize ?? 5 * 1024 * 1024,
    cloud: options.cloud ?? false,
    unknownKeys: options.unknownKeys ?? 'stop',
    indexPrefixOnError: options.indexPrefixOnError ?? true,
    incorrectIndexOffByOne: options.incorrectIndexOffByOne ?? true,
    indexDelayMs: options.indexDelayMs ?? 0,
    loseAcks: options.loseAcks ?? false,
    maxIdleTimeMs: options.maxIdleTimeMs ?? 600_000,
  };
  const tokens: Token[] = (options.tokens ?? defaultTokens()).map((t) => ({
    ...t,
    value: t.value ?? randomUUID(),
  }));
  const channels = new Map<string, Channel>();
  const requests: HecRequestRecord[] = [];
  const indexed: HecIndexedEvent[] = [];
  let fault: (HecFault & { left: number }) | undefined;

  function takeFault(route: HecRoute): HecFault | undefined {
    if (fault === undefined) return undefined;
    const routes =
      fault.routes ?? (fault.kind === 'unhealthy' ? ['event', 'raw', 'health'] : ['event', 'raw']);
    if (!routes.includes(route)) return undefined;
    const taken = fault;
    taken.left -= 1;
    if (taken.left <= 0) fault = undefined;
    return taken;
  }

  function expireChannels(): void {
    const now = clock();
    for (const [id, ch] of channels) if (now - ch.lastUsed > behaviour.maxIdleTimeMs) channels.delete(id);
  }

  function channelOf(id: string): Channel {
    let ch = channels.get(id);
    if (ch === undefined) {
      ch = { nextId: 0, pending: new Map(), lastUsed: clock() };
      channels.set(id, ch);
    }
    ch.lastUsed = clock();
    return ch;
  }

  function authenticate(req: IncomingMessage, query: URLSearchParams): Token | Reply {
    const fromQuery = query.get('token');
    if (fromQuery !== null) {
      // A query token wins over a header one, but only where the token allows it.
      const token = tokens.find((t) => t.value === fromQuery);
      if (token === undefined) return hecReply(4, 403);
      if (!token.allowQueryStringAuth) return hecReply(16, 400);
      return token.disabled ? hecReply(1, 403) : token;
    }
    const header = req.headers.authorization;
    if (header === undefined) return hecReply(2, 401);
    let value: string | undefined;
    const splunk = /^Splunk\s+(\S+)\s*$/i.exec(header);
    const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
    if (splunk) value = splunk[1];
    else if (basic) {
      const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      value = colon < 0 ? undefined : decoded.slice(colon + 1);
    }
    if (value === undefined) return hecReply(3, 401);
    const token = tokens.find((t) => t.value === value);
    if (token === undefined) return hecReply(4, 403);
    return token.disabled ? hecReply(1, 403) : token;
  }

  /** The channel of a request (query before header), or the reply that refuses it. */
  function channelFor(
    req: IncomingMessage,
    query: URLSearchParams,
    token: Token,
  ): { channel: string | null } | Reply {
    const header = req.headers['x-splunk-request-channel'];
    const channel = query.get('channel') ?? (typeof header === 'string' ? header : null);
    if (channel === null) return token.useAck ? hecReply(behaviour.cloud ? 28 : 10) : { channel: null };
    if (!GUID.test(channel)) return hecReply(11);
    return { channel };
  }

  function indexAllowed(token: Token, index: string): boolean {
    return token.indexes === undefined || token.indexes.length === 0 || token.indexes.includes(index);
  }

  /** Indexes `/event` envelopes until the first bad one, as HEC does (spec §1.6). */
  function ingestEvents(text: string, token: Token, channel: string | null): Reply | undefined {
    const items = splitObjects(text);
    if (items.length === 0) return hecReply(5);
    const accepted: HecIndexedEvent[] = [];
    let failure: Reply | undefined;
    for (const [n, item] of items.entries()) {
      const bad = (code: number, number = n) => hecReply(code, 400, { 'invalid-event-number': number });
      let value: unknown;
      try {
        value = item.ok ? JSON.parse(item.text) : undefined;
      } catch {
        value = undefined;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        failure = bad(6);
        break;
      }
      const env = value as Record<string, unknown>;
      if (behaviour.unknownKeys === 'stop' && Object.keys(env).some((k) => !ENVELOPE_KEYS.has(k))) {
        // Observed: 200 with only the objects before it indexed; as the first object, "No data".
        if (accepted.length === 0) failure = hecReply(5);
        break;
      }
      if (Buffer.byteLength(item.text) > behaviour.maxEventSize) {
        failure = bad(6);
        break;
      }
      const time = env.time;
      const timeOk =
        time === undefined ||
        (typeof time === 'number' && Number.isFinite(time)) ||
        (typeof time === 'string' && /^\d+(\.\d+)?$/.test(time));
      const meta = ['host', 'source', 'sourcetype', 'index'] as const;
      if (!timeOk || meta.some((k) => env[k] !== undefined && typeof env[k] !== 'string')) {
        failure = bad(6);
        break;
      }
      if (!('event' in env)) {
        failure = bad(12);
        break;
      }
      const event = env.event;
      if (event === null || (typeof event === 'string' && event.trim() === '')) {
        failure = bad(13);
        break;
      }
      if (typeof event !== 'string' && typeof event !== 'number' && typeof event !== 'object') {
        failure = bad(6);
        break;
      }
      const fields = env.fields;
      if (
        fields !== undefined &&
        (typeof fields !== 'object' ||
          fields === null ||
          Array.isArray(fields) ||
          Object.values(fields).some((v) => typeof v === 'object' && v !== null && !isStringArray(v)))
      ) {
        failure = bad(15);
        break;
      }
      const index = (env.index as string | undefined) ?? token.defaultIndex ?? 'main';
      if (!indexAllowed(token, index)) {
        failure = bad(7, behaviour.incorrectIndexOffByOne ? n + 1 : n);
        break;
      }
      accepted.push({
        token: token.name,
        channel,
        route: 'event',
        index,
        time: time as number | string | undefined,
        host: env.host as string | undefined,
        source: env.source as string | undefined,
        sourcetype: env.sourcetype as string | undefined,
        event,
        fields: fields as Record<string, unknown> | undefined,
        text: item.text,
      });
    }
    if (failure === undefined || behaviour.indexPrefixOnError) indexed.push(...accepted);
    return failure;
  }

  /** `/raw`: one event per non-empty line; metadata from the query string (seen in HEC clones only). */
  function ingestRaw(text: string, query: URLSearchParams, token: Token, channel: string | null) {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    if (lines.length === 0) return hecReply(5);
    const index = query.get('index') ?? token.defaultIndex ?? 'main';
    if (!indexAllowed(token, index)) return hecReply(7);
    for (const line of lines) {
      indexed.push({
        token: token.name,
        channel,
        route: 'raw',
        index,
        time: undefined,
        host: query.get('host') ?? undefined,
        source: query.get('source') ?? undefined,
        sourcetype: query.get('sourcetype') ?? undefined,
        event: line,
        fields: undefined,
        text: line,
      });
    }
    return undefined;
  }

  function success(token: Token, channel: string | null): Reply {
    if (!token.useAck || channel === null) return hecReply(0, 200);
    const ch = channelOf(channel);
    const ackId = ch.nextId++;
    ch.pending.set(ackId, { readyAt: clock() + behaviour.indexDelayMs, lost: behaviour.loseAcks });
    return hecReply(0, 200, { ackId });
  }

  function answerAck(body: string, token: Token, channel: string | null): Reply {
    if (!token.useAck) return hecReply(14);
    if (channel === null) return hecReply(behaviour.cloud ? 28 : 10);
    let ids: unknown;
    try {
      ids = (JSON.parse(body) as { acks?: unknown }).acks;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) return hecReply(6);
    const ch = channels.get(channel);
    if (ch !== undefined) ch.lastUsed = clock();
    const acks: Record<string, boolean> = {};
    const now = clock();
    for (const id of ids as number[]) {
      const status = ch?.pending.get(id);
      const done = status !== undefined && !status.lost && now >= status.readyAt;
      // `true` is told once; the status is forgotten as soon as it was read.
      if (done) ch?.pending.delete(id);
      acks[String(id)] = done;
    }
    return { status: 200, body: { acks } };
  }

  async function readBody(req: IncomingMessage): Promise<{ data: Buffer; size: number }> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      // Past the limit the rest is only drained, never held.
      if (size <= behaviour.maxContentLength) chunks.push(buf);
    }
    return { data: Buffer.concat(chunks), size };
  }

  function send(res: ServerResponse, record: HecRequestRecord, reply: Reply): void {
    record.status = reply.status;
    record.reply = reply.body;
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': String(Buffer.byteLength(text)),
      ...reply.headers,
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hec.invalid');
    const record: HecRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      wireBytes: 0,
      body: null,
      status: 0,
      reply: undefined,
    };
    requests.push(record);
    const route = ROUTES[url.pathname.replace(/\/+$/, '') || '/'];
    const method = record.method;
    if (route === undefined) return send(res, record, { status: 404, body: NOT_FOUND });
    const allow = route === 'health' ? 'GET,HEAD,OPTIONS' : 'POST,OPTIONS';
    if (method === 'OPTIONS') return send(res, record, { status: 200, body: undefined, headers: { allow } });
    if (!allow.split(',').includes(method)) return send(res, record, { status: 405, body: NOT_FOUND });

    const injected = takeFault(route);
    if (injected?.kind === 'reset') {
      // Cut the connection once the body starts to arrive (or at once when there is none).
      const cut = () => req.socket.destroy();
      req.once('data', cut);
      req.once('end', cut);
      return;
    }
    const { data: wire, size: wireSize } = await readBody(req);
    record.wireBytes = wireSize;
    if (injected?.kind === 'hang') return;
    if (injected?.kind === 'slow') await new Promise((r) => setTimeout(r, injected.delayMs ?? 1000));
    if (injected !== undefined && injected.kind !== 'slow') {
      const retry: Record<string, string> =
        injected.retryAfter === undefined ? {} : { 'retry-after': injected.retryAfter };
      if (route === 'health')
        return send(
          res,
          record,
          hecReply(injected.kind === 'unhealthy' ? (injected.healthCode ?? 18) : 8, 503),
        );
      const reply =
        injected.kind === 'internal'
          ? hecReply(8, 500)
          : injected.kind === 'throttle'
            ? hecReply(9, 429)
            : hecReply(9, 503);
      return send(res, record, { ...reply, headers: retry });
    }

    if (route === 'health') {
      return send(res, record, method === 'HEAD' ? { status: 200, body: undefined } : hecReply(17, 200));
    }
    // Treated as an HTTP-layer limit ahead of authentication (order and body text unverified).
    if (behaviour.contentLengthCounts === 'wire' && wireSize > behaviour.maxContentLength) {
      return send(res, record, {
        status: 413,
        body: { text: `Content-Length of ${wireSize} too large (maximum is ${behaviour.maxContentLength})` },
      });
    }
    const query = url.searchParams;
    const auth = authenticate(req, query);
    if ('status' in auth) return send(res, record, auth);
    const token = auth;
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      // Observed: an HTML page, not HEC's JSON.
      res.writeHead(415, { 'content-type': 'text/html; charset=UTF-8' });
      record.status = 415;
      res.end('<!doctype html><html><body><h1>Unsupported Media Type</h1></body></html>');
      return;
    }
    let body: Buffer;
    try {
      body = encoding === 'gzip' && wire.length > 0 ? gunzipSync(wire) : wire;
    } catch {
      return send(res, record, hecReply(6));
    }
    record.body = body.toString('utf8');
    if (behaviour.contentLengthCounts === 'inflated' && body.length > behaviour.maxContentLength) {
      return send(res, record, { status: 413, body: { text: 'Content too large' } });
    }
    expireChannels();
    const ch = channelFor(req, query, token);
    if ('status' in ch) return send(res, record, ch);
    if (route === 'ack') return send(res, record, answerAck(record.body, token, ch.channel));
    const failure =
      route === 'raw'
        ? ingestRaw(record.body, query, token, ch.channel)
        : ingestEvents(record.body, token, ch.channel);
    return send(res, record, failure ?? success(token, ch.channel));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  async function waitFor<T>(what: () => T[], count: number, timeoutMs: number, label: string): Promise<T[]> {
    const until = Date.now() + timeoutMs;
    while (what().length < count) {
      if (Date.now() > until) throw new Error(`HEC test server: ${label} ${what().length} of ${count}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return what();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tokens: Object.fromEntries(tokens.map((t) => [t.name, t.value])),
    requests,
    indexed,
    configure(change) {
      Object.assign(behaviour, change);
    },
    fail(f) {
      fault = { ...f, left: f.times ?? Infinity };
    },
    heal() {
      fault = undefined;
    },
    releaseAcks() {
      const now = clock();
      for (const ch of channels.values())
        for (const status of ch.pending.values()) status.readyAt = Math.min(status.readyAt, now);
    },
    pendingAcks(channel) {
      return [...(channels.get(channel)?.pending.keys() ?? [])];
    },
    waitForIndexed: (count, timeoutMs = 5000) => waitFor(() => indexed, count, timeoutMs, 'indexed'),
    waitForRequests: (count, timeoutMs = 5000) => waitFor(() => requests, count, timeoutMs, 'requests'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
