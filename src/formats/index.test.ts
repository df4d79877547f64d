import { describe, expect, it } from 'vitest';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { FORMATS, formatIds, getFormat, toFormatInput } from './index.js';
import { rawFormat } from './raw.js';

describe('format registry', () => {
  it('registers every format id once', () => {
    expect([...formatIds()].sort()).toEqual(['cef', 'ecs', 'leef', 'ocsf', 'raw', 'sentinel', 'splunk']);
    expect(new Set(FORMATS.map((f) => f.id)).size).toBe(FORMATS.length);
    expect(getFormat('ecs')?.id).toBe('ecs');
    expect(getFormat('nope')).toBeUndefined();
  });

  it('builds an input for text that is not JSON, with the reason, so no record is lost', () => {
    const input = toFormatInput('{"Id": "x", truncated');
    expect(input.record).toBeNull();
    expect(input.event.invalidReason).toMatch(/^record is not JSON/);
    for (const f of FORMATS) expect(() => f.encode(input)).not.toThrow();
    expect(rawFormat.encode(input)).toBe('{"Id": "x", truncated');
  });
});

describe('raw format', () => {
  it('returns every record exactly as received, spacing and key order included', () => {
    for (const f of loadRecordFixtures()) expect(rawFormat.encode(toFormatInput(f.raw))).toBe(f.raw);
  });
});
