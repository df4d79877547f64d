/**
 * From encoded events to `_bulk` lines: where each document goes (the target, with `{record_type}`), its
 * `_id`, and the document itself with what a data stream needs (`@timestamp`, `data_stream.*`) and what
 * detection rules read for late records (`event.ingested`).
 */
import { createHash } from 'node:crypto';
import { RECORD_TYPE_NAMES } from '../../schema/index.js';
import type { SinkEvent } from '../types.js';

/** Where documents go by default: a data stream of our own, mapped by our template (spec §4 mode b). */
export const DEFAULT_INDEX = 'logs-atp_siem.defender-default';
/** The data stream Elastic's o365 integration reads (spec §4 mode a). */
export const O365_COMPAT_INDEX = 'logs-o365.audit-default';
export const RECORD_TYPE_PLACEHOLDER = '{record_type}';

const DATA_STREAM_TYPES = new Set(['logs', 'metrics', 'traces', 'synthetics']);

export interface DataStreamParts {
  type: string;
  dataset: string;
  namespace: string;
}

/**
 * The parts of a name written the data stream way, `<type>-<dataset>-<namespace>` with a known type
 * (spec §2.7, D-ECSDS); undefined for any other index name.
 * @example dataStreamParts('logs-atp_siem.defender-default') // { type: 'logs', dataset: 'atp_siem.defender', namespace: 'default' }
 */
export function dataStreamParts(name: string): DataStreamParts | undefined {
  const [type, ...rest] = name.split('-');
  if (type === undefined || !DATA_STREAM_TYPES.has(type) || rest.length !== 2) return undefined;
  const [dataset, namespace] = rest as [string, string];
  return { type, dataset, namespace };
}

/**
 * What is wrong with an index or data stream name (placeholders filled in), or undefined when it is valid.
 * @example checkIndexName('Logs-x-y') // 'an index name is lowercase: …'
 */
export function checkIndexName(pattern: string): string | undefined {
  const name = pattern.replaceAll(RECORD_TYPE_PLACEHOLDER, 'threatintelligence');
  if (/[{}]/.test(name)) return `the only placeholder in index is ${RECORD_TYPE_PLACEHOLDER}`;
  if (name !== name.toLowerCase()) return `an index name is lowercase: write ${pattern.toLowerCase()}`;
  if (/[\\/*?"<>| ,#:]/.test(name)) return 'an index name cannot hold \\ / * ? " < > | , # : or spaces';
  if (/^[-_+.]/.test(name)) return 'an index name cannot start with -, _, + or .';
  if (Buffer.byteLength(name) > 255) return 'an index name is at most 255 bytes';
  const type = name.split('-')[0] ?? '';
  if (DATA_STREAM_TYPES.has(type)) {
    const ds = dataStreamParts(name);
    if (!ds) {
      return `a data stream name is ${type}-<dataset>-<namespace> and neither dataset nor namespace may hold "-" (such as ${DEFAULT_INDEX})`;
    }
    if (ds.dataset === '' || ds.namespace === '')
      return 'the dataset and namespace of a data stream name cannot be empty';
    if (ds.dataset.length > 100 || ds.namespace.length > 100) {
      return 'the dataset and namespace of a data stream name are at most 100 characters each';
    }
  }
  return undefined;
}

/**
 * The `{record_type}` token of a record: its RecordType name in lowercase (`threatintelligence`,
 * `threatintelligenceurl`, `airinvestigation`), valid inside a data stream dataset (no `-`).
 */
export function recordTypeToken(recordType: number | null): string {
  if (recordType === null) return 'unknown';
  const name = RECORD_TYPE_NAMES[recordType];
  return name ? name.toLowerCase().replace(/[^a-z0-9_]/g, '') : `type${recordType}`;
}

/**
 * A document `_id` from (tenant, record Id): the same record always gets the same id, so `create` answers
 * 409 for a re-delivery instead of storing it twice. 128 bits of SHA-256, hex.
 */
export function documentId(tenantId: string, recordId: string): string {
  return createHash('sha256').update(tenantId).update('\n').update(recordId).digest('hex').slice(0, 32);
}

export interface DocumentContext {
  /** ISO time of this send: `event.ingested`, and `@timestamp` of a record without a time. */
  now: string;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function ocsfTime(doc: Record<string, unknown>): string | undefined {
  const t = doc['time'];
  return typeof t === 'number' && Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/**
 * The document stored for one event. Every document is parsed and written again by JSON.stringify, so no
 * text of a record (a raw record can be pretty-printed) can break the NDJSON framing.
 *
 * - ecs: the ECS document, `@timestamp` filled when the record has no valid time, `event.ingested` added;
 * - ocsf: the OCSF event with `@timestamp` (from `time`) in front;
 * - raw: `{"@timestamp", "o365audit": <record>}`, the shape Elastic's o365 pipeline takes (spec §4);
 *   a record that is not a JSON object goes to `message` whole.
 * A data stream name adds `data_stream.{type,dataset,namespace}` (spec §2.7).
 */
export function toDocument(event: SinkEvent, index: string, ctx: DocumentContext): string {
  const fallbackTime = event.creationTime ?? ctx.now;
  let doc: Record<string, unknown>;
  const parsed = parseObject(event.payload);
  if (event.format === 'raw') {
    doc = parsed
      ? { '@timestamp': fallbackTime, o365audit: parsed, event: { ingested: ctx.now } }
      : {
          '@timestamp': fallbackTime,
          message: event.payload,
          event: { ingested: ctx.now },
          tags: ['atp-siem', 'atp-siem-invalid-record'],
        };
  } else if (event.format === 'ocsf') {
    doc = { '@timestamp': ocsfTime(parsed ?? {}) ?? fallbackTime, ...(parsed ?? { message: event.payload }) };
  } else {
    const base = parsed ?? { message: event.payload };
    doc = { '@timestamp': fallbackTime, ...base };
    const ev = base['event'];
    doc['event'] = {
      ...(typeof ev === 'object' && ev !== null && !Array.isArray(ev) ? ev : {}),
      ingested: ctx.now,
    };
  }
  const ds = dataStreamParts(index);
  if (ds) doc['data_stream'] = { type: ds.type, dataset: ds.dataset, namespace: ds.namespace };
  return JSON.stringify(doc);
}

/**
 * The `_bulk` body of a batch: a `create` action and a document per event, every line ending in `\n`
 * (the last too: spec §2.5).
 */
export function bulkBody(
  batch: readonly SinkEvent[],
  indexOf: (e: SinkEvent) => string,
  ctx: DocumentContext,
): string {
  const lines: string[] = [];
  for (const e of batch) {
    const index = indexOf(e);
    lines.push(JSON.stringify({ create: { _index: index, _id: documentId(e.tenantId, e.id) } }));
    lines.push(toDocument(e, index, ctx));
  }
  return `${lines.join('\n')}\n`;
}

/** Resolves the configured target per record type (cached: a handful of record types per tenant). */
export function targetResolver(pattern: string): (e: SinkEvent) => string {
  if (!pattern.includes(RECORD_TYPE_PLACEHOLDER)) return () => pattern;
  const cache = new Map<number | null, string>();
  return (e) => {
    let name = cache.get(e.recordType);
    if (name === undefined) {
      name = pattern.replaceAll(RECORD_TYPE_PLACEHOLDER, recordTypeToken(e.recordType));
      cache.set(e.recordType, name);
    }
    return name;
  };
}

/**
 * The index pattern a template must match for a target: a data stream's every namespace
 * (`logs-atp_siem.defender-*`), `{record_type}` as `*`.
 */
export function templatePattern(pattern: string): string {
  const ds = dataStreamParts(pattern);
  const base = ds ? `${ds.type}-${ds.dataset}-*` : pattern;
  return base.replaceAll(RECORD_TYPE_PLACEHOLDER, '*');
}
