/**
 * Golden outputs of CEF, LEEF and Splunk for every record fixture (each
 * Defender record type and wire quirk), compared exactly. After a deliberate
 * mapping change run `UPDATE_GOLDEN=1 npx vitest run src/formats/cef-leef-splunk.golden.test.ts`
 * and review the diff of test/fixtures/golden/ by hand before committing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCef, parseLeef } from '../../test/helpers/cef-leef-parser.js';
import { GOLDEN_DIR, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { cefFormat } from './cef.js';
import type { Format } from './index.js';
import { toFormatInput } from './index.js';
import { leefFormat } from './leef.js';
import { splunkFormat } from './splunk.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CASES: { format: Format; ext: string; parse: (line: string) => unknown }[] = [
  { format: cefFormat, ext: 'cef', parse: parseCef },
  { format: leefFormat, ext: 'leef', parse: parseLeef },
  { format: splunkFormat, ext: 'json', parse: (line) => JSON.parse(line) as unknown },
];

const fixtures = loadRecordFixtures();

describe.each(CASES)('$format.id golden outputs', ({ format, ext, parse }) => {
  it('has a fixture set to compare', () => {
    expect(fixtures.length).toBeGreaterThan(10);
  });

  it.each(fixtures.map((f) => [f.name, f.raw] as const))('%s', (name, raw) => {
    const line = format.encode(toFormatInput(raw));
    expect(() => parse(line)).not.toThrow();
    const file = join(GOLDEN_DIR, format.id, `${name}.${ext}`);
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) throw new Error(`no golden output ${file}; run with UPDATE_GOLDEN=1 and review it`);
      mkdirSync(join(GOLDEN_DIR, format.id), { recursive: true });
      writeFileSync(file, `${line}\n`);
    }
    expect(line).toBe(readFileSync(file, 'utf8').replace(/\n$/, ''));
  });
});
