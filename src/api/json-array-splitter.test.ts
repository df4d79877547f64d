import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from './errors.js';
import { JsonArraySplitter, splitJsonArray, type BlobRecord } from './json-array-splitter.js';

const SAMPLE_ELEMENTS = [
  '{"Id":"1","Subject":"Invoice [urgent] {action} \\"quoted\\" \\\\ back\\\\","n":[1,{"a":[]}]}',
  '{"Id":"2","Subject":"Überweisung 請求書 — 🎣 phish","Recipients":["ü@contoso.com"]}',
  '{"Id":"3","Data":"{\\"Entities\\":[{\\"Type\\":\\"mailMessage\\"}]}","e":"\\u00e9\\n\\t"}',
  '"a string element, with ] and }"',
  '42',
  'null',
  '[1,[2,[3]]]',
  '{"Id":"4","empty":"","esc":"\\\\"}',
];
const SAMPLE = Buffer.from(`\n [ ${SAMPLE_ELEMENTS.join(' ,\n  ')} ]\n`);

function splitInPieces(body: Buffer, cuts: number[]): BlobRecord[] {
  const s = new JsonArraySplitter();
  const out: BlobRecord[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    out.push(...s.push(body.subarray(from, cut)));
    from = cut;
  }
  out.push(...s.end());
  return out;
}

function collect(body: Buffer, chunkSize: number): { records: BlobRecord[]; error?: ConnectorError } {
  const s = new JsonArraySplitter();
  const records: BlobRecord[] = [];
  try {
    for (let o = 0; o < body.length; o += chunkSize) records.push(...s.push(body.subarray(o, o + chunkSize)));
    records.push(...s.end());
    return { records };
  } catch (err) {
    const partial = (err as { records?: BlobRecord[] }).records ?? [];
    return { records: [...records, ...partial], error: err as ConnectorError };
  }
}

describe('JsonArraySplitter', () => {
  it('yields each element with its exact text and parsed value', () => {
    const records = splitInPieces(SAMPLE, []);
    expect(records.map((r) => r.raw)).toEqual(SAMPLE_ELEMENTS);
    expect(records.map((r) => r.value)).toEqual(SAMPLE_ELEMENTS.map((e) => JSON.parse(e) as unknown));
  });

  it('gives the same records whatever single position the body is cut at', () => {
    const expected = SAMPLE_ELEMENTS;
    for (let cut = 0; cut <= SAMPLE.length; cut++) {
      expect(
        splitInPieces(SAMPLE, [cut]).map((r) => r.raw),
        `cut at ${cut}`,
      ).toEqual(expected);
    }
  });

  it('gives the same records when fed one byte at a time (UTF-8 characters split across chunks)', () => {
    const cuts = Array.from({ length: SAMPLE.length - 1 }, (_, i) => i + 1);
    expect(splitInPieces(SAMPLE, cuts).map((r) => r.raw)).toEqual(SAMPLE_ELEMENTS);
  });

  it('matches JSON.parse on arbitrary arrays cut at arbitrary places', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (values, rawCuts, pretty) => {
          const body = Buffer.from(pretty ? JSON.stringify(values, null, 2) : JSON.stringify(values));
          const cuts = [...new Set(rawCuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
          const records = splitInPieces(body, cuts);
          expect(records.map((r) => r.value)).toEqual(JSON.parse(body.toString()) as unknown[]);
          for (const r of records) expect(JSON.parse(r.raw)).toEqual(r.value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts an empty array, whitespace and a byte-order mark', () => {
    expect(splitInPieces(Buffer.from(' [ ] '), [])).toEqual([]);
    expect(splitInPieces(Buffer.from('\ufeff[{"a":1}]'), []).map((r) => r.raw)).toEqual(['{"a":1}']);
  });

  it('yields the good records of a truncated body, then raises BLOB_MALFORMED', () => {
    const full = Buffer.from(`[${SAMPLE_ELEMENTS.slice(0, 3).join(',')}]`);
    const cutInThird = full.length - 5;
    for (const chunkSize of [1, 7, 4096]) {
      const { records, error } = collect(full.subarray(0, cutInThird), chunkSize);
      expect(records.map((r) => r.raw)).toEqual(SAMPLE_ELEMENTS.slice(0, 2));
      expect(error).toBeInstanceOf(ConnectorError);
      expect(error?.code).toBe('BLOB_MALFORMED');
      expect(error?.message).toMatch(/after 2 good records.*truncated/);
    }
    const unclosed = collect(Buffer.from('[{"a":1},{"b":2}'), 3);
    expect(unclosed.records).toHaveLength(2);
    expect(unclosed.error?.message).toMatch(/not closed/);
  });

  it.each([
    ['not an array', '{"a":1}', 0],
    ['empty body', '', 0],
    ['invalid element', '[{"a":1},{"b":tru}]', 1],
    ['missing comma', '[{"a":1} {"b":2}]', 1],
    ['trailing comma', '[{"a":1},]', 1],
    ['leading comma', '[,{"a":1}]', 0],
    ['garbage after the array', '[{"a":1}] x', 1],
    ['mismatched brackets', '[{"a":[1}]', 0],
    ['html error page', '<html>502 Bad Gateway</html>', 0],
  ])('raises BLOB_MALFORMED for %s after %i good records', (_name, text, good) => {
    for (const chunkSize of [1, 3, 1024]) {
      const { records, error } = collect(Buffer.from(text), chunkSize);
      expect(records).toHaveLength(good);
      expect(error?.code).toBe('BLOB_MALFORMED');
      expect(error?.retryable).toBe(true);
    }
  });

  it('refuses an element larger than the limit instead of buffering it', () => {
    const s = new JsonArraySplitter({ maxElementBytes: 1000 });
    s.push(Buffer.from('[{"a":"'));
    expect(() => {
      for (let k = 0; k < 10; k++) s.push(Buffer.alloc(200, 0x61));
    }).toThrow(/larger than 1000 bytes/);
  });
});

describe('splitJsonArray', () => {
  it('streams a 200 MB blob in bounded memory', async () => {
    const element = Buffer.from(
      JSON.stringify({ Id: 'x', Subject: 'ü'.repeat(200), Recipients: ['a@b.example'], Data: '{"k":[1,2]}' }),
    );
    const target = 200 * 1024 * 1024;
    const perChunk = Math.floor((64 * 1024) / (element.length + 1));
    const chunkBody = Buffer.concat(
      Array.from({ length: perChunk }, () => Buffer.concat([element, Buffer.from(',')])),
    );
    let sent = 0;
    let first = true;
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('[');
      while (sent < target) {
        sent += chunkBody.length;
        yield chunkBody;
        first = false;
      }
      yield Buffer.concat([element, Buffer.from(']')]);
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let count = 0;
    let peak = before;
    for await (const record of splitJsonArray(Readable.from(body()))) {
      count++;
      if (count % 20000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      if (count === 1) expect(record.raw).toBe(element.toString());
    }
    expect(first).toBe(false);
    expect(count).toBe((sent / chunkBody.length) * perChunk + 1);
    // The body is 200 MB; holding it would show. Growth stays far below it.
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
});
