/**
 * The field inventory: every field each format emits for each Defender record type (28, 41, 47, 64) over the
 * record fixtures, kept in test/fixtures/golden/inventory.json. A field that disappears from a format's
 * output fails here, and so does a new one, so that every change to what a SIEM receives is deliberate:
 * `UPDATE_GOLDEN=1 npx vitest run src/formats/field-inventory.test.ts` rewrites the file, and its diff is the
 * change to review.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { UPDATE_GOLDEN } from '../../test/fixtures/records/golden.js';
import { FORMATS, toFormatInput, type FormatId } from './index.js';

const INVENTORY_FILE = join(GOLDEN_DIR, 'inventory.json');
const RECORD_TYPES = [28, 41, 47, 64] as const;
type Inventory = Record<string, Record<string, string[]>>;

/** Dotted paths of a JSON value's leaves; array items share one `[]` path. */
export function jsonFieldPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) jsonFieldPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) jsonFieldPaths(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') out.add(prefix);
  return out;
}

/** The header fields (by position) and extension keys of a CEF or LEEF line. */
export function keyValueFieldPaths(line: string, format: 'cef' | 'leef'): Set<string> {
  const out = new Set<string>();
  // Header: fields split on unescaped pipes (CEF: 7 header fields; LEEF 2.0: 6, the last the delimiter).
  const headerCount = format === 'cef' ? 7 : 6;
  let i = 0;
  for (let field = 0; field < headerCount && i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') field++;
  }
  for (let h = 0; h < headerCount; h++) out.add(`header[${h}]`);
  const extension = line.slice(i);
  if (format === 'cef') {
    // A key starts the extension or follows a space; `=` inside values is escaped as `\=`.
    for (const m of extension.matchAll(/(?:^| )([A-Za-z0-9_.]+)=/g)) out.add(m[1] ?? '');
  } else {
    const header = line.slice(0, i).split('|');
    const spec = header[5] ?? '\t';
    const delimiter = /^x[0-9a-f]{2}$/i.test(spec) ? String.fromCharCode(parseInt(spec.slice(1), 16)) : spec;
    for (const pair of extension.split(delimiter)) {
      const eq = pair.indexOf('=');
      if (eq > 0) out.add(pair.slice(0, eq));
    }
  }
  out.delete('');
  return out;
}

function fieldsOf(id: FormatId, encoded: string): Set<string> {
  if (id === 'cef' || id === 'leef') return keyValueFieldPaths(encoded, id);
  return jsonFieldPaths(JSON.parse(encoded));
}

function currentInventory(): Inventory {
  const fixtures = loadRecordFixtures().map((f) => ({ f, input: toFormatInput(f.raw) }));
  const inventory: Inventory = {};
  for (const format of FORMATS) {
    if (format.id === 'raw') continue;
    const byType: Record<string, string[]> = {};
    for (const rt of RECORD_TYPES) {
      const fields = new Set<string>();
      for (const { input } of fixtures.filter(({ input }) => input.event.recordType === rt)) {
        for (const field of fieldsOf(format.id, format.encode(input))) fields.add(field);
      }
      byType[String(rt)] = [...fields].sort();
    }
    inventory[format.id] = byType;
  }
  return inventory;
}

describe('the field inventory', () => {
  const current = currentInventory();
  if (UPDATE_GOLDEN) writeFileSync(INVENTORY_FILE, `${JSON.stringify(current, null, 2)}\n`);
  const kept = existsSync(INVENTORY_FILE)
    ? (JSON.parse(readFileSync(INVENTORY_FILE, 'utf8')) as Inventory)
    : undefined;

  it('exists (run with UPDATE_GOLDEN=1 and review it when a format is added)', () => {
    expect(kept, `${INVENTORY_FILE} is missing`).toBeDefined();
  });

  const cases = Object.keys(current).flatMap((format) => RECORD_TYPES.map((rt) => [format, rt] as const));
  it.each(cases)('%s still emits every field it emitted for record type %s', (format, rt) => {
    const now = new Set(current[format]?.[String(rt)]);
    const before = kept?.[format]?.[String(rt)] ?? [];
    expect(before.filter((f) => !now.has(f))).toEqual([]);
  });

  it.each(cases)('%s emits no field for record type %s that the inventory does not list', (format, rt) => {
    const before = new Set(kept?.[format]?.[String(rt)]);
    expect((current[format]?.[String(rt)] ?? []).filter((f) => !before.has(f))).toEqual([]);
  });

  it('emits fields for every Defender record type in every format', () => {
    for (const [format, byType] of Object.entries(current))
      for (const rt of RECORD_TYPES) expect(byType[String(rt)]?.length, `${format} ${rt}`).toBeGreaterThan(5);
  });
});

describe('field path extraction', () => {
  it('names JSON leaves by dotted path, array items under []', () => {
    expect([...jsonFieldPaths({ a: { b: 1, c: [{ d: 'x' }, { e: null }] }, f: [] })].sort()).toEqual([
      'a.b',
      'a.c[].d',
      'a.c[].e',
    ]);
  });

  it('reads CEF extension keys without being fooled by escaped = or | in values', () => {
    const line = 'CEF:0|V|P|1|id|a \\| name|5|msg=a\\=b c cs1=x\\\\ cs1Label=Label suser=u';
    expect([...keyValueFieldPaths(line, 'cef')].filter((k) => !k.startsWith('header'))).toEqual([
      'msg',
      'cs1',
      'cs1Label',
      'suser',
    ]);
  });

  it('reads LEEF 2.0 attributes split on the delimiter its header names', () => {
    const line = 'LEEF:2.0|V|P|1|id|x09|devTime=1\tsrc=1.2.3.4\tmsg=a=b';
    expect([...keyValueFieldPaths(line, 'leef')].filter((k) => !k.startsWith('header'))).toEqual([
      'devTime',
      'src',
      'msg',
    ]);
  });
});
