/**
 * Prometheus metrics of the collector, on a registry of their own (not the
 * global one) so that several collectors in one process, as in tests, do not
 * collide. Labels come from small fixed sets: tenant id, content type, drop
 * reason, API operation, status, AF code.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface CollectorMetrics {
  registry: Registry;
  recordsStored: Counter<'tenant' | 'content_type'>;
  duplicatesSkipped: Counter<'tenant' | 'content_type'>;
  invalidRecords: Counter<'tenant' | 'content_type'>;
  blobsDelivered: Counter<'tenant' | 'content_type'>;
  blobsRetried: Counter<'tenant' | 'content_type'>;
  blobsDropped: Counter<'tenant' | 'content_type' | 'reason'>;
  windowsListed: Counter<'tenant' | 'content_type' | 'kind'>;
  blobsListed: Counter<'tenant' | 'content_type' | 'kind'>;
  apiRequests: Counter<'tenant' | 'operation' | 'status' | 'af_code'>;
  apiRequestSeconds: Histogram<'operation'>;
  lagSeconds: Gauge<'tenant' | 'content_type'>;
}

/**
 * Creates the collector's metrics.
 * @example const m = createMetrics(); m.recordsStored.inc({ tenant, content_type: 'Audit.General' }, 10);
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): CollectorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'atp_siem_' });
  const tc = ['tenant', 'content_type'] as const;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    recordsStored: counter('atp_siem_records_stored_total', 'Audit records newly stored.', tc),
    duplicatesSkipped: counter(
      'atp_siem_duplicates_skipped_total',
      'Records not stored again because their Id was already stored.',
      tc,
    ),
    invalidRecords: counter(
      'atp_siem_invalid_records_total',
      'Records stored but flagged as failing validation.',
      tc,
    ),
    blobsDelivered: counter('atp_siem_blobs_delivered_total', 'Content blobs fully stored.', tc),
    blobsRetried: counter(
      'atp_siem_blob_retries_total',
      'Blob fetches that failed and were scheduled again.',
      tc,
    ),
    blobsDropped: counter('atp_siem_blobs_dropped_total', 'Blobs given up, by reason.', [
      'tenant',
      'content_type',
      'reason',
    ]),
    windowsListed: counter('atp_siem_windows_listed_total', 'Listing windows completed (cursor or sweep).', [
      'tenant',
      'content_type',
      'kind',
    ]),
    blobsListed: counter(
      'atp_siem_blobs_listed_total',
      'Blobs newly entered in the ledger, by listing kind.',
      ['tenant', 'content_type', 'kind'],
    ),
    apiRequests: counter(
      'atp_siem_api_requests_total',
      'Management API requests, by operation and outcome.',
      ['tenant', 'operation', 'status', 'af_code'],
    ),
    apiRequestSeconds: new Histogram({
      name: 'atp_siem_api_request_duration_seconds',
      help: 'Management API request duration.',
      labelNames: ['operation'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'atp_siem_lag_seconds',
      help: 'Server now minus the newest contentCreated delivered.',
      labelNames: [...tc],
      registers: [registry],
    }),
  };
}
