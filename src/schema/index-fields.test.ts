/**
 * `extractIndex()` (fast path with fallback) against its definition,
 * `extractIndexReference()` (the full normalized event): identical columns,
 * reasons and links on fixtures, on generated records of every content type,
 * and on random, mutated and hostile records.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { CONTENT_TYPES, createRecordGenerator } from '../emulator/generator/index.js';
import { FAST_KNOWN_FIELDS, creationIso, fastIndex, isPlainIpv4 } from './index-fast.js';
import { extractIndex, extractIndexReference } from './index.js';
import { LENIENT } from './records.js';
import { toClientIp, toUtcIso } from './wire.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const TENANT = '11111111-1111-1111-1111-111111111111';

const fixtures = loadRecordFixtures().map((f) => ({
  name: f.name,
  record: JSON.parse(f.raw) as Record<string, unknown>,
}));

/** Generated records of every content type, parsed from their wire text as the collector sees them. */
function generated(seed: number, perType: number): Record<string, unknown>[] {
  const gen = createRecordGenerator({ seed, tenantId: TENANT });
  const to = new Date('2026-11-20T00:00:00Z');
  const from = new Date(to.getTime() - 86_400_000);
  return CONTENT_TYPES.flatMap((ct) =>
    gen.records(ct, perType, from, to).map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>),
  );
}
const GENERATED = [1, 2, 3, 4, 5].flatMap((seed) => generated(seed, 800));
const sample = GENERATED.filter((_, i) => i % 7 === 0);

function expectSame(record: unknown): void {
  expect(extractIndex(record)).toStrictEqual(extractIndexReference(record));
}

/** AIR `Data` parsed, or undefined when an earlier edit left text that is not JSON (then it is a leaf). */
function parsedData(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Every path to a value inside a JSON value (AIR `Data` counts as its parsed object). */
function paths(
  v: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      out.push([...at, k]);
      paths(k === 'Data' && typeof x === 'string' && at.length === 0 ? parsedData(x) : x, [...at, k], out);
    }
  return out;
}

type Edit = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'respell'; upper: boolean };

/** A deep copy of `rec` with one edit at `path`; `Data` is parsed, edited and encoded again. */
function edit(rec: Record<string, unknown>, path: (string | number)[], e: Edit): Record<string, unknown> {
  const copy = structuredClone(rec);
  const dataEdit = path[0] === 'Data' && typeof copy['Data'] === 'string' && path.length > 1;
  const root: unknown = dataEdit ? { Data: JSON.parse(copy['Data'] as string) as unknown } : copy;
  let parent = root as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1] ?? 'Id';
  if (e.kind === 'set') parent[last] = e.value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (e.kind === 'delete') delete parent[last];
  else {
    const value = parent[last];
    delete parent[last];
    parent[e.upper ? String(last).toUpperCase() : String(last).toLowerCase()] = value;
  }
  if (dataEdit) copy['Data'] = JSON.stringify((root as { Data: unknown }).Data);
  return copy;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
/** Values of the wire types the schemas read, including the borderline ones. */
const tricky = fc.constantFrom<unknown>(
  '',
  ' ',
  '0',
  ' 28 ',
  '-0',
  '1.5',
  '9'.repeat(400),
  'null',
  '<null>',
  '1.2.3.4:80',
  '[::1]:8',
  '999.1.1.1',
  '0001-01-01T00:00:00',
  '2026-02-30T10:00:00',
  '12/31/2023 11:59:59 PM',
  'ZAP',
  'A'.repeat(64),
  'wILpvkhK/D1/ITtaGIkraJbwTgBUe3GRVaMDj0vKSO0=',
  '{"$ref":"1"}',
  '[]',
  0,
  -0,
  1.5,
  2 ** 53,
  -1,
  true,
  null,
  [],
  {},
  { $ref: '2' },
  ['x', 1],
);

const records = [...fixtures.map((f) => f.record), ...sample];
const mutated = fc
  .tuple(
    fc.constantFrom(...records),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof(
          fc.record({ kind: fc.constant('set' as const), value: fc.oneof(tricky, jsonValue) }),
          fc.record({ kind: fc.constant('delete' as const) }),
          fc.record({ kind: fc.constant('respell' as const), upper: fc.boolean() }),
        ),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([rec, edits]) =>
    edits.reduce<Record<string, unknown>>((r, [i, e]) => {
      const all = paths(r);
      const path = all[i % Math.max(1, all.length)];
      return path === undefined ? r : edit(r, path, e);
    }, rec),
  );

describe('extractIndex', () => {
  it('knows the same top-level fields as the zod schemas', () => {
    expect(FAST_KNOWN_FIELDS).toEqual(LENIENT.knownFields);
  });

  it.each(fixtures.map((f) => [f.name, f.record] as const))(
    'equals the reference for fixture %s',
    (_, rec) => {
      expectSame(rec);
    },
  );

  it('equals the reference on generated records of every content type and several seeds', () => {
    const types = new Set(GENERATED.map((r) => r['RecordType']));
    for (const rt of [28, 41, 47, 64, 86, 15, 6]) expect(types).toContain(rt);
    expect(GENERATED.length).toBe(20_000);
    for (const r of GENERATED) expectSame(r);
  });

  it('takes the fast path for valid generated records', () => {
    const valid = GENERATED.filter((r) => extractIndexReference(r).invalidReason === null);
    expect(valid.length).toBeGreaterThan(GENERATED.length * 0.9);
    expect(valid.filter((r) => fastIndex(r) === null)).toEqual([]);
  });

  it('never takes the fast path for an invalid record', () => {
    for (const f of fixtures.filter((x) => x.name.startsWith('invalid-'))) {
      expect(fastIndex(f.record), f.name).toBeNull();
      expect(extractIndex(f.record).invalidReason).not.toBeNull();
    }
  });

  it('equals the reference on records with fields replaced, removed or respelled at any depth', () => {
    fc.assert(fc.property(mutated, expectSame), { numRuns: RUNS * 4 });
  });

  it('equals the reference on any JSON value and on random objects', () => {
    fc.assert(fc.property(jsonValue, expectSame), { numRuns: RUNS });
    fc.assert(
      fc.property(
        fc.constantFrom(28, 41, 47, 64, 86, 89, 15, '41'),
        fc.dictionary(
          fc.constantFrom(...FAST_KNOWN_FIELDS.investigation, ...FAST_KNOWN_FIELDS.mail),
          fc.oneof(tricky, jsonValue),
        ),
        (rt, fields) => expectSame({ ...fields, RecordType: rt }),
      ),
      { numRuns: RUNS },
    );
  });

  it('equals the reference, and takes the fast path, for Actions JSON strings that each number their $ids from 1', () => {
    const action = (urn: string, url: string) =>
      JSON.stringify({
        $id: '1',
        ActionId: urn,
        Related: [{ $id: '2', Type: 'url', Url: url }],
        Entities: [{ $ref: '2' }],
      });
    const base = fixtures.find((f) => f.name === 'air-64-remediated-strings')?.record as Record<
      string,
      unknown
    >;
    const rec = {
      ...base,
      Actions: [action('urn:a:1', 'https://one.example/'), action('urn:a:2', 'https://two.example/')],
    };
    expectSame(rec);
    expect(fastIndex(rec)?.links).toEqual(
      expect.arrayContaining(['url:https://one.example/', 'url:https://two.example/']),
    );
  });

  it('equals the reference when keys come in another case or as aliases', () => {
    for (const rec of records) {
      const lower = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]));
      const both = { ...rec, ...lower };
      const alias = Object.fromEntries(
        Object.entries(rec).map(([k, v]) => [
          ({ ClientIP: 'ClientIp', Url: 'URL', DeepLinkUrl: 'DeeplinkURL' } as Record<string, string>)[k] ??
            k,
          v,
        ]),
      );
      for (const r of [lower, both, alias]) expectSame(r);
    }
  });

  it('keeps a record with a __proto__ key on the reference path', () => {
    const rec = JSON.parse(
      `{"__proto__":{"Workload":"x"},${JSON.stringify(fixtures[0]?.record).slice(1)}`,
    ) as unknown;
    expect(fastIndex(rec)).toBeNull();
    expectSame(rec);
  });

  it('formats wire times exactly as toUtcIso, including dates that do not exist', () => {
    const two = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    const plain = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two,
        two,
        two,
        two,
        two,
      )
      .map(([y, mo, d, h, mi, sec]) => `${y}-${mo}-${d}T${h}:${mi}:${sec}`);
    const real = fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19));
    fc.assert(
      fc.property(fc.oneof(plain, real, fc.string()), (t) => {
        expect(creationIso(t)).toBe(toUtcIso(t));
      }),
      { numRuns: RUNS * 20 },
    );
    for (const t of [
      '2024-02-29T00:00:00',
      '2023-02-29T00:00:00',
      '1900-02-29T00:00:00',
      '2026-12-31T24:00:00',
    ])
      expect(creationIso(t)).toBe(toUtcIso(t));
  });

  it('takes as plain IPv4 only text toClientIp reads as an address', () => {
    const part = fc.oneof(fc.nat(999).map(String), fc.constantFrom('', '00', '0001', '256', 'a', ' 1'));
    const port = fc.option(fc.oneof(fc.nat(999_999).map(String), fc.constantFrom('', 'x', '1 ')));
    const dotted = fc
      .tuple(part, part, part, part, port, fc.constantFrom('.', ':'))
      .map(([a, b, c, d, p, sep]) => `${a}${sep}${b}.${c}.${d}` + (p === null ? '' : `:${p}`));
    const text = fc.string({ unit: fc.constantFrom('1', '2', '5', '.', ':', '0', ' ') });
    let plain = 0;
    fc.assert(
      fc.property(fc.oneof(dotted, fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), text), (v) => {
        if (!isPlainIpv4(v)) return;
        plain++;
        expect(toClientIp(v)?.ip).toBeTruthy();
      }),
      { numRuns: RUNS * 20 },
    );
    expect(plain).toBeGreaterThan(RUNS);
    expect(isPlainIpv4('1.2.3.4:443')).toBe(true);
    expect(isPlainIpv4('1.2.3.256')).toBe(false);
  });

  describe('AIR layers', () => {
    const air = fixtures.find((f) => f.name === 'air-64-started')?.record ?? {};
    const H1 = 'a'.repeat(64);
    const H2 = 'B'.repeat(64);
    const withData = (data: unknown, actions: unknown[] = []) => ({
      ...air,
      Data: JSON.stringify(data),
      Actions: actions,
    });

    it('indexes the hash of a named file before that of a bare hash entity, on the fast path', () => {
      const rec = withData({
        Entities: [
          { Type: 'filehash', Algorithm: 'SHA256', Value: H1 },
          { Type: 'file', Name: 'a.exe', FileHashes: [{ Algorithm: 'SHA256', Value: H2 }] },
        ],
      });
      expect(fastIndex(rec)?.sha256).toBe(H2.toLowerCase());
      expectSame(rec);
    });

    it('follows references within Data and across Actions, and gives up on cycles and unknown targets', () => {
      const file = {
        $id: '7',
        Type: 'file',
        Name: 'x.doc',
        FileHashes: [{ $id: '8', Algorithm: 'sha256', Value: H1 }],
      };
      const cases = [
        withData({
          Entities: [
            file,
            { Type: 'mailMessage', Files: [{ $ref: '7' }], Urls: [{ $ref: '9' }] },
            { $id: '9', Type: 'url', Url: 'https://a.example/' },
          ],
        }),
        withData({ Entities: [{ $id: '1', Type: 'mailMessage', Files: [{ $ref: '1' }] }] }),
        withData({ Entities: [{ Type: 'mailMessage', Files: [{ $ref: '404' }] }] }),
        withData({ Entities: [{ $ref: '5' }] }, [
          JSON.stringify({ $id: '5', ActionId: 'a', Entities: [{ $ref: '6' }] }),
          { Entities: [{ $id: '6', Type: 'url', Url: 'https://b.example/x' }] },
        ]),
        withData({ $ref: '1' }),
        { ...air, Data: '{"Entities": [', Actions: ['{'] },
      ];
      for (const rec of cases) expectSame(rec);
      expect(fastIndex(cases[0])?.links).toContain('url:https://a.example/');
    });
  });
});
