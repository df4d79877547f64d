/**
 * An Elasticsearch (or, in OpenSearch mode, OpenSearch) test server over loopback that answers the way the
 * product does where a sink can tell: `GET /` and the product header, compatibility headers, ApiKey/Basic/
 * Bearer authentication, `_bulk` framing, limits and per-item results, data streams, composable index
 * templates, dynamic mapping with real type conflicts, and injectable faults. It follows
 * /work/shared/spec/siem-http-sinks.md §2, §3 and its §5 checklist; exact strings are the product's where
 * the spec has them, ours (marked) where it does not. Reusable by the bench: start it, point a sink at
 * `url`, read `documents()`.
 *
 * @example
 * const es = await ElasticsearchTestServer.start({ auth: { apiKeys: ['aWQ6a2V5'] } });
 * // ... sink.send(...)
 * es.documents().length;
 * await es.close();
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  checkMappings,
  EsFailure,
  indexDocument,
  isObject,
  patternMatches,
  patternsOverlap,
  type EsError,
  type FieldMapping,
  type Flavor,
} from './elasticsearch-mapping.js';

export type { EsError, FieldMapping, Flavor } from './elasticsearch-mapping.js';

export interface EsAuth {
  /** Accepted `Authorization: ApiKey <encoded>` values (base64 of `id:api_key`). */
  apiKeys?: readonly string[];
  users?: readonly { username: string; password: string }[];
  bearerTokens?: readonly string[];
}

export interface ElasticsearchServerOptions {
  flavor?: Flavor;
  /** `version.number` of `GET /` (default 8.19.0; OpenSearch 2.19.0). */
  version?: string;
  tagline?: string;
  /** Send `X-Elastic-Product: Elasticsearch` (default: on for Elasticsearch; never for OpenSearch). */
  productHeader?: boolean;
  /** Credentials required on every request; absent: security off (anonymous access). */
  auth?: EsAuth;
  /** `http.max_content_length`, measured on the inflated body (default 100 MiB). */
  maxContentLength?: number;
  /** The built-in priority-100 `logs-*-*` data stream template (default: Elasticsearch yes, OpenSearch no). */
  builtinLogsTemplate?: boolean;
  /** Index patterns the credential may not write to (item 403 security_exception). */
  forbiddenIndices?: readonly string[];
  /** Clock for backing index dates. */
  now?: () => Date;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** Ingest pipelines that exist (`?pipeline=` naming another fails each item, as the cluster does). */
  pipelines?: readonly string[];
}

/** A whole-request fault, until `heal()` or `times` requests. */
export type RequestFault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503 | 504; times?: number; retryAfter?: string }
  | { kind: 'reset'; times?: number }
  | { kind: 'hang' }
  /** Not Elasticsearch: a proxy error page that prints the request headers (to test that secrets stay out of reasons). */
  | { kind: 'echo-headers' };

/** A per-item fault: each matching item fails `times` times, then is indexed normally. */
export interface ItemFault {
  status: 400 | 429 | 500 | 503;
  times: number;
  /** `_id`s hit (all items when absent). */
  ids?: readonly string[];
}

export interface StoredDocument {
  /** The concrete index (a `.ds-…` backing index for a data stream). */
  index: string;
  dataStream: string | undefined;
  id: string;
  /** The source line as received. */
  source: string;
  version: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** The body, inflated. */
  body: string;
  /** Bytes on the wire (before gunzip). */
  wireBytes: number;
}

export interface StoredTemplate {
  name: string;
  body: Record<string, unknown>;
  patterns: string[];
  priority: number;
  dataStream: boolean;
  builtin: boolean;
}

interface Index {
  name: string;
  uuid: string;
  dataStream: string | undefined;
  mapping: FieldMapping;
  dynamicStrings: 'keyword' | 'text';
  docs: Map<string, StoredDocument>;
  seqNo: number;
}

interface DataStream {
  name: string;
  template: string;
  generation: number;
  indices: string[];
}

interface BulkItem {
  op: 'create' | 'index' | 'update' | 'delete';
  meta: Record<string, unknown>;
  source: string | undefined;
}

const HUNDRED_MB = 100 * 1024 * 1024;

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly payload: unknown,
    readonly headers: Record<string, string | string[]> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** `{"error":{root_cause,type,reason,…},"status":N}`, the envelope of every whole-request error. */
function errorBody(status: number, error: EsError): unknown {
  const { caused_by: _cause, ...root } = error;
  return { error: { root_cause: [root], ...error }, status };
}

function fail(status: number, error: EsError): HttpFailure {
  return new HttpFailure(status, errorBody(status, error));
}

const TOP_LEVEL_TEMPLATE_KEYS: Record<Flavor, ReadonlySet<string>> = {
  elasticsearch: new Set([
    'index_patterns',
    'composed_of',
    'template',
    'priority',
    'version',
    '_meta',
    'data_stream',
    'allow_auto_create',
    'ignore_missing_component_templates',
    'deprecated',
  ]),
  opensearch: new Set([
    'index_patterns',
    'composed_of',
    'template',
    'priority',
    'version',
    '_meta',
    'data_stream',
  ]),
};
const TEMPLATE_KEYS: Record<Flavor, ReadonlySet<string>> = {
  elasticsearch: new Set(['settings', 'mappings', 'aliases', 'lifecycle', 'data_stream_options']),
  opensearch: new Set(['settings', 'mappings', 'aliases']),
};

export class ElasticsearchTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly flavor: Flavor;
  #server: Server;
  #sockets = new Set<Socket>();
  #options: ElasticsearchServerOptions;
  #productHeader: boolean;
  #url = '';
  #indices = new Map<string, Index>();
  #streams = new Map<string, DataStream>();
  #templates = new Map<string, StoredTemplate>();
  #arrivals: StoredDocument[] = [];
  #requestFault: RequestFault | undefined;
  #requestFaultLeft = Number.POSITIVE_INFINITY;
  #itemFault: ItemFault | undefined;
  #itemFaultHits = new Map<string, number>();

  private constructor(options: ElasticsearchServerOptions) {
    this.#options = options;
    this.flavor = options.flavor ?? 'elasticsearch';
    this.#productHeader = this.flavor === 'elasticsearch' && (options.productHeader ?? true);
    this.#installBuiltins();
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
      : createServer(handler);
    this.#server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a server on 127.0.0.1, port 0. */
  static async start(options: ElasticsearchServerOptions = {}): Promise<ElasticsearchTestServer> {
    const server = new ElasticsearchTestServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    const { port } = server.#server.address() as AddressInfo;
    server.#url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return server;
  }

  get url(): string {
    return this.#url;
  }

  get major(): number {
    return Number.parseInt(this.#version().split('.')[0] ?? '0', 10);
  }

  /** Every stored document in arrival order (a document stored once appears once). */
  documents(): StoredDocument[] {
    return [...this.#arrivals];
  }

  /** A data stream by name: its template and backing indices. */
  dataStream(name: string): { name: string; template: string; indices: string[] } | undefined {
    const ds = this.#streams.get(name);
    return ds ? { name: ds.name, template: ds.template, indices: [...ds.indices] } : undefined;
  }

  /** The current mapping of an index or of a data stream's write index. */
  mapping(name: string): FieldMapping | undefined {
    const ds = this.#streams.get(name);
    const index = this.#indices.get(ds ? (ds.indices[ds.indices.length - 1] ?? '') : name);
    return index ? structuredClone(index.mapping) : undefined;
  }

  template(name: string): StoredTemplate | undefined {
    const t = this.#templates.get(name);
    return t ? structuredClone(t) : undefined;
  }

  /** Starts a new backing index for a data stream (as `_rollover` does): `create` dups are no longer caught. */
  rollover(name: string): string {
    const ds = this.#streams.get(name);
    if (!ds) throw new Error(`no data stream ${name}`);
    ds.generation += 1;
    const template = this.#templates.get(ds.template);
    const backing = this.#backingName(name, ds.generation);
    this.#createIndex(backing, template, name);
    ds.indices.push(backing);
    return backing;
  }

  setProductHeader(on: boolean): void {
    this.#productHeader = this.flavor === 'elasticsearch' && on;
  }

  failRequests(fault: RequestFault): void {
    this.#requestFault = fault;
    this.#requestFaultLeft =
      'times' in fault && fault.times !== undefined ? fault.times : Number.POSITIVE_INFINITY;
  }

  failItems(fault: ItemFault): void {
    this.#itemFault = fault;
    this.#itemFaultHits.clear();
  }

  /** Ends every fault (hung requests stay hung until close). */
  heal(): void {
    this.#requestFault = undefined;
    this.#itemFault = undefined;
  }

  /** Back to a fresh cluster: no documents, indices, streams, own templates, faults or recorded requests. */
  reset(): void {
    this.heal();
    this.#indices.clear();
    this.#streams.clear();
    this.#templates.clear();
    this.#arrivals = [];
    this.requests.length = 0;
    this.#installBuiltins();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  // --- plumbing ---

  #version(): string {
    return this.#options.version ?? (this.flavor === 'elasticsearch' ? '8.19.0' : '2.19.0');
  }

  #installBuiltins(): void {
    if (!(this.#options.builtinLogsTemplate ?? this.flavor === 'elasticsearch')) return;
    const body = {
      index_patterns: ['logs-*-*'],
      priority: 100,
      data_stream: { hidden: false, allow_custom_routing: false },
      allow_auto_create: true,
      _meta: { description: 'default logs template installed by x-pack', managed: true },
      template: {
        mappings: {
          properties: {
            '@timestamp': { type: 'date' },
            data_stream: {
              properties: {
                type: { type: 'constant_keyword' },
                dataset: { type: 'constant_keyword' },
                namespace: { type: 'constant_keyword' },
              },
            },
          },
        },
      },
    };
    this.#templates.set('logs', {
      name: 'logs',
      body,
      patterns: body.index_patterns,
      priority: 100,
      dataStream: true,
      builtin: true,
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fault = this.#requestFault && this.#requestFaultLeft > 0 ? this.#requestFault : undefined;
    if (fault) {
      this.#requestFaultLeft -= 1;
      if (fault.kind === 'hang') return; // never answered; close() ends the socket
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
    }
    let raw: Buffer;
    try {
      raw = await readAll(req);
    } catch {
      return;
    }
    const compat = { accept: req.headers['accept'], contentType: req.headers['content-type'] };
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { ...req.headers },
      body: '',
      wireBytes: raw.length,
    };
    this.requests.push(recorded);
    try {
      const body = this.#inflate(raw, req.headers['content-encoding']);
      recorded.body = body;
      if (fault?.kind === 'echo-headers') {
        const { authorization, ...rest } = req.headers;
        this.#sendText(
          res,
          502,
          `Bad gateway. Authorization: ${String(authorization)}; other headers: ${JSON.stringify(rest)}`,
        );
        return;
      }
      if (fault?.kind === 'status') {
        this.#sendStatusFault(res, fault, compat.accept);
        return;
      }
      this.#authenticate(req, url.pathname);
      this.#checkCompat(compat.accept, compat.contentType);
      const answer = this.#route(req.method ?? 'GET', url, body);
      this.#sendJson(res, answer.status, answer.body, compat.accept, req.method === 'HEAD');
    } catch (err) {
      if (err instanceof HttpFailure) {
        if (err.status === 413) {
          // Over http.max_content_length: an empty 413 (that once lacked the product header, spec §2.2).
          res.writeHead(413, { 'content-length': '0' });
          res.end();
          return;
        }
        if (typeof err.payload === 'string') {
          res.writeHead(err.status, {
            ...this.#headers(undefined, err.headers),
            'content-type': 'text/plain; charset=UTF-8',
          });
          res.end(err.payload);
          return;
        }
        this.#sendJson(res, err.status, err.payload, compat.accept, false, err.headers);
        return;
      }
      const error = { type: 'exception', reason: err instanceof Error ? err.message : String(err) };
      this.#sendJson(res, 500, errorBody(500, error), compat.accept);
    }
  }

  #inflate(raw: Buffer, encoding: string | undefined): string {
    const cap = this.#options.maxContentLength ?? HUNDRED_MB;
    let inflated = raw;
    if (encoding === 'gzip') {
      try {
        inflated = gunzipSync(raw, { maxOutputLength: cap + 1 });
      } catch (err) {
        if (err instanceof RangeError) throw new HttpFailure(413, '');
        throw fail(400, { type: 'parse_exception', reason: 'request body is not valid gzip' });
      }
    }
    if (inflated.length > cap) throw new HttpFailure(413, '');
    return inflated.toString('utf8');
  }

  #headers(
    accept: string | undefined,
    extra: Record<string, string | string[]> = {},
  ): Record<string, string | string[]> {
    const compat = /compatible-with=(\d+)/.exec(accept ?? '')?.[1];
    const headers: Record<string, string | string[]> = {
      'content-type':
        this.flavor === 'opensearch'
          ? 'application/json; charset=UTF-8'
          : compat
            ? `application/vnd.elasticsearch+json;compatible-with=${compat}`
            : 'application/json',
      ...extra,
    };
    if (this.#productHeader) headers['x-elastic-product'] = 'Elasticsearch';
    return headers;
  }

  #sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    accept: string | undefined,
    head = false,
    extra: Record<string, string | string[]> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...this.#headers(accept, extra),
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(head ? undefined : text);
  }

  #sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, {
      'content-type': 'text/plain',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  #sendStatusFault(
    res: ServerResponse,
    fault: Extract<RequestFault, { kind: 'status' }>,
    accept: string | undefined,
  ): void {
    const extra: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
    switch (fault.status) {
      case 429:
        // Indexing pressure on the coordinating node (spec §2.5, OBS id 61199884794).
        this.#sendJson(
          res,
          429,
          errorBody(429, {
            type: 'es_rejected_execution_exception',
            reason:
              'rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_operation_bytes=1048576, max_coordinating_and_primary_bytes=104857600]',
          }),
          accept,
          false,
          extra,
        );
        return;
      case 503:
        this.#sendJson(
          res,
          503,
          errorBody(503, {
            type: 'cluster_block_exception',
            reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];',
          }),
          accept,
          false,
          extra,
        );
        return;
      case 500:
        this.#sendJson(
          res,
          500,
          errorBody(500, { type: 'exception', reason: 'internal error (injected)' }),
          accept,
        );
        return;
      case 502:
      case 504: {
        // In front of the cluster: a load balancer's page, no product header.
        const text = fault.status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
        res.writeHead(fault.status, { 'content-type': 'text/html', ...extra });
        res.end(`<html><body><h1>${text}</h1></body></html>`);
        return;
      }
    }
  }

  #authenticate(req: IncomingMessage, path: string): void {
    const auth = this.#options.auth;
    if (!auth) return;
    const header = req.headers['authorization'];
    const [scheme = '', value = ''] = (header ?? '').split(/\s+/, 2);
    const ok =
      (scheme === 'ApiKey' && (auth.apiKeys ?? []).includes(value)) ||
      (scheme === 'Bearer' && (auth.bearerTokens ?? []).includes(value)) ||
      (scheme === 'Basic' &&
        (auth.users ?? []).some(
          (u) => Buffer.from(`${u.username}:${u.password}`).toString('base64') === value,
        ));
    if (ok) return;
    if (this.flavor === 'opensearch') {
      // The security plugin answers a bare text body (INF: not in the spec's evidence).
      throw new HttpFailure(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="OpenSearch Security"' });
    }
    const reason =
      header === undefined
        ? `missing authentication credentials for REST request [${path}]`
        : 'unable to authenticate with provided credentials and anonymous access is not allowed for this request';
    const wwwAuthenticate = ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'];
    throw new HttpFailure(
      401,
      {
        error: {
          root_cause: [
            { type: 'security_exception', reason, header: { 'WWW-Authenticate': wwwAuthenticate } },
          ],
          type: 'security_exception',
          reason,
          header: { 'WWW-Authenticate': wwwAuthenticate },
        },
        status: 401,
      },
      { 'www-authenticate': wwwAuthenticate },
    );
  }

  /** ES accepts `compatible-with` its major and the one before (spec §2.3). */
  #checkCompat(accept: string | undefined, contentType: string | undefined): void {
    if (this.flavor !== 'elasticsearch') return;
    const major = this.major;
    for (const [name, value] of [
      ['Accept', accept],
      ['Content-Type', contentType],
    ] as const) {
      const asked = /compatible-with=(\d+)/.exec(value ?? '')?.[1];
      if (asked === undefined) continue;
      const n = Number(asked);
      if (n !== major && n !== major - 1) {
        throw fail(400, {
          type: 'media_type_header_exception',
          reason: 'Invalid media-type value on headers [Content-Type, Accept]',
          caused_by: {
            type: 'status_exception',
            reason: `${name} version must be either version ${major} or ${major - 1}, but found ${n}. ${name}=${value}`,
          },
        });
      }
    }
  }

  #route(method: string, url: URL, body: string): { status: number; body: unknown } {
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const noHandler = () =>
      new HttpFailure(400, { error: `no handler found for uri [${url.pathname}] and method [${method}]` });
    const wrongMethod = (allowed: string) =>
      new HttpFailure(405, {
        error: `Incorrect HTTP method for uri [${url.pathname}] and method [${method}], allowed: [${allowed}]`,
        status: 405,
      });
    if (parts.length === 0) {
      if (method !== 'GET' && method !== 'HEAD') throw wrongMethod('GET, HEAD');
      return { status: 200, body: this.#rootInfo() };
    }
    const [first, second] = parts;
    if (first === '_bulk' && parts.length === 1) {
      if (method !== 'POST' && method !== 'PUT') throw wrongMethod('POST, PUT');
      return { status: 200, body: this.#bulk(body, undefined, url.searchParams.get('pipeline')) };
    }
    if (second === '_bulk' && parts.length === 2 && first !== undefined && !first.startsWith('_')) {
      if (method !== 'POST' && method !== 'PUT') throw wrongMethod('POST, PUT');
      return { status: 200, body: this.#bulk(body, first, url.searchParams.get('pipeline')) };
    }
    if (first === '_index_template' && parts.length <= 2) {
      return this.#indexTemplate(method, second, url.searchParams, body);
    }
    if (first === '_data_stream' && parts.length <= 2 && method === 'GET') {
      const names = [...this.#streams.keys()].filter(
        (n) => second === undefined || patternMatches(second, n),
      );
      if (second !== undefined && !second.includes('*') && names.length === 0) {
        throw fail(404, { type: 'index_not_found_exception', reason: `no such index [${second}]` });
      }
      return {
        status: 200,
        body: {
          data_streams: names.map((n) => {
            const ds = this.#streams.get(n) as DataStream;
            return {
              name: n,
              timestamp_field: { name: '@timestamp' },
              indices: ds.indices.map((i) => ({ index_name: i, index_uuid: this.#indices.get(i)?.uuid })),
              generation: ds.generation,
              status: 'GREEN',
              template: ds.template,
            };
          }),
        },
      };
    }
    throw noHandler();
  }

  #rootInfo(): unknown {
    const number = this.#version();
    if (this.flavor === 'opensearch') {
      return {
        name: 'os-1',
        cluster_name: 'soc',
        cluster_uuid: 'Xq9bT1pYQXuM0aQmXr2c7g',
        version: {
          distribution: 'opensearch',
          number,
          build_type: 'tar',
          build_hash: '0000000000000000000000000000000000000000',
          build_date: '2025-01-01T00:00:00.000000000Z',
          build_snapshot: false,
          lucene_version: '9.12.1',
          minimum_wire_compatibility_version: '7.10.0',
          minimum_index_compatibility_version: '7.0.0',
        },
        tagline: this.#options.tagline ?? 'The OpenSearch Project: https://opensearch.org/',
      };
    }
    return {
      name: 'es-1',
      cluster_name: 'soc',
      cluster_uuid: '5QaxoN0pRZuOmWSxstBBwQ',
      version: {
        number,
        build_flavor: 'default',
        build_type: 'docker',
        build_snapshot: false,
        lucene_version: '9.12.0',
        minimum_wire_compatibility_version: '7.17.0',
        minimum_index_compatibility_version: '7.0.0',
      },
      tagline: this.#options.tagline ?? 'You Know, for Search',
    };
  }

  // --- _bulk ---

  #parseBulk(body: string, pathTarget: string | undefined): BulkItem[] {
    if (body === '') {
      throw fail(400, {
        type: 'action_request_validation_exception',
        reason: 'Validation Failed: 1: no requests added;',
      });
    }
    if (!body.endsWith('\n')) {
      throw fail(400, {
        type: 'illegal_argument_exception',
        reason: 'The bulk request must be terminated by a newline [\\n]',
      });
    }
    const lines = body
      .slice(0, -1)
      .split('\n')
      .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const items: BulkItem[] = [];
    const missingIndex: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '') continue;
      const action = parseLine(line, i + 1);
      const keys = Object.keys(action);
      const op = keys[0];
      if (keys.length !== 1 || (op !== 'create' && op !== 'index' && op !== 'update' && op !== 'delete')) {
        throw fail(400, {
          type: 'illegal_argument_exception',
          reason: `Malformed action/metadata line [${i + 1}], expected field [create], [delete], [index] or [update] but found [${op ?? ''}]`,
        });
      }
      const meta = action[op];
      if (!isObject(meta)) {
        throw fail(400, {
          type: 'illegal_argument_exception',
          reason: `Malformed action/metadata line [${i + 1}], expected START_OBJECT but found [${tokenOf(meta)}]`,
        });
      }
      for (const key of Object.keys(meta)) {
        if (
          ![
            '_index',
            '_id',
            'routing',
            'pipeline',
            'require_alias',
            'require_data_stream',
            'if_seq_no',
            'if_primary_term',
            'version',
            'version_type',
            'dynamic_templates',
            'retry_on_conflict',
            '_source',
          ].includes(key)
        ) {
          throw fail(400, {
            type: 'illegal_argument_exception',
            reason: `Action/metadata line [${i + 1}] contains an unknown parameter [${key}]`,
          });
        }
      }
      if (meta['_index'] === undefined && pathTarget === undefined) missingIndex.push(items.length + 1);
      let source: string | undefined;
      if (op !== 'delete') {
        i += 1;
        if (i >= lines.length) {
          throw fail(400, {
            type: 'action_request_validation_exception',
            reason: `Validation Failed: 1: source is missing;`,
          });
        }
        source = lines[i];
      }
      items.push({ op, meta: { _index: pathTarget, ...meta }, source });
    }
    if (items.length === 0) {
      throw fail(400, {
        type: 'action_request_validation_exception',
        reason: 'Validation Failed: 1: no requests added;',
      });
    }
    if (missingIndex.length > 0) {
      throw fail(400, {
        type: 'action_request_validation_exception',
        reason: `Validation Failed: ${missingIndex.map((n, k) => `${k + 1}: index is missing;`).join('')}`,
      });
    }
    return items;
  }

  #bulk(body: string, pathTarget: string | undefined, pipeline: string | null): unknown {
    const started = Date.now();
    const items = this.#parseBulk(body, pathTarget);
    const results = items.map((item) => ({ [item.op]: this.#runItem(item, pipeline) }));
    const errors = results.some((r) => Object.values(r).some((x) => 'error' in x));
    return { errors, took: Date.now() - started, items: results };
  }

  #runItem(item: BulkItem, pipeline: string | null): Record<string, unknown> {
    const name = String(item.meta['_index']);
    const id =
      typeof item.meta['_id'] === 'string' ? item.meta['_id'] : randomBytes(15).toString('base64url');
    let concrete = name;
    try {
      this.#checkIndexName(name);
      if ((this.#options.forbiddenIndices ?? []).some((p) => patternMatches(p, name))) {
        throw new EsFailure(403, {
          type: 'security_exception',
          reason: `action [indices:data/write/bulk[s]] is unauthorized for API key id [atp-siem] of user [atp-siem] on indices [${name}], this action is granted by the index privileges [create_doc,create,index,write,all]`,
        });
      }
      const itemPipeline = typeof item.meta['pipeline'] === 'string' ? item.meta['pipeline'] : pipeline;
      if (itemPipeline !== null && !(this.#options.pipelines ?? []).includes(itemPipeline)) {
        // Pipelines are not run here; naming one that does not exist fails the item as the cluster does.
        throw new EsFailure(400, {
          type: 'illegal_argument_exception',
          reason: `pipeline with id [${itemPipeline}] does not exist`,
        });
      }
      const index = this.#writeIndex(name, item.op);
      concrete = index.name;
      this.#injectItemFault(id, index.name);
      return this.#apply(item, index, id);
    } catch (err) {
      if (!(err instanceof EsFailure)) throw err;
      const error: EsError = { ...err.error };
      if (err.status === 409)
        Object.assign(error, { index_uuid: this.#indices.get(concrete)?.uuid, shard: '0', index: concrete });
      return { _index: concrete, _id: id, status: err.status, error };
    }
  }

  #checkIndexName(name: string): void {
    const invalid = (why: string) =>
      new EsFailure(400, {
        type: 'invalid_index_name_exception',
        reason: `Invalid index name [${name}], ${why}`,
        index: name,
      });
    if (name !== name.toLowerCase()) throw invalid('must be lowercase');
    if (/[\\/*?"<>| ,#:]/.test(name))
      throw invalid('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]');
    if (/^[-_+]/.test(name)) throw invalid("must not start with '_', '-', or '+'");
    if (name === '.' || name === '..') throw invalid("must not be '.' or '..'");
    if (Buffer.byteLength(name) > 255) throw invalid('index name is too long');
  }

  #injectItemFault(id: string, index: string): void {
    const f = this.#itemFault;
    if (!f || (f.ids && !f.ids.includes(id))) return;
    const hits = this.#itemFaultHits.get(id) ?? 0;
    if (hits >= f.times) return;
    this.#itemFaultHits.set(id, hits + 1);
    switch (f.status) {
      case 429:
        throw new EsFailure(429, {
          type: 'es_rejected_execution_exception',
          reason: `rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=2048, max_coordinating_and_primary_bytes=104857600]`,
        });
      case 503:
        throw new EsFailure(503, {
          type: 'unavailable_shards_exception',
          reason: `[${index}][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[${index}][0]] containing [1] requests]`,
        });
      case 500:
        throw new EsFailure(500, { type: 'exception', reason: 'internal error (injected)' });
      case 400:
        throw new EsFailure(400, {
          type: this.flavor === 'elasticsearch' ? 'document_parsing_exception' : 'mapper_parsing_exception',
          reason: `${this.flavor === 'elasticsearch' ? '[1:2] ' : ''}failed to parse field [message] of type [long] in document with id '${id}'. Preview of field's value: 'injected'`,
          caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "injected"' },
        });
    }
  }

  /** The index a write to `name` lands in, creating a data stream or an index from templates as needed. */
  #writeIndex(name: string, op: BulkItem['op']): Index {
    const onlyCreate = () =>
      new EsFailure(400, {
        type: 'illegal_argument_exception',
        reason: 'only write ops with an op_type of create are allowed in data streams',
      });
    const ds = this.#streams.get(name);
    if (ds) {
      if (op === 'index' || op === 'update') throw onlyCreate();
      return this.#indices.get(ds.indices[ds.indices.length - 1] ?? '') as Index;
    }
    const existing = this.#indices.get(name);
    if (existing) return existing;
    if (op === 'update' || op === 'delete') {
      throw new EsFailure(404, {
        type: 'index_not_found_exception',
        reason: `no such index [${name}]`,
        index: name,
      });
    }
    const template = this.#matchTemplate(name);
    if (template?.dataStream) {
      if (op !== 'create') throw onlyCreate();
      const backing = this.#backingName(name, 1);
      this.#createIndex(backing, template, name);
      this.#streams.set(name, { name, template: template.name, generation: 1, indices: [backing] });
      return this.#indices.get(backing) as Index;
    }
    return this.#createIndex(name, template, undefined);
  }

  #backingName(stream: string, generation: number): string {
    const gen = String(generation).padStart(6, '0');
    if (this.flavor === 'opensearch') return `.ds-${stream}-${gen}`;
    const d = (this.#options.now ?? (() => new Date()))();
    const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
    return `.ds-${stream}-${day}-${gen}`;
  }

  #createIndex(name: string, template: StoredTemplate | undefined, dataStream: string | undefined): Index {
    const tpl = isObject(template?.body['template']) ? template.body['template'] : {};
    const mapping = structuredClone(isObject(tpl['mappings']) ? tpl['mappings'] : {}) as FieldMapping;
    if (dataStream !== undefined) {
      mapping.properties ??= {};
      mapping.properties['@timestamp'] ??= { type: 'date' };
    }
    const index: Index = {
      name,
      uuid: randomUUID().replaceAll('-', '').slice(0, 22),
      dataStream,
      mapping,
      dynamicStrings: template?.builtin ? 'keyword' : 'text',
      docs: new Map(),
      seqNo: 0,
    };
    this.#indices.set(name, index);
    return index;
  }

  #matchTemplate(name: string): StoredTemplate | undefined {
    let best: StoredTemplate | undefined;
    for (const t of this.#templates.values()) {
      if (!t.patterns.some((p) => patternMatches(p, name))) continue;
      if (!best || t.priority > best.priority) best = t;
    }
    return best;
  }

  #apply(item: BulkItem, index: Index, id: string): Record<string, unknown> {
    const existing = index.docs.get(id);
    const done = (doc: StoredDocument, result: string, status: number) => {
      index.seqNo += 1;
      return {
        _index: index.name,
        _id: id,
        _version: doc.version,
        result,
        _shards: { total: 2, successful: 1, failed: 0 },
        _seq_no: index.seqNo - 1,
        _primary_term: 1,
        status,
      };
    };
    if (item.op === 'delete') {
      if (!existing) return { _index: index.name, _id: id, _version: 1, result: 'not_found', status: 404 };
      index.docs.delete(id);
      this.#arrivals = this.#arrivals.filter((d) => d !== existing);
      return done({ ...existing, version: existing.version + 1 }, 'deleted', 200);
    }
    if (item.op === 'create' && existing) {
      throw new EsFailure(409, {
        type: 'version_conflict_engine_exception',
        reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
      });
    }
    let sourceText = item.source ?? '';
    if (item.op === 'update') {
      if (!existing) {
        throw new EsFailure(404, {
          type: 'document_missing_exception',
          reason: `[${id}]: document missing`,
          index: index.name,
        });
      }
      const update = parseSource(sourceText, id, this.flavor);
      const merged = {
        ...(JSON.parse(existing.source) as Record<string, unknown>),
        ...(isObject(update['doc']) ? update['doc'] : {}),
      };
      sourceText = JSON.stringify(merged);
    }
    const source = parseSource(sourceText, id, this.flavor);
    indexDocument(source, {
      flavor: this.flavor,
      mapping: index.mapping,
      dynamicStrings: index.dynamicStrings,
      docId: id,
      sourceText,
      dataStream: index.dataStream !== undefined,
    });
    const doc: StoredDocument = {
      index: index.name,
      dataStream: index.dataStream,
      id,
      source: sourceText,
      version: existing ? existing.version + 1 : 1,
    };
    index.docs.set(id, doc);
    if (existing) this.#arrivals = this.#arrivals.filter((d) => d !== existing);
    this.#arrivals.push(doc);
    return existing ? done(doc, 'updated', 200) : done(doc, 'created', 201);
  }

  // --- _index_template ---

  #indexTemplate(
    method: string,
    name: string | undefined,
    query: URLSearchParams,
    body: string,
  ): { status: number; body: unknown } {
    const notFound = (n: string) =>
      fail(404, { type: 'resource_not_found_exception', reason: `index template matching [${n}] not found` });
    if (method === 'GET') {
      const found = [...this.#templates.values()].filter(
        (t) => name === undefined || patternMatches(name, t.name),
      );
      if (name !== undefined && found.length === 0) throw notFound(name);
      return {
        status: 200,
        body: { index_templates: found.map((t) => ({ name: t.name, index_template: t.body })) },
      };
    }
    if (name === undefined) throw new HttpFailure(405, { error: 'Incorrect HTTP method', status: 405 });
    if (method === 'DELETE') {
      const t = this.#templates.get(name);
      if (!t) throw notFound(name);
      const users = [...this.#streams.values()].filter((ds) => ds.template === name).map((ds) => ds.name);
      if (users.length > 0) {
        throw fail(400, {
          type: 'illegal_argument_exception',
          reason: `unable to remove composable templates [${name}] as they are in use by a data streams [${users.join(', ')}]`,
        });
      }
      this.#templates.delete(name);
      return { status: 200, body: { acknowledged: true } };
    }
    if (method !== 'PUT' && method !== 'POST')
      throw new HttpFailure(405, { error: 'Incorrect HTTP method', status: 405 });
    const template = this.#checkTemplate(name, body);
    if (query.get('create') === 'true' && this.#templates.has(name)) {
      throw fail(400, {
        type: 'illegal_argument_exception',
        reason: `index template [${name}] already exists`,
      });
    }
    for (const other of this.#templates.values()) {
      if (other.name === name || other.priority !== template.priority) continue;
      const clash = template.patterns.filter((p) => other.patterns.some((q) => patternsOverlap(p, q)));
      if (clash.length > 0) {
        throw fail(400, {
          type: 'illegal_argument_exception',
          reason: `index template [${name}] has index patterns [${template.patterns.join(', ')}] matching patterns from existing templates [${other.name}] with patterns (${other.name} => [${other.patterns.join(', ')}]) that have the same priority [${template.priority}], multiple index templates may not match during index creation, please use a different priority`,
        });
      }
    }
    this.#templates.set(name, template);
    return { status: 200, body: { acknowledged: true } };
  }

  #checkTemplate(name: string, text: string): StoredTemplate {
    const bad = (reason: string, type = 'x_content_parse_exception') => fail(400, { type, reason });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw bad('[1:1] Unexpected character: the request body is not JSON', 'parse_exception');
    }
    if (!isObject(body)) throw bad('request body is required', 'parse_exception');
    for (const key of Object.keys(body)) {
      if (!TOP_LEVEL_TEMPLATE_KEYS[this.flavor].has(key))
        throw bad(`[1:2] [index_template] unknown field [${key}]`);
    }
    const raw = body['index_patterns'];
    const patterns = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
    if (
      !patterns ||
      patterns.length === 0 ||
      !patterns.every((p): p is string => typeof p === 'string' && p !== '')
    ) {
      throw bad('Validation Failed: 1: index patterns are missing;', 'action_request_validation_exception');
    }
    const priority = body['priority'] ?? 0;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) {
      throw bad(`[1:2] [index_template] failed to parse field [priority]`);
    }
    const composed = body['composed_of'];
    if (Array.isArray(composed) && composed.length > 0) {
      throw fail(400, {
        type: 'invalid_index_template_exception',
        reason: `index_template [${name}] invalid, cause [index template [${name}] specifies component templates [${composed.join(', ')}] that do not exist]`,
      });
    }
    const ds = body['data_stream'];
    if (ds !== undefined && !isObject(ds))
      throw bad('[1:2] [index_template] failed to parse field [data_stream]');
    const tpl = body['template'];
    if (tpl !== undefined) {
      if (!isObject(tpl)) throw bad('[1:2] [index_template] failed to parse field [template]');
      for (const key of Object.keys(tpl)) {
        if (!TEMPLATE_KEYS[this.flavor].has(key)) throw bad(`[1:2] [template] unknown field [${key}]`);
      }
      try {
        checkMappings(tpl['mappings'], this.flavor);
      } catch (err) {
        if (err instanceof EsFailure) throw fail(err.status, err.error);
        throw err;
      }
      const ts =
        isObject(tpl['mappings']) && isObject(tpl['mappings']['properties'])
          ? tpl['mappings']['properties']['@timestamp']
          : undefined;
      if (ds !== undefined && isObject(ts) && ts['type'] !== 'date' && ts['type'] !== 'date_nanos') {
        throw fail(400, {
          type: 'illegal_argument_exception',
          reason: `data stream timestamp field [@timestamp] is of type [${String(ts['type'])}], but [date,date_nanos] is expected`,
        });
      }
    }
    return { name, body, patterns, priority, dataStream: ds !== undefined, builtin: false };
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function tokenOf(v: unknown): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (v === null) return 'VALUE_NULL';
  switch (typeof v) {
    case 'number':
      return 'VALUE_NUMBER';
    case 'string':
      return 'VALUE_STRING';
    case 'boolean':
      return 'VALUE_BOOLEAN';
    default:
      return 'START_OBJECT';
  }
}

function parseLine(line: string, n: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw fail(400, {
      type: 'x_content_parse_exception',
      reason: `[${n}:1] Unexpected character: action/metadata line [${n}] is not JSON`,
    });
  }
  if (!isObject(value)) {
    throw fail(400, {
      type: 'illegal_argument_exception',
      reason: `Malformed action/metadata line [${n}], expected START_OBJECT or END_OBJECT but found [${tokenOf(value)}]`,
    });
  }
  return value;
}

function parseSource(text: string, id: string, flavor: Flavor): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const cause = { type: 'json_parse_exception', reason: err instanceof Error ? err.message : 'bad JSON' };
    throw new EsFailure(400, {
      type: flavor === 'elasticsearch' ? 'document_parsing_exception' : 'mapper_parsing_exception',
      reason: `${flavor === 'elasticsearch' ? '[1:1] ' : ''}failed to parse`,
      caused_by: cause,
    });
  }
  if (!isObject(value)) {
    throw new EsFailure(400, {
      type: flavor === 'elasticsearch' ? 'document_parsing_exception' : 'mapper_parsing_exception',
      reason: `${flavor === 'elasticsearch' ? '[1:1] ' : ''}failed to parse: the document with id '${id}' is not an object`,
    });
  }
  return value;
}
