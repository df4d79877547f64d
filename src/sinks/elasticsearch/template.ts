/**
 * The index template `atp-siem sinks setup NAME` installs: a data stream template over the sink's target
 * whose mappings type every field our formats emit (src/formats/ecs.ts), so `source.ip` is an `ip`,
 * `event.start` a `date` and `file.size` a `long` from the first document, instead of whatever dynamic
 * mapping guesses from it. Priority 250 by default: above the built-in `logs-*-*` (100), which would
 * otherwise create the data stream with dynamic mappings, and above Fleet's templates (≤ 200); spec §2.7.
 *
 * The ECS template maps with `dynamic: false`: a field this table does not know is kept in `_source` but
 * never mapped from a guess, so a later record with another type there is not rejected. A test encodes
 * every record fixture and checks every emitted field is mapped here, so the table stays complete.
 */
import type { FormatId } from '../../formats/index.js';
import type { SearchProduct } from './config.js';
import { dataStreamParts, RECORD_TYPE_PLACEHOLDER, templatePattern } from './documents.js';

/** Field types used in the table; `text`/`wildcard`/`flattened`/`constant_keyword` are translated for OpenSearch. */
export type FieldType =
  | 'keyword'
  | 'text'
  | 'wildcard'
  | 'long'
  | 'float'
  | 'date'
  | 'ip'
  | 'flattened'
  | 'constant_keyword'
  | 'nested'
  | 'stored';

/** `[path, type]`; a `nested` entry declares an array of objects whose fields follow with the full path. */
export type FieldTable = readonly (readonly [string, FieldType])[];

const KEYWORDS = (prefix: string, names: string[]) =>
  names.map((n) => [`${prefix}.${n}`, 'keyword'] as const);

const FILE_FIELDS = (prefix: string): FieldTable => [
  ...KEYWORDS(prefix, ['name', 'extension', 'owner', 'hash.sha256']),
  [`${prefix}.path`, 'wildcard'],
  [`${prefix}.size`, 'long'],
  [`${prefix}.mtime`, 'date'],
];

const URL_FIELDS = (prefix: string): FieldTable => [
  [`${prefix}.original`, 'wildcard'],
  [`${prefix}.full`, 'wildcard'],
  [`${prefix}.path`, 'wildcard'],
  ...KEYWORDS(prefix, ['scheme', 'domain', 'query', 'fragment']),
  [`${prefix}.port`, 'long'],
];

/**
 * Every field the ECS format (src/formats/ecs.ts) writes, with its ECS type (ECS 9.4.0, the same as 8.11 for
 * these fields; a test checks each against src/formats/standards/ecs-fields.ts, generated from ECS itself).
 */
export const ECS_FIELDS: FieldTable = [
  ['@timestamp', 'date'],
  ['message', 'text'],
  ['tags', 'keyword'],
  ['ecs.version', 'keyword'],
  ...KEYWORDS('event', [
    'id',
    'kind',
    'category',
    'type',
    'action',
    'outcome',
    'code',
    'provider',
    'dataset',
    'module',
  ]),
  ['event.severity', 'long'],
  ['event.risk_score', 'float'],
  ['event.url', 'keyword'],
  ['event.reference', 'keyword'],
  ['event.start', 'date'],
  ['event.end', 'date'],
  ['event.ingested', 'date'],
  ['event.original', 'stored'],
  ['error.message', 'text'],
  ['error.type', 'keyword'],
  ['organization.id', 'keyword'],
  ['host.id', 'keyword'],
  ['observer.vendor', 'keyword'],
  ['observer.product', 'keyword'],
  ...KEYWORDS('user', ['id', 'name', 'domain', 'email']),
  ['source.ip', 'ip'],
  ['source.port', 'long'],
  ['client.ip', 'ip'],
  ['client.address', 'keyword'],
  ['client.port', 'long'],
  ...KEYWORDS('email', [
    'local_id',
    'message_id',
    'subject',
    'direction',
    'from.address',
    'sender.address',
    'to.address',
  ]),
  ['email.delivery_timestamp', 'date'],
  ['email.attachments', 'nested'],
  ...KEYWORDS('email.attachments', [
    'file.name',
    'file.extension',
    'file.hash.sha256',
    'file.hash.sha1',
    'file.hash.md5',
  ]),
  ...URL_FIELDS('url'),
  ...FILE_FIELDS('file'),
  ['threat.framework', 'keyword'],
  ...KEYWORDS('threat.technique', ['id', 'name', 'reference']),
  ...KEYWORDS('threat.tactic', ['id', 'name', 'reference']),
  ...KEYWORDS('threat.software', ['name', 'type', 'alias']),
  ...KEYWORDS('threat.indicator', ['type', 'provider', 'confidence', 'description', 'email.address']),
  ['threat.indicator.ip', 'ip'],
  ...URL_FIELDS('threat.indicator.url'),
  ...FILE_FIELDS('threat.indicator.file'),
  ...KEYWORDS('rule', ['name', 'id', 'description', 'category', 'ruleset']),
  ['threat.enrichments', 'nested'],
  ...KEYWORDS('threat.enrichments', [
    'indicator.type',
    'indicator.provider',
    'indicator.description',
    'indicator.email.address',
    'indicator.file.name',
    'indicator.file.hash.sha256',
    'indicator.file.hash.sha1',
    'indicator.file.hash.md5',
    'matched.atomic',
    'matched.field',
    'matched.type',
  ]),
  ['threat.enrichments.indicator.ip', 'ip'],
  ...URL_FIELDS('threat.enrichments.indicator.url'),
  ['network.type', 'keyword'],
  ['related.ip', 'ip'],
  ['related.user', 'keyword'],
  ['related.hash', 'keyword'],
  ['related.hosts', 'keyword'],
  ...KEYWORDS('atp_siem', [
    'action',
    'disposition',
    'links',
    'investigation.id',
    'investigation.type',
    'investigation.status',
    'invalid_fields',
    'investigation.name',
    'investigation.network_message_ids',
    'investigation.urls',
    'investigation.malware_families',
  ]),
  // Investigation evidence (src/formats/ecs/investigation.ts). Times stay keyword: they are written as received.
  ['atp_siem.investigation.url_entities.url', 'wildcard'],
  ['atp_siem.investigation.url_entities.click_count', 'long'],
  ['atp_siem.investigation.url_entities.email_count', 'long'],
  ...KEYWORDS('atp_siem.investigation.mails', [
    'network_message_id',
    'internet_message_id',
    'sender',
    'p1_sender',
    'p1_sender_domain',
    'p2_sender',
    'p2_sender_display_name',
    'p2_sender_domain',
    'sender_ip',
    'recipient',
    'received_time',
    'direction',
    'delivery_action',
    'delivery_location',
    'original_delivery_location',
    'threats',
    'detection_methods',
    'urls',
    'file_names',
    'urn',
    'subject',
  ]),
  ...KEYWORDS('atp_siem.investigation.clusters', [
    'query',
    'query_time',
    'network_message_ids',
    'threats',
    'source_type',
    'cluster_by',
    'cluster_by_value',
    'urn',
  ]),
  ['atp_siem.investigation.clusters.mail_count', 'long'],
  // Keys are Microsoft's names (Phish, Malware, Delivered, …).
  ['atp_siem.investigation.clusters.count_by_threat_type', 'flattened'],
  ['atp_siem.investigation.clusters.count_by_delivery_status', 'flattened'],
  ['atp_siem.investigation.clusters.count_by_delivery_location', 'flattened'],
  ...KEYWORDS('atp_siem.investigation.actions', [
    'id',
    'type',
    'status',
    'approval',
    'approved_by',
    'pending_type',
    'description',
    'target_types',
    'mailboxes',
    'network_message_ids',
    'urls',
    'related_alert_ids',
    'start_time',
    'end_time',
  ]),
  // The record as received, shaped as Elastic's integration stores it: any key, any type per record.
  ['o365.audit', 'flattened'],
];

/** The raw format's document: the record under `o365audit` (sinks/elasticsearch/documents.ts). */
export const RAW_FIELDS: FieldTable = [
  ['@timestamp', 'date'],
  ['message', 'text'],
  ['tags', 'keyword'],
  ['event.ingested', 'date'],
  ['o365audit', 'flattened'],
];

/** OCSF: the time and Microsoft's own fields (`unmapped`, any type) pinned; the rest mapped dynamically. */
export const OCSF_FIELDS: FieldTable = [
  ['@timestamp', 'date'],
  ['time', 'date'],
  ['unmapped', 'flattened'],
  ['raw_data', 'stored'],
];

export const FIELD_TABLES: Record<'ecs' | 'ocsf' | 'raw', FieldTable> = {
  ecs: ECS_FIELDS,
  ocsf: OCSF_FIELDS,
  raw: RAW_FIELDS,
};

export interface MappingNode {
  type?: string;
  properties?: Record<string, MappingNode>;
  [param: string]: unknown;
}

export interface TemplateTarget {
  product: SearchProduct;
  /** `version.number` of the cluster (OpenSearch has `flat_object` from 2.7). */
  version: string;
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  return a > major || (a === major && b >= minor);
}

/** The mapping of one table type on this product. */
function fieldMapping(type: FieldType, target: TemplateTarget, value?: string): MappingNode {
  const es = target.product === 'elasticsearch';
  switch (type) {
    case 'keyword':
      return { type: 'keyword', ignore_above: 1024 };
    case 'text':
      return es ? { type: 'match_only_text' } : { type: 'text' };
    case 'wildcard':
      // ECS types URLs and paths `wildcard` (no length limit); OpenSearch before 2.15 has none: keyword.
      return es ? { type: 'wildcard' } : { type: 'keyword', ignore_above: 8191 };
    case 'long':
    case 'float':
    case 'date':
    case 'ip':
    case 'nested':
      return { type };
    case 'stored':
      // Kept for reading, not searched (ECS: event.original is not indexed).
      return { type: 'keyword', index: false, doc_values: false };
    case 'flattened':
      // Leaves longer than 8191 characters are kept in _source only (a Lucene term is at most 32766 bytes).
      if (es) return { type: 'flattened', ignore_above: 8191 };
      return atLeast(target.version, 2, 7) ? { type: 'flat_object' } : { type: 'object', enabled: false };
    case 'constant_keyword':
      if (!es) return { type: 'keyword' };
      return value === undefined ? { type: 'constant_keyword' } : { type: 'constant_keyword', value };
  }
}

/**
 * Nested `properties` from a field table.
 * @example buildProperties([['a.b', 'ip']], target) // { a: { properties: { b: { type: 'ip' } } } }
 */
export function buildProperties(
  table: FieldTable,
  target: TemplateTarget,
  values: Record<string, string> = {},
): Record<string, MappingNode> {
  const root: MappingNode = { properties: {} };
  for (const [path, type] of table) {
    const parts = path === '@timestamp' ? ['@timestamp'] : path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node.properties ??= {};
      node = node.properties[part] ??= {};
    }
    const last = parts[parts.length - 1] as string;
    node.properties ??= {};
    const existing = node.properties[last];
    node.properties[last] = {
      ...fieldMapping(type, target, values[path]),
      ...(existing?.properties ? { properties: existing.properties } : {}),
    };
  }
  return root.properties ?? {};
}

/** The data_stream.* fields: type and dataset fixed by the target (unless `{record_type}` varies it). */
function dataStreamTable(index: string): { table: FieldTable; values: Record<string, string> } {
  const ds = dataStreamParts(index);
  const table: FieldTable = [
    ['data_stream.type', 'constant_keyword'],
    ['data_stream.dataset', 'constant_keyword'],
    ['data_stream.namespace', 'constant_keyword'],
  ];
  const values: Record<string, string> = {};
  if (ds) {
    values['data_stream.type'] = ds.type;
    if (!ds.dataset.includes(RECORD_TYPE_PLACEHOLDER)) values['data_stream.dataset'] = ds.dataset;
  }
  return { table, values };
}

/**
 * The body of `PUT _index_template/<name>` for a sink's target and format.
 * @example indexTemplate({ index: 'logs-atp_siem.defender-default', format: 'ecs', priority: 250 }, { product: 'elasticsearch', version: '8.19.0' })
 */
export function indexTemplate(
  sink: { index: string; format: FormatId; priority: number },
  target: TemplateTarget,
): Record<string, unknown> {
  const format = sink.format === 'ocsf' || sink.format === 'raw' ? sink.format : 'ecs';
  const ds = dataStreamTable(sink.index);
  const properties = buildProperties([...FIELD_TABLES[format], ...ds.table], target, ds.values);
  return {
    index_patterns: [templatePattern(sink.index)],
    data_stream: {},
    priority: sink.priority,
    _meta: {
      managed_by: 'atp-siem',
      format,
      description: 'Microsoft Defender for Office 365 events from atp-siem',
    },
    template: {
      mappings: {
        // OCSF's own fields are many and stable in type: mapped as they come. ECS and raw: the table only.
        dynamic: format === 'ocsf',
        date_detection: false,
        properties,
      },
    },
  };
}

/**
 * Whether a leaf path of a document has a mapping: a typed field, or a path under a `flattened`-like
 * object. For tests of the table against the encoders' real output.
 */
export function isMapped(properties: Record<string, MappingNode>, path: string): boolean {
  const parts = path.split('.');
  let nodes: Record<string, MappingNode> | undefined = properties;
  for (let i = 0; i < parts.length; i++) {
    const key = i === 0 && path.startsWith('@timestamp') ? '@timestamp' : (parts[i] as string);
    const node: MappingNode | undefined = nodes?.[key];
    if (!node) return false;
    const type = node.type ?? 'object';
    if (type === 'flattened' || type === 'flat_object') return true;
    if (type !== 'object' && type !== 'nested') return i === parts.length - 1;
    nodes = node.properties;
  }
  return false;
}
