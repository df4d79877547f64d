/**
 * The mapping half of the Elasticsearch/OpenSearch test server (test/servers/elasticsearch.ts): checks an
 * index template's shape the way the cluster does on PUT, and indexes one document source against a
 * mapping, with dynamic mapping, so type conflicts, `constant_keyword` mismatches and a missing data stream
 * `@timestamp` come back as the per-item errors the real product gives (spec siem-http-sinks.md §2.5, §3).
 *
 * Only what a sink can run into is modelled: field types and their value checks, dynamic `true`/`false`/
 * `strict`, date detection, object vs concrete value conflicts. Analysis, `copy_to`, runtime fields and the
 * total-fields limit are not.
 */
import { isIP } from 'node:net';

export type Flavor = 'elasticsearch' | 'opensearch';

/** One node of a mapping: a field (with `type`) or an object (with `properties`). */
export interface FieldMapping {
  type?: string;
  properties?: Record<string, FieldMapping>;
  dynamic?: boolean | 'true' | 'false' | 'strict' | 'runtime';
  value?: unknown;
  enabled?: boolean;
  ignore_above?: number;
  [param: string]: unknown;
}

/** An error the way the cluster writes it: `type`, `reason`, optionally `caused_by`. */
export interface EsError {
  type: string;
  reason: string;
  caused_by?: EsError;
  [key: string]: unknown;
}

export class EsFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: EsError,
  ) {
    super(error.reason);
  }
}

const COMMON_TYPES = [
  'keyword',
  'text',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'unsigned_long',
  'date',
  'date_nanos',
  'boolean',
  'ip',
  'object',
  'nested',
  'binary',
  'geo_point',
  'alias',
];
/** Field types per product; x-pack types are Elasticsearch only, `flat_object` is OpenSearch's (≥ 2.7). */
const TYPES: Record<Flavor, ReadonlySet<string>> = {
  elasticsearch: new Set([...COMMON_TYPES, 'constant_keyword', 'flattened', 'match_only_text', 'wildcard']),
  opensearch: new Set([...COMMON_TYPES, 'flat_object']),
};

const ROOT_KEYS = new Set([
  'properties',
  'dynamic',
  'dynamic_templates',
  'date_detection',
  'numeric_detection',
  'dynamic_date_formats',
  '_source',
  '_meta',
  '_routing',
  'runtime',
  'subobjects',
]);

/** Parameters a field or object mapping may carry (generous: the check is on types and structure). */
const FIELD_PARAMS = new Set([
  'type',
  'properties',
  'dynamic',
  'enabled',
  'fields',
  'index',
  'doc_values',
  'store',
  'meta',
  'copy_to',
  'ignore_above',
  'value',
  'format',
  'ignore_malformed',
  'null_value',
  'scaling_factor',
  'norms',
  'analyzer',
  'search_analyzer',
  'normalizer',
  'coerce',
  'depth_limit',
  'eager_global_ordinals',
  'index_options',
  'similarity',
  'include_in_parent',
  'include_in_root',
  'subobjects',
  'time_series_dimension',
  'path',
]);

const LEAF_WITH_PROPERTIES = new Set(['object', 'nested']);

function mapperError(reason: string): EsFailure {
  return new EsFailure(400, { type: 'mapper_parsing_exception', reason });
}

/**
 * Checks a `mappings` object as PUT _index_template does (throws EsFailure 400 mapper_parsing_exception).
 * @example checkMappings({ properties: { a: { type: 'kw' } } }, 'elasticsearch') // throws "No handler for type [kw] …"
 */
export function checkMappings(mappings: unknown, flavor: Flavor): void {
  if (mappings === undefined) return;
  if (!isObject(mappings)) throw mapperError('Failed to parse mapping: mappings must be an object');
  const unknown = Object.keys(mappings).filter((k) => !ROOT_KEYS.has(k));
  if (unknown.length > 0) {
    throw mapperError(
      `Root mapping definition has unsupported parameters:  [${unknown.map((k) => `${k} : ${JSON.stringify(mappings[k])}`).join('] [')}]`,
    );
  }
  checkProperties(mappings['properties'], '', flavor);
}

function checkProperties(properties: unknown, prefix: string, flavor: Flavor): void {
  if (properties === undefined) return;
  if (!isObject(properties)) throw mapperError(`Expected map for property [properties] on field [${prefix}]`);
  for (const [name, field] of Object.entries(properties)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (!isObject(field)) {
      throw mapperError(
        `Expected map for property [fields] on field [${path}] but got a class java.lang.String`,
      );
    }
    const type = typeof field['type'] === 'string' ? field['type'] : 'object';
    if (!TYPES[flavor].has(type)) {
      throw mapperError(`No handler for type [${type}] declared on field [${path}]`);
    }
    for (const key of Object.keys(field)) {
      if (!FIELD_PARAMS.has(key) || (key === 'properties' && !LEAF_WITH_PROPERTIES.has(type))) {
        throw mapperError(`unknown parameter [${key}] on mapper [${path}] of type [${type}]`);
      }
    }
    if (LEAF_WITH_PROPERTIES.has(type)) checkProperties(field['properties'], path, flavor);
  }
}

/** The mapping of one field path (dots walk `properties`), or undefined. */
export function mappingAt(root: FieldMapping, path: string): FieldMapping | undefined {
  let node: FieldMapping | undefined = root;
  for (const part of path.split('.')) {
    node = node?.properties?.[part];
    if (node === undefined) return undefined;
  }
  return node;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Do two index patterns (`*` wildcards only) match a common name? Both are walked together: a literal
 * must meet the same literal or a `*`, a `*` may stop or eat one character of the other side.
 * @example patternsOverlap('logs-*-*', 'logs-atp_siem.defender-*') // true
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Set<string>();
  const walk = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    if (a[i] === '*' && walk(i + 1, j)) return true;
    if (b[j] === '*' && walk(i, j + 1)) return true;
    if (i === a.length || j === b.length) return false;
    const x = a[i];
    const y = b[j];
    if (x !== '*' && y !== '*') return x === y && walk(i + 1, j + 1);
    if (x === '*' && y !== '*') return walk(i, j + 1);
    if (x !== '*' && y === '*') return walk(i + 1, j);
    return false;
  };
  return walk(0, 0);
}

/** Does a name match a `*` pattern? */
export function patternMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return re.test(name);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `strict_date_optional_time` (at least a full date; a bare year is not detected dynamically, INF). */
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_PARAM = /^\d{4}(?:-\d{2}(?:-\d{2})?)?/;

function isDateValue(v: unknown, strict: boolean): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (typeof v !== 'string') return false;
  if (/^-?\d+$/.test(v)) return !strict; // epoch_millis as a string
  return (strict ? ISO_DATE.test(v) : DATE_PARAM.test(v) && ISO_DATE.test(v)) && !Number.isNaN(Date.parse(v));
}

/** What indexing one document needs to know about its index. */
export interface IndexContext {
  flavor: Flavor;
  /** The index's mapping (root object); dynamic additions are written into it. */
  mapping: FieldMapping;
  /** Unmapped strings become `keyword` (the built-in logs template's ECS dynamic templates) or `text`. */
  dynamicStrings: 'keyword' | 'text';
  docId: string;
  /** The source text (for the `[line:column]` position ES puts in front of a parse reason). */
  sourceText: string;
  /** Data stream backing index: `@timestamp` is required. */
  dataStream: boolean;
}

/** One assignment made to a mapping while a document is indexed, to undo if the document fails. */
interface Undo {
  node: Record<string, unknown>;
  key: string;
  had: boolean;
  before: unknown;
}

/** An IndexContext while one document is walked: its mapping changes so far, in order. */
interface WalkContext extends IndexContext {
  undo: Undo[];
}

/** Sets `node[key]` and journals what was there, so a failing document can take it back. */
function assign(ctx: WalkContext, node: object, key: string, value: unknown): void {
  const target = node as Record<string, unknown>;
  ctx.undo.push({ node: target, key, had: Object.hasOwn(target, key), before: target[key] });
  target[key] = value;
}

/**
 * Indexes one parsed source against the mapping: throws EsFailure (400) the way a shard answers a bad
 * document; on success the mapping holds any dynamically added fields.
 */
export function indexDocument(source: unknown, ctx: IndexContext): void {
  if (!isObject(source)) {
    throw parseFailure(ctx, 1, 'failed to parse', {
      type: 'not_x_content_exception',
      reason: 'Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes',
    });
  }
  // A failing document leaves no dynamic mapping behind (ES drops the update too): the walk changes the
  // mapping in place and journals each change, and a failure undoes them, newest first. (Cloning the whole
  // mapping for each document did the same at many times the cost: a full ECS template is large.)
  const walk: WalkContext = { ...ctx, undo: [] };
  try {
    walkObject(source, ctx.mapping, '', walk);
    if (ctx.dataStream) {
      const ts = source['@timestamp'];
      if (ts === undefined || ts === null) {
        throw parseFailure(
          ctx,
          ctx.sourceText.length,
          'failed to parse: data stream timestamp field [@timestamp] is missing',
        );
      }
    }
  } catch (err) {
    for (let i = walk.undo.length - 1; i >= 0; i--) {
      const { node, key, had, before } = walk.undo[i] as Undo;
      if (had) node[key] = before;
      else delete node[key];
    }
    throw err;
  }
}

function column(ctx: IndexContext, field: string): number {
  const last = field.split('.').pop() ?? field;
  const at = ctx.sourceText.indexOf(`"${last}"`);
  return at < 0 ? 1 : at + last.length + 3;
}

function parseFailure(ctx: IndexContext, col: number, reason: string, cause?: EsError): EsFailure {
  // ES 8/9 say document_parsing_exception with a [line:column] prefix; 7.x and OpenSearch say
  // mapper_parsing_exception without it (spec §2.5 table, §3: INF for OpenSearch 2.x/3.x).
  const error: EsError =
    ctx.flavor === 'elasticsearch'
      ? { type: 'document_parsing_exception', reason: `[1:${col}] ${reason}` }
      : { type: 'mapper_parsing_exception', reason };
  if (cause) error.caused_by = cause;
  return new EsFailure(400, error);
}

function preview(v: unknown): string {
  if (isObject(v)) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${typeof x === 'object' ? '…' : String(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function fieldFailure(ctx: IndexContext, path: string, type: string, v: unknown, cause: EsError): EsFailure {
  return parseFailure(
    ctx,
    column(ctx, path),
    `failed to parse field [${path}] of type [${type}] in document with id '${ctx.docId}'. Preview of field's value: '${preview(v)}'`,
    cause,
  );
}

function dynamicOf(node: FieldMapping, inherited: FieldMapping['dynamic']): FieldMapping['dynamic'] {
  return node.dynamic ?? inherited;
}

function walkObject(
  obj: Record<string, unknown>,
  node: FieldMapping,
  prefix: string,
  ctx: WalkContext,
  inherited: FieldMapping['dynamic'] = true,
): void {
  const dynamic = dynamicOf(node, inherited);
  for (const [rawKey, value] of Object.entries(obj)) {
    if (rawKey.trim() === '') {
      throw parseFailure(ctx, column(ctx, rawKey), 'failed to parse', {
        type: 'illegal_argument_exception',
        reason: 'field name cannot be an empty string',
      });
    }
    // A dotted key is a path, as if its parts were nested objects.
    const parts = rawKey.split('.');
    let target = node;
    let path = prefix;
    let dyn = dynamic;
    for (const part of parts.slice(0, -1)) {
      path = path === '' ? part : `${path}.${part}`;
      if (target.properties === undefined || target.properties === null)
        assign(ctx, target, 'properties', {});
      const properties = target.properties as Record<string, FieldMapping>;
      let child = properties[part];
      if (child === undefined) {
        if (!addable(dyn, path, ctx)) {
          target = { dynamic: false };
          dyn = false;
          continue;
        }
        child = { properties: {} };
        assign(ctx, properties, part, child);
      }
      dyn = dynamicOf(child, dyn);
      target = child;
    }
    const last = parts[parts.length - 1] ?? rawKey;
    indexValue(value, target, last, path === '' ? last : `${path}.${last}`, ctx, dyn);
  }
}

function addable(dynamic: FieldMapping['dynamic'], path: string, ctx: IndexContext): boolean {
  if (dynamic === 'strict') {
    const parentPath = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '_doc';
    throw new EsFailure(400, {
      type: 'strict_dynamic_mapping_exception',
      reason: `[1:${column(ctx, path)}] mapping set to strict, dynamic introduction of [${path.split('.').pop()}] within [${parentPath}] is not allowed`,
    });
  }
  return dynamic !== false && dynamic !== 'false';
}

function indexValue(
  value: unknown,
  parent: FieldMapping,
  name: string,
  path: string,
  ctx: WalkContext,
  dynamic: FieldMapping['dynamic'],
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) indexValue(item, parent, name, path, ctx, dynamic);
    return;
  }
  if (parent.properties === undefined || parent.properties === null) assign(ctx, parent, 'properties', {});
  const properties = parent.properties as Record<string, FieldMapping>;
  let field = properties[name];
  if (field === undefined) {
    if (parent.enabled === false || !addable(dynamic, path, ctx)) return;
    field = dynamicMapping(value, ctx);
    assign(ctx, properties, name, field);
  }
  const type = field.type ?? 'object';
  if (type === 'object' || type === 'nested') {
    if (!isObject(value)) {
      throw parseFailure(
        ctx,
        column(ctx, path),
        `object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`,
      );
    }
    if (field.enabled === false) return;
    walkObject(value, field, path, ctx, dynamicOf(field, dynamic));
    return;
  }
  checkLeaf(value, field, type, path, ctx);
}

function dynamicMapping(value: unknown, ctx: IndexContext): FieldMapping {
  if (isObject(value)) return { properties: {} };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'long' : 'float' };
  // Date detection is on unless the root mapping turns it off (`date_detection: false`).
  const detect = ctx.mapping['date_detection'] !== false;
  if (detect && typeof value === 'string' && isDateValue(value, true) && !/^-?\d+$/.test(value)) {
    return { type: 'date' };
  }
  return ctx.dynamicStrings === 'keyword'
    ? { type: 'keyword', ignore_above: 1024 }
    : { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
}

function checkLeaf(value: unknown, field: FieldMapping, type: string, path: string, ctx: WalkContext): void {
  const objectValue = isObject(value);
  switch (type) {
    case 'flattened':
    case 'flat_object':
      return;
    case 'keyword':
    case 'wildcard':
    case 'text':
    case 'match_only_text':
      if (objectValue) {
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_state_exception',
          reason: `Can't get text on a START_OBJECT at 1:${column(ctx, path)}`,
        });
      }
      return;
    case 'constant_keyword': {
      if (objectValue)
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_argument_exception',
          reason: 'expected a string',
        });
      const text = String(value);
      if (field.value === undefined) {
        assign(ctx, field, 'value', text); // the first document fixes an unset value (a mapping update)
      } else if (field.value !== text) {
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_argument_exception',
          reason: `[constant_keyword] field [${path}] only accepts values that are equal to the value defined in the mappings [${String(field.value)}], but got [${text}]`,
        });
      }
      return;
    }
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'unsigned_long':
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (objectValue || typeof value === 'boolean' || value === '' || !Number.isFinite(n)) {
        throw fieldFailure(ctx, path, type, value, {
          type: objectValue ? 'illegal_state_exception' : 'number_format_exception',
          reason: objectValue ? `Can't get text on a START_OBJECT` : `For input string: "${String(value)}"`,
        });
      }
      return;
    }
    case 'date':
    case 'date_nanos':
      if (!isDateValue(value, false)) {
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_argument_exception',
          reason: `failed to parse date field [${preview(value)}] with format [strict_date_optional_time||epoch_millis]`,
        });
      }
      return;
    case 'ip':
      if (typeof value !== 'string' || isIP(value) === 0) {
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_argument_exception',
          reason: `'${preview(value)}' is not an IP string literal.`,
        });
      }
      return;
    case 'boolean':
      if (!(typeof value === 'boolean' || value === 'true' || value === 'false' || value === '')) {
        throw fieldFailure(ctx, path, type, value, {
          type: 'illegal_argument_exception',
          reason: `Failed to parse value [${preview(value)}] as only [true] or [false] are allowed.`,
        });
      }
      return;
    default:
      return;
  }
}
