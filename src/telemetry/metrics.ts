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

/** Per-sink delivery metrics (labels: sink name, and a small fixed set of outcomes). */
export interface SinkMetrics {
  eventsDelivered: Counter<'sink'>;
  eventsRetried: Counter<'sink'>;
  eventsDeadLettered: Counter<'sink'>;
  eventsFiltered: Counter<'sink'>;
  batches: Counter<'sink' | 'outcome'>;
  lagEvents: Gauge<'sink'>;
  lagSeconds: Gauge<'sink'>;
  /** 0 closed, 1 half-open, 2 open, 3 blocked. */
  state: Gauge<'sink'>;
  retentionDropped: Counter<'sink'>;
  /** Records past retention kept because a sink has not delivered them (at the last retention run). */
  retentionHeld: Gauge;
  deliverySeconds: Histogram<'sink'>;
}

/**
 * The sink metrics, on the collector's registry (one /metrics for the whole service).
 * @example const sm = createSinkMetrics(metrics.registry); sm.eventsDelivered.inc({ sink: 'splunk' }, 500);
 */
export function createSinkMetrics(registry: Registry): SinkMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string): Gauge<'sink'> =>
    new Gauge({ name, help, labelNames: ['sink'], registers: [registry] });
  return {
    eventsDelivered: counter('atp_siem_sink_events_delivered_total', 'Events the SIEM acknowledged.', [
      'sink',
    ]),
    eventsRetried: counter(
      'atp_siem_sink_events_retried_total',
      'Events of failed attempts, sent again later.',
      ['sink'],
    ),
    eventsDeadLettered: counter(
      'atp_siem_sink_events_dead_lettered_total',
      'Events the SIEM refused for good, kept in the dead-letter table.',
      ['sink'],
    ),
    eventsFiltered: counter('atp_siem_sink_events_filtered_total', "Records left out by the sink's filter.", [
      'sink',
    ]),
    batches: counter('atp_siem_sink_batches_total', 'Batches sent, by outcome.', ['sink', 'outcome']),
    lagEvents: gauge('atp_siem_sink_lag_events', 'Records stored and not yet delivered by the sink.'),
    lagSeconds: gauge('atp_siem_sink_lag_seconds', 'Age of the oldest record the sink has not delivered.'),
    state: gauge(
      'atp_siem_sink_state',
      'Delivery state: 0 closed, 1 half-open, 2 open (backing off), 3 blocked.',
    ),
    retentionDropped: counter(
      'atp_siem_sink_retention_dropped_total',
      'Undelivered records deleted by the retention hard cap.',
      ['sink'],
    ),
    retentionHeld: new Gauge({
      name: 'atp_siem_retention_held_for_sinks',
      help: 'Records past retention kept because an enabled sink has not delivered them yet.',
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: 'atp_siem_sink_delivery_latency_seconds',
      help: 'From a record being stored to the SIEM acknowledging it.',
      labelNames: ['sink'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
  };
}
