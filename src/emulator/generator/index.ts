/**
 * Deterministic generator of Office 365 audit records in their wire shapes,
 * weighted towards the Defender for Office 365 record types. The emulator
 * serves its output as content blobs; nothing here knows about HTTP.
 *
 * Independence: imports nothing from src/api, src/sources, src/store or
 * src/schema, so the emulator cannot share a misreading of the spec with the
 * client it tests.
 *
 * Layout: prng.ts (seeded draws), pools.ts (names, domains, subjects, files),
 * context.ts (state that links records: earlier mails and their clicks, open
 * investigations), common.ts (§8 common schema), one file per Defender record
 * (defender-mail 28, defender-url 41, defender-file 47, air 64/86/89 with its
 * alert and entities in air-alert), general-other.ts (Teams, Power BI,
 * AttackSim, unknown types), exchange.ts, sharepoint.ts, entra.ts, dlp.ts,
 * and record-types.ts (content-type table and per-content-type mix).
 *
 * Not modelled: record types other than those in MODELLED_RECORD_TYPES get a
 * generic record; no `$ref` outside AIR file entities; AIR statuses of one
 * investigation can be abandoned when a later call covers an earlier window;
 * records do not carry `ClientIp` (the 2018 spelling) or the localised enum
 * names; the per-record-type content-type mapping is inferred, not documented.
 */
import type { WireRecord } from './common.js';
import { GenContext } from './context.js';
import { unknownRecord } from './general-other.js';
import type { ContentType } from './record-types.js';
import { BUILDERS, CONTENT_TYPE_OF_RECORD_TYPE, MIX } from './record-types.js';

export type { ContentType } from './record-types.js';
export { CONTENT_TYPES } from './record-types.js';

/** Record types with a dedicated shape (others get a generic record from `recordOfType`). */
export const MODELLED_RECORD_TYPES: readonly number[] = Object.keys(BUILDERS)
  .map(Number)
  .sort((a, b) => a - b);

export interface RecordGenerator {
  /**
   * `count` records of a content type with CreationTime in [from, to),
   * deliberately not sorted, plain JSON objects in wire shape; deterministic
   * for seed + call sequence; at duplicateRate, exact repeats of earlier
   * records (same Id and body).
   */
  records(contentType: ContentType, count: number, from: Date, to: Date): Record<string, unknown>[];
  /**
   * One record of the given RecordType at `at` (truncated to the second);
   * unmodelled types get a generic record. Advances the same random stream.
   *
   * @example gen.recordOfType(28, new Date('2026-01-01T10:00:00Z')).Operation // 'TIMailData'
   */
  recordOfType(recordType: number, at: Date): Record<string, unknown>;
}

export interface RecordGeneratorOptions {
  seed: number;
  tenantId: string;
  /** Share of records that exactly repeat an earlier one; default 0.02. */
  duplicateRate?: number;
}

/** How many earlier records per content type stay available for duplication. */
const DUPLICATE_POOL = 256;

/**
 * Create a generator.
 *
 * @example
 * const gen = createRecordGenerator({ seed: 1, tenantId: '41463f53-8812-40f4-890f-865bf6e35190' });
 * gen.records('Audit.General', 100, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T01:00:00Z'));
 */
export function createRecordGenerator(options: RecordGeneratorOptions): RecordGenerator {
  const duplicateRate = options.duplicateRate ?? 0.02;
  if (!(duplicateRate >= 0 && duplicateRate < 1)) throw new RangeError('duplicateRate must be in [0, 1)');
  const ctx = new GenContext(options.seed, options.tenantId);
  const rng = ctx.rng;
  const pools = new Map<ContentType, { records: WireRecord[]; times: number[] }>();

  function build(recordType: number, atMs: number): WireRecord {
    const builder = BUILDERS[recordType];
    return builder ? builder(ctx, atMs) : unknownRecord(ctx, atMs, recordType);
  }

  return {
    records(contentType, count, from, to) {
      const mix = MIX[contentType];
      if (!mix) throw new RangeError(`unknown content type: ${String(contentType)}`);
      const fromMs = from.getTime();
      const toMs = to.getTime();
      if (!(fromMs < toMs)) throw new RangeError('from must be before to');
      // Whole seconds inside [from, to): CreationTime has second resolution.
      let lo = Math.ceil(fromMs / 1000);
      let span = Math.ceil(toMs / 1000) - lo;
      if (span <= 0) {
        // The window lies inside one second: use that second (its truncation is the best we can do).
        lo = Math.floor(fromMs / 1000);
        span = 1;
      }
      let pool = pools.get(contentType);
      if (!pool) pools.set(contentType, (pool = { records: [], times: [] }));
      const out: WireRecord[] = [];
      const outTimes: number[] = [];
      for (let i = 0; i < count; i++) {
        if (duplicateRate > 0 && rng.float() < duplicateRate) {
          const dup = duplicateOf(pool, out, outTimes, fromMs, toMs);
          if (dup) {
            out.push(dup.record);
            outTimes.push(dup.atMs);
            continue;
          }
        }
        // Uniform times in the window: the output is not in time order, as blobs are not (§5.3).
        const atMs = (lo + rng.int(span)) * 1000;
        const rec = build(rng.weighted(mix), atMs);
        out.push(rec);
        outTimes.push(atMs);
        if (pool.records.length < DUPLICATE_POOL) {
          pool.records.push(rec);
          pool.times.push(atMs);
        } else {
          const slot = rng.int(DUPLICATE_POOL);
          pool.records[slot] = rec;
          pool.times[slot] = atMs;
        }
      }
      return out;
    },
    recordOfType(recordType, at) {
      return build(recordType, Math.floor(at.getTime() / 1000) * 1000);
    },
  };

  /**
   * An exact repeat (deep copy, so callers may mutate) of an earlier record:
   * from an earlier call when one in this window is at hand, else from this call.
   */
  function duplicateOf(
    pool: { records: WireRecord[]; times: number[] },
    out: WireRecord[],
    outTimes: number[],
    fromMs: number,
    toMs: number,
  ): { record: WireRecord; atMs: number } | undefined {
    if (pool.records.length > 0) {
      const i = rng.int(pool.records.length);
      const t = pool.times[i] as number;
      if (t >= fromMs && t < toMs) return { record: structuredClone(pool.records[i] as WireRecord), atMs: t };
    }
    if (out.length === 0) return undefined;
    const j = rng.int(out.length);
    return { record: structuredClone(out[j] as WireRecord), atMs: outTimes[j] as number };
  }
}

/**
 * Content type a record type is published under (Defender 28/41/47/64 and
 * 85/86/89 → Audit.General; unknown → Audit.General).
 *
 * @example contentTypeOfRecordType(28) // 'Audit.General'
 */
export function contentTypeOfRecordType(recordType: number): ContentType {
  return CONTENT_TYPE_OF_RECORD_TYPE[recordType] ?? 'Audit.General';
}
