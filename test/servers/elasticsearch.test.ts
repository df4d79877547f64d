/**
 * The Elasticsearch/OpenSearch test server against the checklist of /work/shared/spec/siem-http-sinks.md
 * §5: each answer a sink relies on, as the product gives it.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ElasticsearchTestServer, type ElasticsearchServerOptions } from './elasticsearch.js';

let es: ElasticsearchTestServer | undefined;

afterEach(async () => {
  await es?.close();
  es = undefined;
});

async function start(options: ElasticsearchServerOptions = {}): Promise<ElasticsearchTestServer> {
  es = await ElasticsearchTestServer.start({ now: () => new Date('2026-01-01T12:00:00Z'), ...options });
  return es;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of free-form JSON
  json: any;
}

async function call(
  server: ElasticsearchTestServer,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: options.headers,
    body: options.body,
    signal: options.signal,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const ndjson = (...lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
const bulk = (server: ElasticsearchTestServer, body: string, headers: Record<string, string> = {}) =>
  call(server, 'POST', '/_bulk', { body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
const put = (server: ElasticsearchTestServer, path: string, body: unknown, query = '') =>
  call(server, 'PUT', `${path}${query}`, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

describe('Elasticsearch test server: GET /, product header, compatibility', () => {
  it('answers GET / with the documented keys, a settable version and the product header on every response', async () => {
    const s = await start({ version: '9.1.0' });
    const root = await call(s, 'GET', '/');
    expect(root.status).toBe(200);
    expect(Object.keys(root.json as object)).toEqual([
      'name',
      'cluster_name',
      'cluster_uuid',
      'version',
      'tagline',
    ]);
    expect(root.json.version.number).toBe('9.1.0');
    expect(root.json.tagline).toBe('You Know, for Search');
    expect(root.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect((await call(s, 'GET', '/nope/nothing/here')).headers.get('x-elastic-product')).toBe(
      'Elasticsearch',
    );
    s.setProductHeader(false);
    expect((await call(s, 'GET', '/')).headers.get('x-elastic-product')).toBeNull();
  });

  it('accepts compatible-with its major and the previous one, and refuses another with media_type_header_exception', async () => {
    const s = await start({ version: '8.19.0' });
    for (const n of [8, 7]) {
      const ok = await call(s, 'GET', '/', {
        headers: { accept: `application/vnd.elasticsearch+json; compatible-with=${n}` },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(`application/vnd.elasticsearch+json;compatible-with=${n}`);
    }
    const refused = await call(s, 'GET', '/', {
      headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.type).toBe('media_type_header_exception');
    expect(refused.json.error.reason).toBe('Invalid media-type value on headers [Content-Type, Accept]');
    expect(refused.json.error.caused_by.reason).toContain(
      'Accept version must be either version 8 or 7, but found 9',
    );
  });
});

describe('Elasticsearch test server: authentication', () => {
  it('takes ApiKey, Basic and Bearer, and answers 401 security_exception with WWW-Authenticate otherwise', async () => {
    const s = await start({
      auth: {
        apiKeys: ['ZW5jb2RlZDprZXk='],
        users: [{ username: 'u', password: 'p' }],
        bearerTokens: ['tok'],
      },
    });
    for (const authorization of [
      'ApiKey ZW5jb2RlZDprZXk=',
      `Basic ${Buffer.from('u:p').toString('base64')}`,
      'Bearer tok',
    ]) {
      expect((await call(s, 'GET', '/', { headers: { authorization } })).status).toBe(200);
    }
    const missing = await call(s, 'GET', '/');
    expect(missing.status).toBe(401);
    expect(missing.json.error.type).toBe('security_exception');
    expect(missing.json.error.reason).toBe('missing authentication credentials for REST request [/]');
    expect(missing.json.error.header['WWW-Authenticate']).toEqual([
      'Basic realm="security", charset="UTF-8"',
      'Bearer realm="security"',
      'ApiKey',
    ]);
    expect(missing.headers.get('www-authenticate')).toContain('ApiKey');
    const wrong = await call(s, 'POST', '/_bulk', {
      headers: { authorization: 'ApiKey bm9wZQ==' },
      body: '',
    });
    expect(wrong.status).toBe(401);
    expect(s.documents()).toHaveLength(0);
  });
});

describe('Elasticsearch test server: _bulk', () => {
  it('requires the final newline, and answers a malformed action line with a whole-request 400', async () => {
    const s = await start();
    const unterminated = await bulk(s, ndjson({ create: { _index: 'a' } }, { x: 1 }).slice(0, -1));
    expect(unterminated.status).toBe(400);
    expect(unterminated.json.error.reason).toBe('The bulk request must be terminated by a newline [\\n]');
    const malformed = await bulk(s, `${JSON.stringify({ create: { _index: 'a' } })}\n{"x":1}\n3\n`);
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.type).toBe('illegal_argument_exception');
    expect(malformed.json.error.reason).toBe(
      'Malformed action/metadata line [3], expected START_OBJECT or END_OBJECT but found [VALUE_NUMBER]',
    );
    expect(s.documents()).toHaveLength(0);
    const crlf = await bulk(s, `${JSON.stringify({ index: { _index: 'a' } })}\r\n{"x":1}\r\n`);
    expect(crlf.json.items[0].index.status).toBe(201);
  });

  it('answers an empty 413 when the inflated body passes http.max_content_length, even if the gzip is small', async () => {
    const s = await start({ maxContentLength: 10_000 });
    const body = ndjson({ index: { _index: 'a' } }, { x: 'y'.repeat(20_000) });
    const zipped = gzipSync(body);
    expect(zipped.length).toBeLessThan(10_000);
    const gz = { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' };
    const res = await call(s, 'POST', '/_bulk', { body: zipped, headers: gz });
    expect(res.status).toBe(413);
    expect(res.text).toBe('');
    const small = gzipSync(ndjson({ index: { _index: 'a' } }, { x: 'y' }));
    const ok = await call(s, 'POST', '/_bulk', { body: small, headers: gz });
    expect(ok.status).toBe(200);
  });

  it('answers items in request order with the product’s types and reasons, and errors true only when one failed', async () => {
    const s = await start();
    const clean = await bulk(
      s,
      ndjson(
        { index: { _index: 'idx', _id: '1' } },
        { n: 1 },
        { index: { _index: 'idx', _id: '2' } },
        { n: 2 },
      ),
    );
    expect(clean.json.errors).toBe(false);
    expect(
      clean.json.items.map((i: { index: { _id: string; status: number; result: string } }) => [
        i.index._id,
        i.index.status,
        i.index.result,
      ]),
    ).toEqual([
      ['1', 201, 'created'],
      ['2', 201, 'created'],
    ]);
    const mixed = await bulk(
      s,
      ndjson(
        { index: { _index: 'idx', _id: '3' } },
        { n: 'three' },
        { index: { _index: 'idx', _id: '1' } },
        { n: 11 },
      ),
    );
    expect(mixed.json.errors).toBe(true);
    expect(mixed.json.items[0].index.status).toBe(400);
    expect(mixed.json.items[0].index.error.type).toBe('document_parsing_exception');
    expect(mixed.json.items[0].index.error.reason).toMatch(
      /^\[1:\d+\] failed to parse field \[n\] of type \[long\] in document with id '3'\. Preview of field's value: 'three'$/,
    );
    expect(mixed.json.items[1].index).toMatchObject({
      _id: '1',
      status: 200,
      result: 'updated',
      _version: 2,
    });
  });

  it('keeps no dynamic mapping of a document that fails, and keeps those of the documents that pass', async () => {
    const s = await start();
    await bulk(s, ndjson({ index: { _index: 'idx', _id: '1' } }, { n: 1 }));
    const failed = await bulk(
      s,
      ndjson(
        { index: { _index: 'idx', _id: '2' } },
        { fresh: { deep: 'x' }, 'dotted.key': true, n: 'not a number', later: 1 },
      ),
    );
    expect(failed.json.items[0].index.status).toBe(400);
    expect(s.mapping('idx')).toEqual({ properties: { n: { type: 'long' } } });
    const passed = await bulk(
      s,
      ndjson({ index: { _index: 'idx', _id: '3' } }, { fresh: { deep: 'x' }, 'dotted.key': true }),
    );
    expect(passed.json.errors).toBe(false);
    expect(s.mapping('idx')?.properties).toEqual({
      n: { type: 'long' },
      fresh: {
        properties: { deep: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } } },
      },
      dotted: { properties: { key: { type: 'boolean' } } },
    });
  });

  it('answers a create of an existing _id with 409 version_conflict_engine_exception, per backing index', async () => {
    const s = await start();
    const body = ndjson(
      { create: { _index: 'logs-app-default', _id: 'a1b2' } },
      { '@timestamp': '2026-01-01T00:00:00Z' },
    );
    expect((await bulk(s, body)).json.items[0].create.status).toBe(201);
    const dup = (await bulk(s, body)).json.items[0].create;
    expect(dup.status).toBe(409);
    expect(dup.error).toMatchObject({
      type: 'version_conflict_engine_exception',
      reason: '[a1b2]: version conflict, document already exists (current version [1])',
      shard: '0',
      index: '.ds-logs-app-default-2026.01.01-000001',
    });
    s.rollover('logs-app-default');
    expect((await bulk(s, body)).json.items[0].create.status).toBe(201);
    expect(s.documents()).toHaveLength(2);
  });

  it('makes logs-*-* a data stream through the built-in template: create only, @timestamp required, .ds- backing index', async () => {
    const s = await start();
    const created = await bulk(
      s,
      ndjson({ create: { _index: 'logs-app-default', _id: 'x' } }, { '@timestamp': '2026-01-01T00:00:00Z' }),
    );
    expect(created.json.items[0].create._index).toBe('.ds-logs-app-default-2026.01.01-000001');
    expect(s.dataStream('logs-app-default')?.template).toBe('logs');
    const indexOp = await bulk(
      s,
      ndjson({ index: { _index: 'logs-app-default' } }, { '@timestamp': '2026-01-01T00:00:00Z' }),
    );
    expect(indexOp.json.items[0].index.error).toEqual({
      type: 'illegal_argument_exception',
      reason: 'only write ops with an op_type of create are allowed in data streams',
    });
    const noTime = await bulk(s, ndjson({ create: { _index: 'logs-app-default' } }, { message: 'x' }));
    expect(noTime.json.items[0].create.error.type).toBe('document_parsing_exception');
    expect(noTime.json.items[0].create.error.reason).toMatch(
      /failed to parse: data stream timestamp field \[@timestamp\] is missing$/,
    );
  });

  it('enforces constant_keyword: the first value fixes an unset one, another value is refused', async () => {
    const s = await start();
    const doc = (dataset: string) => ({ '@timestamp': '2026-01-01T00:00:00Z', data_stream: { dataset } });
    const first = await bulk(s, ndjson({ create: { _index: 'logs-app-default' } }, doc('app')));
    expect(first.json.errors).toBe(false);
    const other = await bulk(s, ndjson({ create: { _index: 'logs-app-default' } }, doc('other')));
    expect(other.json.items[0].create.error.caused_by.reason).toBe(
      '[constant_keyword] field [data_stream.dataset] only accepts values that are equal to the value defined in the mappings [app], but got [other]',
    );
  });

  it('fails chosen items with 429 N times, then indexes them', async () => {
    const s = await start();
    s.failItems({ status: 429, times: 2, ids: ['b'] });
    const body = ndjson(
      { index: { _index: 'i', _id: 'a' } },
      { n: 1 },
      { index: { _index: 'i', _id: 'b' } },
      { n: 2 },
    );
    for (let round = 0; round < 2; round++) {
      const items = (await bulk(s, body)).json.items;
      expect(items[1].index.status).toBe(429);
      expect(items[1].index.error.type).toBe('es_rejected_execution_exception');
    }
    expect((await bulk(s, body)).json.items[1].index.status).toBe(201);
  });

  it('fails whole requests with 429 (Retry-After), 502, 503 and 504 for the set number of times', async () => {
    const s = await start();
    s.failRequests({ kind: 'status', status: 429, times: 1, retryAfter: '3' });
    const throttled = await call(s, 'GET', '/');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(throttled.json.error.type).toBe('es_rejected_execution_exception');
    expect((await call(s, 'GET', '/')).status).toBe(200);
    for (const status of [502, 503, 504] as const) {
      s.failRequests({ kind: 'status', status, times: 1 });
      expect((await call(s, 'GET', '/')).status).toBe(status);
    }
  });

  it('cuts the connection on reset and never answers on hang', async () => {
    const s = await start();
    s.failRequests({ kind: 'reset' });
    await expect(call(s, 'GET', '/')).rejects.toThrow();
    s.failRequests({ kind: 'hang' });
    await expect(call(s, 'GET', '/', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    s.heal();
    expect((await call(s, 'GET', '/')).status).toBe(200);
  });

  it('reset() forgets documents, data streams and own templates, and keeps the built-in template', async () => {
    const s = await start();
    await put(s, '/_index_template/mine', { index_patterns: ['mine-*'] });
    await bulk(
      s,
      ndjson({ create: { _index: 'logs-app-default' } }, { '@timestamp': '2026-01-01T00:00:00Z' }),
    );
    s.reset();
    expect(s.documents()).toEqual([]);
    expect(s.dataStream('logs-app-default')).toBeUndefined();
    expect(s.template('mine')).toBeUndefined();
    expect(s.template('logs')?.priority).toBe(100);
  });
});

describe('Elasticsearch test server: index templates', () => {
  it('PUT/GET/DELETE a template: acknowledged, listed, in-use refusal, then removed', async () => {
    const s = await start();
    const body = { index_patterns: ['logs-mine-*'], data_stream: {}, priority: 250 };
    expect((await put(s, '/_index_template/mine', body)).json).toEqual({ acknowledged: true });
    const got = await call(s, 'GET', '/_index_template/mine');
    expect(got.json.index_templates).toEqual([{ name: 'mine', index_template: body }]);
    await bulk(
      s,
      ndjson({ create: { _index: 'logs-mine-default' } }, { '@timestamp': '2026-01-01T00:00:00Z' }),
    );
    expect(s.dataStream('logs-mine-default')?.template).toBe('mine');
    const inUse = await call(s, 'DELETE', '/_index_template/mine');
    expect(inUse.status).toBe(400);
    expect(inUse.json.error.reason).toContain('in use by a data streams [logs-mine-default]');
    const gone = await call(s, 'GET', '/_index_template/nothing');
    expect(gone.status).toBe(404);
    expect(gone.json.error.type).toBe('resource_not_found_exception');
    await put(s, '/_index_template/spare', { index_patterns: ['spare-*'] });
    expect((await call(s, 'DELETE', '/_index_template/spare')).json).toEqual({ acknowledged: true });
  });

  it('refuses equal priority over overlapping patterns, create=true over an existing one, and bad shapes', async () => {
    const s = await start();
    const clash = await put(s, '/_index_template/low', {
      index_patterns: ['logs-mine-*'],
      data_stream: {},
      priority: 100,
    });
    expect(clash.status).toBe(400);
    expect(clash.json.error.reason).toContain('matching patterns from existing templates [logs]');
    expect(clash.json.error.reason).toContain('that have the same priority [100]');
    expect(
      (await put(s, '/_index_template/low', { index_patterns: ['logs-mine-*'], priority: 101 })).status,
    ).toBe(200);
    const again = await put(s, '/_index_template/low', { index_patterns: ['x-*'] }, '?create=true');
    expect(again.json.error.reason).toBe('index template [low] already exists');
    const unknownKey = await put(s, '/_index_template/bad', { index_patterns: ['b-*'], mappings: {} });
    expect(unknownKey.json.error.reason).toContain('[index_template] unknown field [mappings]');
    const badType = await put(s, '/_index_template/bad', {
      index_patterns: ['b-*'],
      template: { mappings: { properties: { a: { type: 'kw' } } } },
    });
    expect(badType.json.error).toMatchObject({
      type: 'mapper_parsing_exception',
      reason: 'No handler for type [kw] declared on field [a]',
    });
    const noPatterns = await put(s, '/_index_template/bad', { priority: 1 });
    expect(noPatterns.json.error.reason).toContain('index patterns are missing');
  });

  it('creates a data stream with the template’s mappings, so its types win over dynamic guesses', async () => {
    const s = await start();
    await put(s, '/_index_template/typed', {
      index_patterns: ['logs-typed-*'],
      data_stream: {},
      priority: 300,
      template: { mappings: { properties: { source: { properties: { ip: { type: 'ip' } } } } } },
    });
    const bad = await bulk(
      s,
      ndjson(
        { create: { _index: 'logs-typed-default' } },
        { '@timestamp': '2026-01-01T00:00:00Z', source: { ip: 'not-an-ip' } },
      ),
    );
    expect(bad.json.items[0].create.error.caused_by.reason).toBe("'not-an-ip' is not an IP string literal.");
    expect(s.dataStream('logs-typed-default')?.template).toBe('typed');
  });
});

describe('Elasticsearch test server: OpenSearch mode', () => {
  it('answers GET / as OpenSearch, without the product header', async () => {
    const s = await start({ flavor: 'opensearch' });
    const root = await call(s, 'GET', '/');
    expect(root.json.version.distribution).toBe('opensearch');
    expect(root.json.tagline).toBe('The OpenSearch Project: https://opensearch.org/');
    expect(root.json.version).not.toHaveProperty('build_flavor');
    expect(root.headers.get('x-elastic-product')).toBeNull();
  });

  it('has no built-in logs-*-* template, names backing indices .ds-<stream>-<generation>, and says mapper_parsing_exception', async () => {
    const s = await start({ flavor: 'opensearch' });
    await bulk(s, ndjson({ create: { _index: 'logs-app-default' } }, { n: 1 }));
    expect(s.dataStream('logs-app-default')).toBeUndefined();
    await put(s, '/_index_template/app', { index_patterns: ['logs-os-*'], data_stream: {} });
    const created = await bulk(
      s,
      ndjson({ create: { _index: 'logs-os-default' } }, { '@timestamp': '2026-01-01T00:00:00Z', n: 1 }),
    );
    expect(created.json.items[0].create._index).toBe('.ds-logs-os-default-000001');
    const bad = await bulk(
      s,
      ndjson({ create: { _index: 'logs-os-default' } }, { '@timestamp': '2026-01-01T00:00:00Z', n: 'x' }),
    );
    expect(bad.json.items[0].create.error.type).toBe('mapper_parsing_exception');
    expect(bad.json.items[0].create.error.reason).toMatch(/^failed to parse field \[n\] of type \[long\]/);
  });

  it('refuses Elastic-only field types in a template', async () => {
    const s = await start({ flavor: 'opensearch' });
    for (const type of ['constant_keyword', 'flattened']) {
      const res = await put(s, '/_index_template/t', {
        index_patterns: ['t-*'],
        template: { mappings: { properties: { f: { type } } } },
      });
      expect(res.json.error.reason).toBe(`No handler for type [${type}] declared on field [f]`);
    }
  });
});
