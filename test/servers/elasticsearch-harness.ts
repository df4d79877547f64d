/**
 * Test helpers of the search sinks (src/sinks/elasticsearch): a parsed configuration with its secrets resolved (as the config
 * loader does), a contract harness over the test server, and record fixtures as SinkEvents.
 */
import { Secret } from '../../src/config/secret.js';
import { getFormat, toFormatInput, type FormatId } from '../../src/formats/index.js';
import { SINK_SECRET } from '../../src/sinks/config.js';
import {
  searchSinkSchema,
  type SearchProduct,
  type SearchSinkConfig,
} from '../../src/sinks/elasticsearch/config.js';
import { createSearchSink, type SearchSinkOptions } from '../../src/sinks/elasticsearch/index.js';
import type { FailureMode, SinkHarness } from '../../src/sinks/sink.contract.js';
import type { SinkContext, SinkEvent } from '../../src/sinks/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { ElasticsearchTestServer, type ElasticsearchServerOptions } from './elasticsearch.js';

export const TEST_CONTEXT: SinkContext = {
  logger: createLogger({ level: 'silent' }),
  baseDir: process.cwd(),
};

/** Replaces each secret reference by a Secret holding `values[env]`, as loadConfig does. */
function resolveSecrets(value: unknown, values: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveSecrets(v, values));
  if (value === null || typeof value !== 'object' || value instanceof Secret) return value;
  const record = value as Record<string | symbol, unknown>;
  if (record[SINK_SECRET] === true) {
    const name = String(record['env']);
    const secret = values[name];
    if (secret === undefined) throw new Error(`test secret ${name} not given`);
    return new Secret(secret);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolveSecrets(v, values)]));
}

/**
 * A parsed sink configuration; secrets are written `{ env: NAME }` and taken from `secrets`.
 * @example searchConfig('elasticsearch', { url, auth: { api_key: { env: 'K' } } }, { K: 'id:key' })
 */
export function searchConfig(
  product: SearchProduct,
  entry: Record<string, unknown>,
  secrets: Record<string, string> = {},
): SearchSinkConfig {
  // The sink installs its template on the first send by default; these tests see what the cluster does
  // on its own unless they ask for that (template: { install: 'auto' }).
  const template = { install: 'never', ...(entry.template as Record<string, unknown> | undefined) };
  const parsed = searchSinkSchema(product).parse({
    name: `test-${product}`,
    type: product,
    ...entry,
    template,
  });
  return resolveSecrets(parsed, secrets) as SearchSinkConfig;
}

export interface SearchHarness extends SinkHarness {
  server: ElasticsearchTestServer;
}

/** The contract harness: a sink of `product` against a test server of the same flavor. */
export async function startSearchHarness(
  product: SearchProduct,
  options: { format?: FormatId; server?: ElasticsearchServerOptions; sink?: SearchSinkOptions } = {},
): Promise<SearchHarness> {
  const server = await ElasticsearchTestServer.start({
    flavor: product,
    auth: { users: [{ username: 'atp-siem', password: 'harness-password-1' }] },
    ...options.server,
  });
  const format = options.format ?? 'ecs';
  const config = searchConfig(
    product,
    { url: server.url, format, auth: { username: 'atp-siem', password: { env: 'PW' } } },
    { PW: 'harness-password-1' },
  );
  const sink = createSearchSink(product, config, TEST_CONTEXT, options.sink);
  return {
    server,
    sink,
    format,
    // The server indexes synchronously: what it holds when send() returned is all it will hold.
    received: () => Promise.resolve(server.documents().map((d) => d.source)),
    fail: (mode: FailureMode) => {
      switch (mode) {
        case 'unavailable':
          server.failRequests({ kind: 'status', status: 503 });
          break;
        case 'reset':
          server.failRequests({ kind: 'reset' });
          break;
        case 'hang':
          server.failRequests({ kind: 'hang' });
          break;
        case 'reject':
          server.failItems({ status: 400, times: Number.POSITIVE_INFINITY });
          break;
      }
      return Promise.resolve();
    },
    heal: () => {
      server.heal();
      return Promise.resolve();
    },
    close: async () => {
      await sink.close();
      await server.close();
    },
  };
}

/** A stored record's text as the driver would hand it to a sink in `format`. */
export function eventOf(
  raw: string,
  format: FormatId,
  offset: number,
  tenantId = '11111111-2222-3333-4444-555555555555',
): SinkEvent {
  const record = JSON.parse(raw) as Record<string, unknown>;
  const encoder = getFormat(format);
  if (!encoder) throw new Error(`no format ${format}`);
  const rt = typeof record['RecordType'] === 'number' ? record['RecordType'] : null;
  const time =
    typeof record['CreationTime'] === 'string' ? Date.parse(`${record['CreationTime']}Z`) : Number.NaN;
  return {
    offset,
    tenantId,
    id: String(record['Id'] ?? `no-id-${offset}`),
    recordType: rt,
    creationTime: Number.isNaN(time) ? null : new Date(time).toISOString(),
    raw,
    payload: encoder.encode(toFormatInput(raw)),
    format,
  };
}
