/**
 * The `elasticsearch` and `opensearch` sinks (docs/sinks/elasticsearch.md): one `_bulk` request per batch
 * of `create` actions with an idempotent `_id`, per-item results, and `setup` for the index template.
 * Elasticsearch goes through elasticsearch-js 8.19 (ES 8 and 9), OpenSearch through opensearch-js 3.
 */
import type { SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import { classifyBulk } from './bulk.js';
import {
  classifyFailure,
  createSearchClient,
  describeFailure,
  PRODUCT_NAMES,
  summarizeBody,
} from './client.js';
import { SEARCH_FORMATS, searchSinkSchema, type SearchProduct, type SearchSinkConfig } from './config.js';
import { bulkBody, targetResolver } from './documents.js';
import { probe } from './probe.js';
import { setupSearchSink } from './setup.js';

export type { SearchSinkConfig } from './config.js';
export { documentId } from './documents.js';
export { setupSearchSink } from './setup.js';

export interface SearchSinkOptions {
  /** Clock for `event.ingested` (tests). */
  now?: () => Date;
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
  const client = createSearchClient(product, config, ctx);
  const now = options.now ?? (() => new Date());
  const indexOf = targetResolver(config.index);
  const what = PRODUCT_NAMES[product];
  const url = config.urls[0] ?? '';
  const query = config.pipeline === undefined ? undefined : { pipeline: config.pipeline };
  let closed: Promise<void> | undefined;
  /** Set once the template is known to be there (or installing it is not ours to do). */
  let templateReady = config.template.install === 'never' || config.o365Compat;

  /**
   * Before the first bulk: installs the sink's index template when the cluster has none of that name (an
   * operator's own template of that name is left alone). A failure here is the send's answer, so the batch
   * waits instead of being indexed with dynamic mappings.
   */
  async function ensureTemplate(signal: AbortSignal): Promise<SendResult | undefined> {
    if (templateReady) return undefined;
    const path = `/_index_template/${encodeURIComponent(config.template.name)}`;
    try {
      await client.request({ method: 'GET', path }, signal);
      templateReady = true;
      return undefined;
    } catch (err) {
      const failure = describeFailure(err, signal, client.redact);
      if (!(failure.kind === 'response' && failure.status === 404))
        return classifyFailure(failure, product, url);
    }
    try {
      const lines = await setupSearchSink(product, config, ctx, signal);
      ctx.logger.info(
        { sink: config.name, template: config.template.name, lines },
        'Installed the index template.',
      );
      templateReady = true;
      return undefined;
    } catch (err) {
      const reason = client.redact(err instanceof Error ? err.message : String(err));
      return {
        outcome: 'retryable',
        reason: `installing index template ${config.template.name} failed: ${reason}`,
        blocked: true,
      };
    }
  }

  async function send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> {
    if (closed) return { outcome: 'retryable', reason: `sink ${config.name} is closed` };
    if (signal.aborted)
      return { outcome: 'retryable', reason: 'timed out (no answer within the sink timeout)' };
    const notReady = await ensureTemplate(signal);
    if (notReady) return redactResult(notReady, client.redact);
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
          : // Below 400 and not 2xx (a redirect, which neither client follows): the status table decides.
            classifyFailure(
              {
                kind: 'response',
                status: res.status,
                headers: res.headers,
                summary: client.redact(summarizeBody(res.body).summary),
                errorType: '',
              },
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
