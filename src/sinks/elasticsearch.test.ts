import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki } from '../api/testing/pki.js';
import { ConnectorError } from '../api/errors.js';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import {
  eventOf,
  searchConfig,
  startSearchHarness,
  TEST_CONTEXT,
} from '../../test/servers/elasticsearch-harness.js';
import {
  ElasticsearchTestServer,
  type ElasticsearchServerOptions,
} from '../../test/servers/elasticsearch.js';
import { contractEvents, runSinkContract } from './sink.contract.js';
import { createSearchSink, documentId, elasticsearchSink, setupSearchSink } from './elasticsearch/index.js';
import { bulkBody, targetResolver, toDocument } from './elasticsearch/documents.js';
import {
  buildProperties,
  ECS_FIELDS,
  indexTemplate,
  isMapped,
  type MappingNode,
} from './elasticsearch/template.js';
import type { FormatId } from '../formats/index.js';
import { ECS_FIELD_TYPES } from '../formats/standards/ecs-fields.js';
import type { Sink, SinkEvent } from './types.js';

runSinkContract('elasticsearch', () => startSearchHarness('elasticsearch'), {
  failures: ['unavailable', 'reset', 'hang', 'reject'],
});

const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw';
const FIXED_NOW = new Date('2026-03-04T05:06:07.000Z');

let server: ElasticsearchTestServer | undefined;
const sinks: Sink[] = [];

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await server?.close();
  server = undefined;
});

async function start(options: ElasticsearchServerOptions = {}): Promise<ElasticsearchTestServer> {
  server = await ElasticsearchTestServer.start({
    auth: { apiKeys: [API_KEY] },
    now: () => FIXED_NOW,
    ...options,
  });
  return server;
}

function sinkFor(es: ElasticsearchTestServer, entry: Record<string, unknown> = {}, secret = API_KEY): Sink {
  const config = searchConfig(
    'elasticsearch',
    { url: es.url, auth: { api_key: { env: 'KEY' } }, ...entry },
    { KEY: secret },
  );
  const sink = createSearchSink('elasticsearch', config, TEST_CONTEXT, { now: () => FIXED_NOW });
  sinks.push(sink);
  return sink;
}

async function setup(es: ElasticsearchTestServer, entry: Record<string, unknown> = {}): Promise<string[]> {
  const config = searchConfig(
    'elasticsearch',
    { url: es.url, auth: { api_key: { env: 'KEY' } }, ...entry },
    { KEY: API_KEY },
  );
  return setupSearchSink('elasticsearch', config, TEST_CONTEXT, AbortSignal.timeout(10_000));
}

function sources(es: ElasticsearchTestServer): Record<string, unknown>[] {
  return es.documents().map((d) => JSON.parse(d.source) as Record<string, unknown>);
}

const idOf = (e: SinkEvent) => documentId(e.tenantId, e.id);

/** Leaf paths of a JSON value (array elements share their array's path). */
function leafPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) leafPaths(v, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leafPaths(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else {
    out.add(prefix);
  }
  return out;
}

describe('elasticsearch sink: bulk results', () => {
  it('stores a re-delivered batch once: the second send answers delivered from 409 conflicts', async () => {
    const es = await start();
    const sink = sinkFor(es);
    const batch = contractEvents(3, 'ecs');
    expect(await sink.send(batch, AbortSignal.timeout(10_000))).toEqual({ outcome: 'delivered' });
    expect(await sink.send(batch, AbortSignal.timeout(10_000))).toEqual({ outcome: 'delivered' });
    expect(es.documents().map((d) => d.id)).toEqual(batch.map(idOf));
  });

  it('retries a 429 item alone: partial with one retry, and resending that event stores it once', async () => {
    const es = await start();
    const sink = sinkFor(es);
    const batch = contractEvents(3, 'ecs');
    es.failItems({ status: 429, times: 1, ids: [idOf(batch[1] as SinkEvent)] });
    const first = await sink.send(batch, AbortSignal.timeout(10_000));
    expect(first.outcome).toBe('partial');
    const results = first.outcome === 'partial' ? first.results : [];
    expect(results.map((r) => r.status)).toEqual(['delivered', 'retry', 'delivered']);
    expect(results[1]?.status === 'retry' && results[1].reason).toContain('es_rejected_execution_exception');
    expect(await sink.send([batch[1] as SinkEvent], AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(
      es
        .documents()
        .map((d) => d.id)
        .sort(),
    ).toEqual(batch.map(idOf).sort());
  });

  it('dead-letters only the document with a mapping conflict, with the type and reason Elasticsearch gave', async () => {
    // No template of ours: the built-in logs-*-* maps o365audit.Score dynamically from the first record.
    const es = await start();
    const sink = sinkFor(es, { format: 'raw' });
    const batch = [
      ...contractEvents(1, 'raw', { Score: 5 }),
      ...contractEvents(1, 'raw', { Score: 'high' }),
      ...contractEvents(1, 'raw', { Score: 7 }),
    ];
    const result = await sink.send(batch, AbortSignal.timeout(10_000));
    expect(result.outcome).toBe('partial');
    const results = result.outcome === 'partial' ? result.results : [];
    expect(results.map((r) => r.status)).toEqual(['delivered', 'rejected', 'delivered']);
    const reason = results[1]?.status === 'rejected' ? results[1].reason : '';
    expect(reason).toContain('document_parsing_exception');
    expect(reason).toContain('failed to parse field [o365audit.Score] of type [long]');
    expect(es.documents()).toHaveLength(2);
  });

  it('installs its template before the first bulk when the cluster has none, so a field whose type changes is not refused', async () => {
    const es = await start();
    const sink = sinkFor(es, { format: 'raw', template: { install: 'auto' } });
    const batch = [...contractEvents(1, 'raw', { Score: 5 }), ...contractEvents(1, 'raw', { Score: 'high' })];
    expect(await sink.send(batch, AbortSignal.timeout(10_000))).toEqual({ outcome: 'delivered' });
    expect(es.documents()).toHaveLength(2);
    expect(es.template('atp-siem-logs-atp_siem.defender')).toBeDefined();
    // The next send finds the template and does not install it again.
    const puts = () =>
      es.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/_index_template/')).length;
    const before = puts();
    expect(await sink.send(contractEvents(1, 'raw'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(puts()).toBe(before);
  });

  it('blocks instead of dead-lettering when the target refuses every document by configuration (constant_keyword)', async () => {
    const es = await start({ auth: undefined });
    const put = await fetch(`${es.url}/_index_template/someone-elses`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        index_patterns: ['logs-atp_siem.defender-*'],
        data_stream: {},
        priority: 300,
        template: {
          mappings: {
            properties: { event: { properties: { module: { type: 'constant_keyword', value: 'other' } } } },
          },
        },
      }),
    });
    expect(put.status).toBe(200);
    const sink = sinkFor(es, { auth: undefined });
    const result = await sink.send(contractEvents(2, 'ecs'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toContain(
      '[constant_keyword] field [event.module] only accepts values that are equal to the value defined in the mappings [other], but got [o365]',
    );
    expect(es.documents()).toHaveLength(0);
  });

  it('answers retryable with Retry-After for a whole-request 429, and retryable for 502, 503 and 504', async () => {
    const es = await start();
    const sink = sinkFor(es);
    es.failRequests({ kind: 'status', status: 429, retryAfter: '7' });
    const throttled = await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(throttled).toMatchObject({ outcome: 'retryable', retryAfterMs: 7000 });
    expect(throttled.outcome === 'retryable' && throttled.reason).toContain(
      'es_rejected_execution_exception',
    );
    for (const status of [502, 503, 504] as const) {
      es.failRequests({ kind: 'status', status });
      const result = await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
      expect(result.outcome).toBe('retryable');
      expect(result.outcome === 'retryable' && result.blocked).toBeFalsy();
      expect(result.outcome === 'retryable' && result.reason).toContain(`HTTP ${status}`);
    }
    es.heal();
    expect(await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
  });

  it('answers rejected for a 413 over http.max_content_length counted inflated, though the gzip body is small', async () => {
    const es = await start({ maxContentLength: 20_000 });
    const sink = sinkFor(es);
    const result = await sink.send(
      contractEvents(2, 'ecs', { Long: 'x'.repeat(30_000) }),
      AbortSignal.timeout(10_000),
    );
    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(result.outcome === 'rejected' && result.reason).toContain('413');
    const last = es.requests.at(-1);
    expect(last?.headers['content-encoding']).toBe('gzip');
    expect(last?.wireBytes).toBeLessThan(20_000);
  });

  it('is blocked with a clear reason by a server that is not Elasticsearch (OpenSearch): use type opensearch', async () => {
    const es = await start({ flavor: 'opensearch', auth: undefined });
    const sink = sinkFor(es, { auth: undefined });
    const result = await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toContain('not Elasticsearch');
    expect(result.outcome === 'retryable' && result.reason).toContain('use type: opensearch');
    await expect(sink.healthcheck?.(AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('use type: opensearch') as unknown,
    });
  });

  it('is blocked, not rejected, when the URL has no route on the cluster (400 no handler) or the cluster refuses its version header (ES 7)', async () => {
    const es = await start({ version: '7.17.9' });
    const result = await sinkFor(es).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toContain('media_type_header_exception');
    await es.close();
    const es8 = await start();
    const wrongPath = sinkFor(es8, { url: `${es8.url}/proxy/prefix` });
    const missing = await wrongPath.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(missing).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(missing.outcome === 'retryable' && missing.reason).toContain(
      'no handler found for uri [/proxy/prefix/_bulk]',
    );
  });

  it('delivers to Elasticsearch 9 with the 8.19 client (compatible-with=8 is accepted by the next major)', async () => {
    const es = await start({ version: '9.1.0' });
    expect(await sinkFor(es).send(contractEvents(2, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(es.requests.at(-1)?.headers['content-type']).toContain('compatible-with=8');
  });
});

describe('elasticsearch sink: credentials', () => {
  it('authenticates with an API key (encoded or id:key), Basic and Bearer', async () => {
    const es = await start({
      auth: {
        apiKeys: [API_KEY, Buffer.from('key-id:key-secret-value').toString('base64')],
        users: [{ username: 'writer', password: 'writer-password' }],
        bearerTokens: ['bearer-token-value'],
      },
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ auth: { api_key: { env: 'KEY' } } }, API_KEY],
      [{ auth: { api_key: { env: 'KEY' } } }, 'key-id:key-secret-value'],
      [{ auth: { username: 'writer', password: { env: 'KEY' } } }, 'writer-password'],
      [{ auth: { bearer: { env: 'KEY' } } }, 'bearer-token-value'],
    ];
    for (const [entry, secret] of cases) {
      const sink = sinkFor(es, entry, secret);
      expect(await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
        outcome: 'delivered',
      });
    }
    expect(es.requests.map((r) => String(r.headers['authorization']).split(' ')[0])).toEqual([
      'ApiKey',
      'ApiKey',
      'Basic',
      'Bearer',
    ]);
  });

  it('never puts the credential in a reason or an error, even when a proxy echoes the request headers', async () => {
    const secret = 'id-1234:do-not-leak-this-key-0000';
    const encoded = Buffer.from(secret).toString('base64');
    const es = await start({ auth: { apiKeys: ['a-different-key'] } });
    const sink = sinkFor(es, {}, secret);
    const refused = await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(refused).toMatchObject({ outcome: 'retryable', blocked: true });
    es.failRequests({ kind: 'echo-headers' });
    const echoed = await sink.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(echoed.outcome === 'retryable' && echoed.reason).toContain('[redacted]');
    es.heal();
    const health = await sink.healthcheck?.(AbortSignal.timeout(10_000)).then(
      () => 'passed',
      (err: unknown) => (err instanceof ConnectorError ? `${err.code} ${err.message}` : String(err)),
    );
    expect(health).toContain('CONFIG_INVALID');
    for (const text of [JSON.stringify(refused), JSON.stringify(echoed), String(health)]) {
      expect(text).not.toContain('do-not-leak-this-key');
      expect(text).not.toContain(encoded);
    }
  });

  it('healthcheck passes on a reachable cluster and says SINK_UNAVAILABLE for an unreachable one', async () => {
    const es = await start();
    await expect(sinkFor(es).healthcheck?.(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
    const url = es.url;
    await es.close();
    server = undefined;
    const gone = createSearchSink(
      'elasticsearch',
      searchConfig('elasticsearch', { url, auth: { api_key: { env: 'K' } } }, { K: API_KEY }),
      TEST_CONTEXT,
    );
    sinks.push(gone);
    await expect(gone.healthcheck?.(AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'SINK_UNAVAILABLE',
    });
  });
});

describe('elasticsearch sink: data streams and setup', () => {
  it('setup installs a data stream template above the built-ins, and the next batch lands in the data stream, typed', async () => {
    const es = await start();
    const lines = await setup(es);
    expect(lines.join('\n')).toContain('installed index template atp-siem-logs-atp_siem.defender');
    const template = es.template('atp-siem-logs-atp_siem.defender');
    expect(template).toMatchObject({
      patterns: ['logs-atp_siem.defender-*'],
      priority: 250,
      dataStream: true,
    });
    const batch = contractEvents(2, 'ecs', { ClientIP: '203.0.113.9' });
    expect(await sinkFor(es).send(batch, AbortSignal.timeout(10_000))).toEqual({ outcome: 'delivered' });
    expect(es.dataStream('logs-atp_siem.defender-default')).toEqual({
      name: 'logs-atp_siem.defender-default',
      template: 'atp-siem-logs-atp_siem.defender',
      indices: ['.ds-logs-atp_siem.defender-default-2026.03.04-000001'],
    });
    const mapping = es.mapping('logs-atp_siem.defender-default');
    expect(mapping?.properties?.['source']?.properties?.['ip']).toEqual({ type: 'ip' });
    expect(mapping?.properties?.['o365']?.properties?.['audit']).toMatchObject({ type: 'flattened' });
    expect(es.documents().map((d) => d.index)).toEqual([
      '.ds-logs-atp_siem.defender-default-2026.03.04-000001',
      '.ds-logs-atp_siem.defender-default-2026.03.04-000001',
    ]);
  });

  it('setup twice replaces its own template; a second template of equal priority over the same names is refused', async () => {
    const es = await start();
    await setup(es);
    await expect(setup(es)).resolves.toBeDefined();
    await expect(setup(es, { index: 'logs-atp_siem.{record_type}-default' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('same priority [250]') as unknown,
    });
  });

  it('stores every record fixture in every JSON format after setup, with no mapping conflict', async () => {
    const es = await start();
    for (const format of ['ecs', 'ocsf', 'raw'] as const) {
      es.reset();
      await setup(es, { format });
      const batch = loadRecordFixtures().map((f, i) => eventOf(f.raw, format, i + 1));
      const result = await sinkFor(es, { format }).send(batch, AbortSignal.timeout(10_000));
      expect({ format, result }).toEqual({ format, result: { outcome: 'delivered' } });
      expect(es.documents()).toHaveLength(new Set(batch.map(idOf)).size);
    }
  });

  it('gives a record without a valid time a @timestamp from the clock, and every document event.ingested', async () => {
    const es = await start();
    const invalid = loadRecordFixtures().find((f) => f.name.startsWith('invalid-28'));
    const event = eventOf(invalid?.raw ?? '', 'ecs', 1);
    expect(JSON.parse(event.payload)).not.toHaveProperty('@timestamp');
    expect(await sinkFor(es).send([event], AbortSignal.timeout(10_000))).toEqual({ outcome: 'delivered' });
    const [doc] = sources(es);
    expect(doc?.['@timestamp']).toBe(FIXED_NOW.toISOString());
    expect((doc?.['event'] as Record<string, unknown>)['ingested']).toBe(FIXED_NOW.toISOString());
    expect(doc?.['data_stream']).toEqual({
      type: 'logs',
      dataset: 'atp_siem.defender',
      namespace: 'default',
    });
  });

  it('puts each record type in its own data stream with {record_type}', async () => {
    const es = await start();
    await setup(es, { index: 'logs-atp_siem.{record_type}-default' });
    const fixtures = loadRecordFixtures().filter((f) => /^(mail-28|click-41|air-64)/.test(f.name));
    const batch = fixtures.map((f, i) => eventOf(f.raw, 'ecs', i + 1));
    expect(
      await sinkFor(es, { index: 'logs-atp_siem.{record_type}-default' }).send(
        batch,
        AbortSignal.timeout(10_000),
      ),
    ).toEqual({
      outcome: 'delivered',
    });
    for (const name of ['threatintelligence', 'threatintelligenceurl', 'airinvestigation']) {
      expect(es.dataStream(`logs-atp_siem.${name}-default`)?.template).toBe(
        'atp-siem-logs-atp_siem.by_record_type',
      );
    }
  });

  it('o365_compat sends the raw record under o365audit to logs-o365.audit-default; setup wants the integration', async () => {
    const es = await start();
    await expect(setup(es, { o365_compat: true })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('install the integration') as unknown,
    });
    const batch = contractEvents(1, 'raw');
    expect(await sinkFor(es, { o365_compat: true }).send(batch, AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    const [doc] = sources(es);
    expect(es.documents()[0]?.dataStream).toBe('logs-o365.audit-default');
    expect(doc).toMatchObject({
      '@timestamp': batch[0]?.creationTime,
      o365audit: JSON.parse(batch[0]?.raw ?? '{}') as unknown,
      data_stream: { type: 'logs', dataset: 'o365.audit', namespace: 'default' },
    });
  });
});

describe('elasticsearch sink: the template covers what the formats emit', () => {
  const target = { product: 'elasticsearch' as const, version: '8.19.0' };

  it.each(['ecs', 'ocsf', 'raw'] as const)(
    'maps every leaf field of every %s fixture document (or a flattened object holds it)',
    (format) => {
      const template = indexTemplate(
        { index: 'logs-atp_siem.defender-default', format, priority: 250 },
        target,
      );
      const mappings = (
        template['template'] as { mappings: { properties: Record<string, MappingNode>; dynamic: boolean } }
      ).mappings;
      const unmapped = new Set<string>();
      for (const [i, f] of loadRecordFixtures().entries()) {
        const event = eventOf(f.raw, format as FormatId, i + 1);
        const doc = JSON.parse(
          toDocument(event, 'logs-atp_siem.defender-default', { now: FIXED_NOW.toISOString() }),
        ) as unknown;
        for (const path of leafPaths(doc)) if (!isMapped(mappings.properties, path)) unmapped.add(path);
      }
      // OCSF maps its own (typed, stable) fields dynamically; ECS and raw must be complete.
      if (format === 'ocsf') expect(mappings.dynamic).toBe(true);
      else expect([...unmapped]).toEqual([]);
    },
  );

  it("maps every ECS field with a type of that field's ECS type family (from ECS's own field table)", () => {
    // The template may refine within a family (wildcard or stored keyword, text for match_only_text).
    const family: Record<string, readonly string[]> = {
      keyword: ['keyword', 'constant_keyword', 'wildcard'],
      wildcard: ['keyword', 'wildcard'],
      stored: ['keyword'],
      text: ['match_only_text', 'text'],
      long: ['long', 'integer'],
      float: ['float', 'scaled_float', 'double'],
      date: ['date'],
      ip: ['ip'],
      nested: ['nested'],
      flattened: ['flattened'],
    };
    const wrong = ECS_FIELDS.filter(([p]) => !p.startsWith('atp_siem.') && !p.startsWith('o365.'))
      .map(([p, type]) => [p, type, ECS_FIELD_TYPES[p]] as const)
      .filter(([, type, ecs]) => ecs === undefined || !(family[type] ?? []).includes(ecs));
    expect(wrong).toEqual([]);
  });

  it('lists each ECS field once', () => {
    const paths = ECS_FIELDS.map(([p]) => p);
    expect(paths.length).toBe(new Set(paths).size);
  });

  it('translates types OpenSearch lacks: constant_keyword → keyword, flattened → flat_object (2.7+) or a stored object', () => {
    const table = [
      ['a', 'constant_keyword'],
      ['b', 'flattened'],
      ['c', 'text'],
    ] as const;
    expect(buildProperties(table, { product: 'opensearch', version: '2.19.0' })).toEqual({
      a: { type: 'keyword' },
      b: { type: 'flat_object' },
      c: { type: 'text' },
    });
    expect(buildProperties(table, { product: 'opensearch', version: '2.5.0' })['b']).toEqual({
      type: 'object',
      enabled: false,
    });
  });
});

describe('elasticsearch sink: documents and configuration', () => {
  it('frames hostile text as one action and one document line each, every line ending in a newline', () => {
    const batch = contractEvents(2, 'raw', { Subject: 'a\nb\r\n{"create":{}}\n' });
    const body = bulkBody(batch, targetResolver('logs-atp_siem.defender-default'), {
      now: FIXED_NOW.toISOString(),
    });
    expect(body.endsWith('\n')).toBe(true);
    const lines = body.slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('derives the same _id for the same tenant and record, and another for another tenant', () => {
    expect(documentId('t1', 'r1')).toBe(documentId('t1', 'r1'));
    expect(documentId('t1', 'r1')).not.toBe(documentId('t2', 'r1'));
    expect(documentId('t1', 'r1')).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    [{ format: 'cef' }, 'stores JSON documents: set format to ecs, ocsf, raw'],
    [{ o365_compat: true, format: 'ecs' }, 'set format: raw'],
    [{ index: 'Logs-x-default' }, 'lowercase'],
    [{ index: 'logs-atp-siem-default' }, 'neither dataset nor namespace may hold "-"'],
    [{ index: 'logs-{tenant}-default' }, 'the only placeholder in index is {record_type}'],
    [{ url: 'http://es.example:9200' }, 'plain http:// is allowed only for loopback hosts'],
    [
      { url: 'https://user:pw@es.example:9200' },
      'must not hold a user or password; credentials go under auth:',
    ],
    [
      { auth: { api_key: { env: 'K' }, bearer: { env: 'B' } } },
      'set auth to one of api_key, username + password, or bearer',
    ],
    [{ auth: { api_key: 'plain-text-key' } }, 'never the value itself'],
  ])('refuses %j: %s', (entry, message) => {
    const result = elasticsearchSink.configSchema.safeParse({
      name: 'es',
      type: 'elasticsearch',
      url: 'https://es.example:9200',
      ...entry,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('defaults to ecs into logs-atp_siem.defender-default, and to raw into logs-o365.audit-default with o365_compat', () => {
    const plain = searchConfig('elasticsearch', { url: 'https://es.example:9200' });
    expect({ format: plain.format, index: plain.index, priority: plain.template.priority }).toEqual({
      format: 'ecs',
      index: 'logs-atp_siem.defender-default',
      priority: 250,
    });
    const compat = searchConfig('elasticsearch', { url: 'https://es.example:9200', o365_compat: true });
    expect({ format: compat.format, index: compat.index }).toEqual({
      format: 'raw',
      index: 'logs-o365.audit-default',
    });
  });
});

describe('elasticsearch sink: TLS and pipelines', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('trusts the cluster through tls.ca_file, and is blocked with the fix named when the CA is unknown', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atp-siem-es-tls-'));
    const pki = makeTestPki(dir, { server: true, client: false });
    const es = await start({
      tls: {
        cert: readFileSync(path.join(dir, pki.serverCert), 'utf8'),
        key: readFileSync(path.join(dir, pki.serverKey), 'utf8'),
      },
    });
    expect(es.url.startsWith('https://127.0.0.1:')).toBe(true);
    const trusted = sinkFor(es, { tls: { ca_file: path.join(dir, pki.caCert) } });
    expect(await trusted.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    const untrusted = await sinkFor(es).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
    expect(untrusted).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(untrusted.outcome === 'retryable' && untrusted.reason).toContain('set tls.ca_file');
  });

  it('is blocked, not dead-lettered, when the credential may not write the target (item 403 security_exception)', async () => {
    const es = await start({ forbiddenIndices: ['logs-atp_siem.*'] });
    const result = await sinkFor(es).send(contractEvents(2, 'ecs'), AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toContain('security_exception');
  });

  it('sends ?pipeline= when configured, and is blocked (not dead-lettered) when that pipeline does not exist', async () => {
    const es = await start({ pipelines: ['enrich'] });
    expect(
      await sinkFor(es, { pipeline: 'enrich' }).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000)),
    ).toEqual({
      outcome: 'delivered',
    });
    expect(es.requests.at(-1)?.query.get('pipeline')).toBe('enrich');
    const missing = await sinkFor(es, { pipeline: 'nope' }).send(
      contractEvents(2, 'ecs'),
      AbortSignal.timeout(10_000),
    );
    expect(missing).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(missing.outcome === 'retryable' && missing.reason).toContain(
      'pipeline with id [nope] does not exist',
    );
  });
});
