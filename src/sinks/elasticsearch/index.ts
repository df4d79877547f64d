/**
 * The `elasticsearch` and `opensearch` sinks (docs/sinks/elasticsearch.md): one `_bulk` request per batch
 * of `create` actions with an idempotent `_id`, per-item results, and `setup` for the index template.
 * Elasticsearch goes through elasticsearch-js 8.19 (ES 8 and 9), OpenSearch through opensearch-js 3.
 */
import { ConnectorError, clip } from '../../api/errors.js';
import type { SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import { classifyBulk, clipReason } from './bulk.js';
import {
  classifyFailure,
  createSearchClient,
  describeFailure,
  PRODUCT_NAMES,
  type Failure,
  type SearchClient,
} from './client.js';
import { SEARCH_FORMATS, searchSinkSchema, type SearchProduct, type SearchSinkConfig } from './config.js';
import { bulkBody, targetResolver, templatePattern } from './documents.js';
import { indexTemplate } from './template.js';

export type { SearchSinkConfig } from './config.js';
export { documentId } from './documents.js';

export interface SearchSinkOptions {
  /** Clock for `event.ingested` (tests). */
  now?: () => Date;
  /** A client to use instead of the vendor's (tests). */
  client?: SearchClient;
}

function redactResult(result: SendResult, redact: (t: string) => string): SendResult {
  switch (result.outcome) {
    case 'delivered':
      return result;
    case 'retryable':
    case 'rejected':
      return { ...result, reason: redact(result.reason) };
    case 'partial':
      return {
        ...result,
        results: result.results.map((r) =>
          r.status === 'delivered' ? r : { ...r, reason: redact(r.reason) },
        ),
      };
  }
}

/** Turns a failure of healthcheck or setup into the ConnectorError that says what to fix. */
function connectorError(
  failure: Failure,
  product: SearchProduct,
  config: SearchSinkConfig,
  doing: string,
): ConnectorError {
  const what = PRODUCT_NAMES[product];
  const url = config.urls[0] ?? '';
  const stage = { stage: 'sending' as const };
  switch (failure.kind) {
    case 'not-elasticsearch':
      return new ConnectorError(
        'CONFIG_INVALID',
        `sink ${config.name}: ${url} is not Elasticsearch (no "X-Elastic-Product: Elasticsearch" header); if it is OpenSearch, use type: opensearch`,
        stage,
      );
    case 'bad-body':
      return new ConnectorError(
        'SINK_UNAVAILABLE',
        `sink ${config.name}: ${what} at ${url}: ${failure.reason}`,
        stage,
      );
    case 'network':
      return failure.tls
        ? new ConnectorError(
            'CONFIG_INVALID',
            `sink ${config.name}: TLS with ${url} failed (${clip(failure.reason)}); set tls.ca_file to the cluster's CA`,
            stage,
          )
        : new ConnectorError(
            'SINK_UNAVAILABLE',
            `sink ${config.name}: ${what} at ${url} could not be reached: ${clip(failure.reason)}`,
            stage,
          );
    case 'response': {
      const detail = `${what} answered HTTP ${failure.status} while ${doing}: ${clipReason(failure.summary, 1000)}`;
      if (failure.status === 401) {
        return new ConnectorError(
          'CONFIG_INVALID',
          `sink ${config.name}: ${detail}; check auth (the credential was refused)`,
          {
            ...stage,
            httpStatus: 401,
          },
        );
      }
      if (failure.status === 403) {
        return new ConnectorError(
          'CONFIG_INVALID',
          `sink ${config.name}: ${detail}; the credential lacks a privilege this needs`,
          {
            ...stage,
            httpStatus: 403,
          },
        );
      }
      if (failure.status === 429 || failure.status >= 500) {
        return new ConnectorError('SINK_UNAVAILABLE', `sink ${config.name}: ${detail}`, {
          ...stage,
          httpStatus: failure.status,
        });
      }
      return new ConnectorError('CONFIG_INVALID', `sink ${config.name}: ${detail}`, {
        ...stage,
        httpStatus: failure.status,
      });
    }
  }
}

interface RootInfo {
  distribution: string | undefined;
  number: string;
}

function rootInfo(body: unknown): RootInfo {
  const version = (body as { version?: { number?: unknown; distribution?: unknown } } | null)?.version;
  return {
    number: typeof version?.number === 'string' ? version.number : '0',
    distribution: typeof version?.distribution === 'string' ? version.distribution : undefined,
  };
}

/**
 * `GET /`: the product and its version. A 403 means the credential works but lacks the `monitor`
 * privilege, which writing does not need: then nothing more is known (version undefined).
 */
async function probe(
  client: SearchClient,
  config: SearchSinkConfig,
  signal: AbortSignal,
): Promise<RootInfo | undefined> {
  const product = client.product;
  let info: RootInfo;
  try {
    const res = await client.request({ method: 'GET', path: '/' }, signal);
    info = rootInfo(res.body);
  } catch (err) {
    const failure = describeFailure(err, signal, client.redact);
    if (failure.kind === 'response' && failure.status === 403) return undefined;
    throw redactError(connectorError(failure, product, config, 'checking the cluster (GET /)'), client);
  }
  const major = Number.parseInt(info.number, 10);
  if (product === 'opensearch' && info.distribution !== 'opensearch') {
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${config.name}: ${config.urls[0] ?? ''} is Elasticsearch ${info.number}, not OpenSearch; use type: elasticsearch`,
      { stage: 'sending' },
    );
  }
  if (product === 'elasticsearch' && major < 8) {
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${config.name}: Elasticsearch ${info.number} is too old for this sink (8 or 9 needed)`,
      { stage: 'sending' },
    );
  }
  return info;
}

function redactError(err: ConnectorError, client: SearchClient): ConnectorError {
  const message = client.redact(err.message);
  return message === err.message
    ? err
    : new ConnectorError(err.code, message, {
        stage: err.stage,
        ...(err.httpStatus ? { httpStatus: err.httpStatus } : {}),
      });
}

/**
 * A running search sink.
 * @example const sink = createSearchSink('elasticsearch', config, ctx);
 */
export function createSearchSink(
  product: SearchProduct,
  config: SearchSinkConfig,
  ctx: SinkContext,
  options: SearchSinkOptions = {},
): Sink {
  const client = options.client ?? createSearchClient(product, config, ctx);
  const now = options.now ?? (() => new Date());
  const indexOf = targetResolver(config.index);
  const what = PRODUCT_NAMES[product];
  const url = config.urls[0] ?? '';
  const query = config.pipeline === undefined ? undefined : { pipeline: config.pipeline };
  let closed: Promise<void> | undefined;

  async function send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> {
    if (closed) return { outcome: 'retryable', reason: `sink ${config.name} is closed` };
    if (signal.aborted)
      return { outcome: 'retryable', reason: 'timed out (no answer within the sink timeout)' };
    const body = bulkBody(batch, indexOf, { now: now().toISOString() });
    let result: SendResult;
    try {
      const res = await client.request(
        { method: 'POST', path: '/_bulk', bulk: body, ...(query ? { query } : {}) },
        signal,
      );
      result =
        res.status >= 200 && res.status < 300
          ? classifyBulk(res.body, batch.length, what)
          : classifyFailure(
              { kind: 'response', status: res.status, headers: res.headers, summary: '', errorType: '' },
              product,
              url,
            );
    } catch (err) {
      result = classifyFailure(describeFailure(err, signal, client.redact), product, url);
    }
    return redactResult(result, client.redact);
  }

  return {
    name: config.name,
    type: product,
    send,
    async healthcheck(signal) {
      await probe(client, config, signal);
    },
    close() {
      closed ??= client.close().catch(() => undefined);
      return closed;
    },
  };
}

/**
 * `atp-siem sinks setup NAME`: checks the cluster and installs the index template of the sink's target
 * (or, with o365_compat, checks that Elastic's o365 integration owns the target).
 */
export async function setupSearchSink(
  product: SearchProduct,
  config: SearchSinkConfig,
  ctx: SinkContext,
  signal: AbortSignal,
  options: { client?: SearchClient } = {},
): Promise<string[]> {
  const client = options.client ?? createSearchClient(product, config, ctx);
  const what = PRODUCT_NAMES[product];
  const lines: string[] = [];
  try {
    const info = await probe(client, config, signal);
    lines.push(
      info
        ? `${what} ${info.number} at ${config.urls[0] ?? ''}: connected`
        : `${what} at ${config.urls[0] ?? ''}: connected (the credential cannot read the version: no monitor privilege)`,
    );
    const request = async (req: Parameters<SearchClient['request']>[0], doing: string) => {
      try {
        return await client.request(req, signal);
      } catch (err) {
        const failure = describeFailure(err, signal, client.redact);
        if (failure.kind === 'response' && failure.status === 404 && req.method === 'GET') return undefined;
        throw redactError(connectorError(failure, product, config, doing), client);
      }
    };
    if (config.o365Compat) {
      const found = await request(
        { method: 'GET', path: '/_index_template/logs-o365.audit' },
        'looking for the o365 integration',
      );
      if (!found) {
        throw new ConnectorError(
          'CONFIG_INVALID',
          `sink ${config.name}: o365_compat writes to ${config.index}, which Elastic's Microsoft 365 integration maps; install the integration (Kibana > Integrations > Microsoft 365) first: no template logs-o365.audit exists`,
          { stage: 'startup' },
        );
      }
      lines.push(
        `found the o365 integration's template logs-o365.audit; documents go to ${config.index} through its ingest pipeline`,
      );
      lines.push('installed nothing: the integration owns that template');
      return lines;
    }
    const body = indexTemplate(
      { index: config.index, format: config.format, priority: config.template.priority },
      { product, version: info?.number ?? (product === 'opensearch' ? '2.7.0' : '8.0.0') },
    );
    await request(
      { method: 'PUT', path: `/_index_template/${encodeURIComponent(config.template.name)}`, body },
      `installing index template ${config.template.name}`,
    );
    lines.push(
      `installed index template ${config.template.name}: patterns ${templatePattern(config.index)}, priority ${config.template.priority}, data stream, ${config.format} mappings`,
    );
    lines.push(
      config.index.includes('{record_type}')
        ? `documents go to one data stream per record type (${config.index}), each created on its first write`
        : `documents go to data stream ${config.index}, created on its first write`,
    );
    return lines;
  } finally {
    if (!options.client) await client.close().catch(() => undefined);
  }
}

function definition(product: SearchProduct): SinkDefinition<SearchSinkConfig> {
  return {
    type: product,
    defaultFormat: 'ecs',
    formats: SEARCH_FORMATS,
    configSchema: searchSinkSchema(product),
    create: (config, ctx) => createSearchSink(product, config, ctx),
    setup: (config, ctx, signal) => setupSearchSink(product, config, ctx, signal),
  };
}

/**
 * Elasticsearch 8/9 (`type: elasticsearch`).
 * @example sinks: [{ name: es, type: elasticsearch, url: https://es:9200, auth: { api_key: { env: ES_API_KEY } } }]
 */
export const elasticsearchSink: SinkDefinition<SearchSinkConfig> = definition('elasticsearch');

/**
 * OpenSearch 1.x-3.x (`type: opensearch`).
 * @example sinks: [{ name: os, type: opensearch, url: https://os:9200, auth: { username: atp, password: { env: OS_PASSWORD } } }]
 */
export const opensearchSink: SinkDefinition<SearchSinkConfig> = definition('opensearch');
