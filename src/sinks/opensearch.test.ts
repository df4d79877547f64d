import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki } from '../api/testing/pki.js';
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
import { createSearchSink, opensearchSink, setupSearchSink } from './elasticsearch/index.js';
import type { Sink } from './types.js';

runSinkContract('opensearch', () => startSearchHarness('opensearch'), {
  failures: ['unavailable', 'reset', 'hang', 'reject'],
});

const USER = { username: 'atp-siem', password: 'opensearch-password-1' };

let server: ElasticsearchTestServer | undefined;
const sinks: Sink[] = [];

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await server?.close();
  server = undefined;
});

async function start(options: ElasticsearchServerOptions = {}): Promise<ElasticsearchTestServer> {
  server = await ElasticsearchTestServer.start({ flavor: 'opensearch', auth: { users: [USER] }, ...options });
  return server;
}

function entryFor(os: ElasticsearchTestServer, entry: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: os.url, auth: { username: USER.username, password: { env: 'PW' } }, ...entry };
}

function sinkFor(
  os: ElasticsearchTestServer,
  entry: Record<string, unknown> = {},
  secret = USER.password,
): Sink {
  const sink = createSearchSink(
    'opensearch',
    searchConfig('opensearch', entryFor(os, entry), { PW: secret }),
    TEST_CONTEXT,
  );
  sinks.push(sink);
  return sink;
}

function setup(os: ElasticsearchTestServer, entry: Record<string, unknown> = {}): Promise<string[]> {
  const config = searchConfig('opensearch', entryFor(os, entry), { PW: USER.password });
  return setupSearchSink('opensearch', config, TEST_CONTEXT, AbortSignal.timeout(10_000));
}

describe('opensearch sink', () => {
  it('setup installs a template without Elastic-only types, and the next batch lands in .ds-<stream>-000001', async () => {
    const os = await start();
    const lines = await setup(os);
    expect(lines[0]).toContain('OpenSearch 2.19.0');
    const template = os.template('atp-siem-logs-atp_siem.defender');
    const text = JSON.stringify(template?.body);
    expect(text).not.toContain('constant_keyword');
    expect(text).not.toContain('"flattened"');
    expect(text).not.toContain('match_only_text');
    expect(await sinkFor(os).send(contractEvents(2, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(os.dataStream('logs-atp_siem.defender-default')?.indices).toEqual([
      '.ds-logs-atp_siem.defender-default-000001',
    ]);
    expect(os.mapping('logs-atp_siem.defender-default')?.properties?.['o365']?.properties?.['audit']).toEqual(
      { type: 'flat_object' },
    );
  });

  it('stores every record fixture in every JSON format after setup, with no mapping conflict', async () => {
    const os = await start();
    for (const format of ['ecs', 'ocsf', 'raw'] as const) {
      os.reset();
      await setup(os, { format });
      const batch = loadRecordFixtures().map((f, i) => eventOf(f.raw, format, i + 1));
      const result = await sinkFor(os, { format }).send(batch, AbortSignal.timeout(10_000));
      expect({ format, result }).toEqual({ format, result: { outcome: 'delivered' } });
    }
  });

  it('keeps the original record as a stored object on OpenSearch before 2.7 (no flat_object)', async () => {
    const os = await start({ version: '2.5.0' });
    await setup(os);
    const body = os.template('atp-siem-logs-atp_siem.defender')?.body as {
      template: { mappings: { properties: Record<string, { properties?: Record<string, unknown> }> } };
    };
    expect(body.template.mappings.properties['o365']?.properties?.['audit']).toEqual({
      type: 'object',
      enabled: false,
    });
  });

  it('without setup writes a plain index of the target name (OpenSearch has no built-in logs-*-* template)', async () => {
    const os = await start();
    expect(await sinkFor(os).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(os.dataStream('logs-atp_siem.defender-default')).toBeUndefined();
    expect(os.documents()[0]?.index).toBe('logs-atp_siem.defender-default');
  });

  it('dead-letters only the conflicting document, with mapper_parsing_exception and its reason', async () => {
    const os = await start();
    const batch = [...contractEvents(1, 'raw', { Score: 5 }), ...contractEvents(1, 'raw', { Score: 'high' })];
    const result = await sinkFor(os, { format: 'raw' }).send(batch, AbortSignal.timeout(10_000));
    const results = result.outcome === 'partial' ? result.results : [];
    expect(results.map((r) => r.status)).toEqual(['delivered', 'rejected']);
    expect(results[1]?.status === 'rejected' && results[1].reason).toContain(
      'mapper_parsing_exception: failed to parse field [o365audit.Score] of type [long]',
    );
  });

  it('authenticates with Basic and with a Bearer token', async () => {
    const os = await start({ auth: { users: [USER], bearerTokens: ['jwt-token-value-1'] } });
    expect(await sinkFor(os).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    const bearer = sinkFor(os, { auth: { bearer: { env: 'PW' } } }, 'jwt-token-value-1');
    expect(await bearer.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
      outcome: 'delivered',
    });
    expect(os.requests.map((r) => String(r.headers['authorization']).split(' ')[0])).toEqual([
      'Basic',
      'Bearer',
    ]);
  });

  it('is blocked by a refused credential, and the reason holds no part of it', async () => {
    const os = await start();
    const result = await sinkFor(os, {}, 'wrong-password-value').send(
      contractEvents(1, 'ecs'),
      AbortSignal.timeout(10_000),
    );
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(JSON.stringify(result)).not.toContain('wrong-password-value');
    expect(JSON.stringify(result)).not.toContain(
      Buffer.from(`${USER.username}:wrong-password-value`).toString('base64'),
    );
  });

  it('trusts the cluster through tls.ca_file (opensearch-js ssl options)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atp-siem-os-tls-'));
    try {
      const pki = makeTestPki(dir, { server: true, client: false });
      const os = await start({
        tls: {
          cert: readFileSync(path.join(dir, pki.serverCert), 'utf8'),
          key: readFileSync(path.join(dir, pki.serverKey), 'utf8'),
        },
      });
      const trusted = sinkFor(os, { tls: { ca_file: path.join(dir, pki.caCert) } });
      expect(await trusted.send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000))).toEqual({
        outcome: 'delivered',
      });
      const untrusted = await sinkFor(os).send(contractEvents(1, 'ecs'), AbortSignal.timeout(10_000));
      expect(untrusted).toMatchObject({ outcome: 'retryable', blocked: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('healthcheck passes on OpenSearch and says use type: elasticsearch on Elasticsearch', async () => {
    const os = await start();
    await expect(sinkFor(os).healthcheck?.(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
    await os.close();
    const es = await start({ flavor: 'elasticsearch' });
    await expect(sinkFor(es).healthcheck?.(AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('use type: elasticsearch') as unknown,
    });
  });

  it.each([
    [{ auth: { api_key: { env: 'K' } } }, 'OpenSearch has no API keys'],
    [{ o365_compat: true }, 'OpenSearch does not have'],
  ])('refuses %j: %s', (entry, message) => {
    const result = opensearchSink.configSchema.safeParse({
      name: 'os',
      type: 'opensearch',
      url: 'https://os.example:9200',
      ...entry,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});
