/**
 * normalize() against mutated fixture records: it never throws, its output
 * keeps its invariants whatever the input, and spelling quirks alone (key
 * case, numbers as strings) never make a valid record invalid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import type { NormalizedEvent } from './index.js';
import { normalize } from './index.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const records = loadRecordFixtures().map((f) => JSON.parse(f.raw) as Record<string, unknown>);
const valid = records.filter((r) => normalize(r).invalidReason === null);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** A fixture with some fields replaced by arbitrary JSON, some removed, some added. */
const mutated = fc
  .tuple(
    fc.constantFrom(...records),
    fc.array(fc.tuple(fc.nat(), jsonValue), { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 12 }), jsonValue, { maxKeys: 3 }),
  )
  .map(([rec, replace, remove, extra]) => {
    const out: Record<string, unknown> = { ...rec, ...extra };
    const keys = Object.keys(rec);
    for (const [i, v] of replace) out[keys[i % keys.length] ?? 'Id'] = v;
    for (const i of remove) delete out[keys[i % keys.length] ?? 'Id'];
    return out;
  });

function checkInvariants(e: NormalizedEvent): void {
  expect(e.time === null || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(e.time)).toBe(true);
  for (const f of e.files) expect(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256)).toBe(true);
  expect([...e.links].sort()).toEqual(e.links);
  expect(new Set(e.links).size).toBe(e.links.length);
  for (const l of e.links) expect(l).toMatch(/^(nmid|url|sha256):./);
  expect(e.riskScore).toBeGreaterThanOrEqual(0);
  expect(e.riskScore).toBeLessThanOrEqual(100);
  expect(e.actors.user?.id.toLowerCase()).not.toBe('threatintel');
  // Serializable without loss of structure (JSON turns -0 into 0, hence the text comparison).
  const text = JSON.stringify(e);
  expect(JSON.stringify(JSON.parse(text))).toBe(text);
}

describe('normalize (properties)', () => {
  it('never throws and keeps its invariants on mutated records', () => {
    fc.assert(
      fc.property(mutated, (rec) => {
        const { event, invalidReason } = normalize(rec);
        checkInvariants(event);
        expect(event.invalidReason).toBe(invalidReason);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        checkInvariants(normalize(v).event);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps a valid record valid, with the same event, when key case changes and numbers become strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.boolean(), (rec, upper) => {
        const respelled: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(rec)) {
          respelled[upper ? k.toUpperCase() : k.toLowerCase()] = typeof v === 'number' ? String(v) : v;
        }
        const before = normalize(rec).event;
        const after = normalize(respelled);
        expect(after.invalidReason).toBeNull();
        expect({ ...after.event, raw: {} }).toEqual({ ...before, raw: {} });
      }),
      { numRuns: RUNS },
    );
  });
});
