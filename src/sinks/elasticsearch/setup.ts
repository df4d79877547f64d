/** `atp-siem sinks setup NAME` for the search sinks: the index template of the sink's target. */
import { ConnectorError } from '../../api/errors.js';
import type { SinkContext } from '../types.js';
import { createSearchClient, describeFailure, PRODUCT_NAMES, type SearchClient } from './client.js';
import type { SearchProduct, SearchSinkConfig } from './config.js';
import { templatePattern } from './documents.js';
import { connectorError, probe, redactError } from './probe.js';
import { indexTemplate } from './template.js';

/**
 * `atp-siem sinks setup NAME`: checks the cluster and installs the index template of the sink's target
 * (or, with o365_compat, checks that Elastic's o365 integration owns the target).
 */
export async function setupSearchSink(
  product: SearchProduct,
  config: SearchSinkConfig,
  ctx: SinkContext,
  signal: AbortSignal,
): Promise<string[]> {
  const client = createSearchClient(product, config, ctx);
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
    await client.close().catch(() => undefined);
  }
}
