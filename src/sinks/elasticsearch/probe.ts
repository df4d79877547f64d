/**
 * What healthcheck and setup share: `GET /` to learn the product and version, and failures turned into
 * the ConnectorError that says what to fix (credentials redacted).
 */
import { ConnectorError, clip } from '../../api/errors.js';
import { clipReason } from './bulk.js';
import { describeFailure, PRODUCT_NAMES, type Failure, type SearchClient } from './client.js';
import type { SearchProduct, SearchSinkConfig } from './config.js';

/** Turns a failure of healthcheck or setup into the ConnectorError that says what to fix. */
export function connectorError(
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

export interface RootInfo {
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
export async function probe(
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

export function redactError(err: ConnectorError, client: SearchClient): ConnectorError {
  const message = client.redact(err.message);
  return message === err.message
    ? err
    : new ConnectorError(err.code, message, {
        stage: err.stage,
        ...(err.httpStatus ? { httpStatus: err.httpStatus } : {}),
      });
}
