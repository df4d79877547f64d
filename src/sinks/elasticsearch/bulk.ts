/**
 * What a `_bulk` answer means for each event (spec §2.5): items come back in request order, one per action.
 *
 * - 201/200: delivered; 409 `version_conflict_engine_exception`: delivered before (our `_id` is a hash of
 *   tenant and record Id, so the conflict is the same record);
 * - 429, 5xx, 408: retry that item alone;
 * - errors that come from the target's configuration, not from the document (only `create` allowed,
 *   a `constant_keyword` that holds another value, a missing index or pipeline, no write permission):
 *   every document bound there would fail the same way, so dead-lettering them would empty the stream
 *   into the dead-letter table while the operator is away. The whole batch is answered `retryable` +
 *   `blocked` instead: the data is kept, the stream shows blocked with ES's reason, and once the
 *   configuration is fixed the batch is sent again; items that had landed answer 409, i.e. delivered.
 *   (A rollover between the two sends would store those twice: 409 guards one backing index, spec §2.7.)
 * - any other item error (mapping and parse errors): rejected with ES's `type: reason`.
 */
import { clip } from '../../api/errors.js';
import type { EventResult, SendResult } from '../types.js';

interface ItemError {
  type?: unknown;
  reason?: unknown;
  caused_by?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `clip()` (control characters out, whitespace folded) for texts longer than its 300 characters: ES
 * reasons put the decisive part (the `caused_by`, the clashing priority) past that. Clipped a few words
 * at a time, so nothing is cut inside a word, up to `max` characters.
 */
export function clipReason(text: string, max = 600): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const chunks: string[] = [];
  let chunk = '';
  let length = 0;
  for (const word of words) {
    if (length + word.length > max) {
      chunk += ' ...';
      break;
    }
    if (chunk.length + word.length + 1 > 280) {
      chunks.push(clip(chunk));
      chunk = '';
    }
    chunk = chunk === '' ? word : `${chunk} ${word}`;
    length += word.length + 1;
  }
  if (chunk !== '') chunks.push(clip(chunk));
  return chunks.join(' ');
}

/** `type: reason`, with the first cause (ES puts the useful half of a parse error there). */
export function describeEsError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (!isRecord(error)) return 'no error detail';
  const e = error as ItemError;
  const head = `${String(e.type ?? 'error')}: ${String(e.reason ?? '')}`.trim();
  const cause = isRecord(e.caused_by) ? (e.caused_by as ItemError) : undefined;
  return cause ? `${head} (caused by ${String(cause.type ?? 'error')}: ${String(cause.reason ?? '')})` : head;
}

const CONFIG_REASONS = [
  /only write ops with an op_type of create are allowed in data streams/,
  /\[constant_keyword\] field \[[^\]]*\] only accepts values/,
  /pipeline with id \[[^\]]*\] does not exist/,
];
const CONFIG_TYPES = new Set([
  'index_not_found_exception',
  'security_exception',
  'invalid_index_name_exception',
  'index_closed_exception',
]);

type ItemVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'blocked'; reason: string };

function judgeItem(item: unknown): ItemVerdict {
  const body = isRecord(item) ? Object.values(item)[0] : undefined;
  if (!isRecord(body)) return { kind: 'retry', reason: 'the bulk answer held no result for this document' };
  const status = typeof body['status'] === 'number' ? body['status'] : 0;
  const error = body['error'];
  if (error === undefined && status >= 200 && status < 300) return { kind: 'delivered' };
  const type = isRecord(error) ? String(error['type'] ?? '') : '';
  if (status === 409 && type === 'version_conflict_engine_exception') return { kind: 'delivered' };
  const reason = clipReason(`HTTP ${status} ${describeEsError(error)}`);
  if (status === 429 || status === 408 || status >= 500) return { kind: 'retry', reason };
  const text = describeEsError(error);
  if (
    status === 401 ||
    status === 403 ||
    status === 404 ||
    CONFIG_TYPES.has(type) ||
    CONFIG_REASONS.some((r) => r.test(text))
  ) {
    return { kind: 'blocked', reason };
  }
  return { kind: 'rejected', reason };
}

/**
 * The SendResult of a 2xx `_bulk` answer for a batch of `count` events.
 * @example classifyBulk({ errors: false, items: [{ create: { status: 201 } }] }, 1, 'Elasticsearch') // { outcome: 'delivered' }
 */
export function classifyBulk(body: unknown, count: number, product: string): SendResult {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return {
      outcome: 'retryable',
      reason: `${product} answered the bulk request without an items list; is the URL the cluster's (not a proxy page)?`,
      blocked: true,
    };
  }
  const items = body['items'] as unknown[];
  const verdicts = Array.from({ length: count }, (_, i) => judgeItem(items[i]));
  const blocked = verdicts.filter(
    (v): v is Extract<ItemVerdict, { kind: 'blocked' }> => v.kind === 'blocked',
  );
  if (blocked.length > 0) {
    return {
      outcome: 'retryable',
      blocked: true,
      reason: `${product} refused ${blocked.length} of ${count} documents for the target's configuration (kept, not dead-lettered): ${blocked[0]?.reason ?? ''}`,
    };
  }
  if (verdicts.every((v) => v.kind === 'delivered')) return { outcome: 'delivered' };
  const results: EventResult[] = verdicts.map((v) =>
    v.kind === 'delivered'
      ? { status: 'delivered' }
      : v.kind === 'retry'
        ? { status: 'retry', reason: `${product}: ${v.reason}` }
        : { status: 'rejected', reason: `${product}: ${v.reason}` },
  );
  return { outcome: 'partial', results };
}
