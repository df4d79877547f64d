import { describe, expect, it } from 'vitest';
import { loadRecordFixtures } from '../../../test/fixtures/records/index.js';
import { getFormat, toFormatInput, type FormatId } from '../../formats/index.js';
import type { SinkEvent } from '../types.js';
import {
  SYSLOG_SEVERITY,
  bsdTimestamp,
  buildMessage,
  cutUtf8,
  eventSeverity,
  frame,
  headerField,
  oneLine,
  shortHostname,
  type MessageOptions,
} from './message.js';

function eventOf(
  raw: string,
  format: FormatId,
  creationTime: string | null = '2026-05-01T12:34:56.789Z',
): SinkEvent {
  return {
    offset: 1,
    tenantId: 't',
    id: 'id-1',
    recordType: 28,
    creationTime,
    raw,
    payload: getFormat(format)!.encode(toFormatInput(raw)),
    format,
  };
}

const OPTIONS: MessageOptions = {
  protocol: 'rfc5424',
  facility: 20,
  hostname: 'mx01.contoso.example',
  appName: 'atp-siem',
  procId: '4242',
  bom: false,
  maxBytes: 8096,
};

const NOW = new Date('2026-06-01T00:00:00.000Z');

describe('cutUtf8', () => {
  it('backs up to the start of a multi-byte character cut in the middle', () => {
    const text = Buffer.from('ab€€', 'utf8'); // € is 3 bytes
    expect(cutUtf8(text, 4).toString('utf8')).toBe('ab');
    expect(cutUtf8(text, 5).toString('utf8')).toBe('ab€');
    expect(cutUtf8(text, 6).toString('utf8')).toBe('ab€'.slice(0, 3));
  });

  it('never ends on the first half of a backslash escape', () => {
    expect(cutUtf8(Buffer.from('msg=a\\=b'), 6).toString()).toBe('msg=a');
    expect(cutUtf8(Buffer.from('msg=a\\\\b'), 7).toString()).toBe('msg=a\\\\');
    expect(cutUtf8(Buffer.from('msg=a\\\\\\nb'), 8).toString()).toBe('msg=a\\\\');
  });
});

describe('oneLine', () => {
  it('turns CR, LF and NUL into spaces and leaves other text alone', () => {
    expect(oneLine('{\n  "a": 1,\r\n  "b":\0"x\\n"\n}', 'raw')).toBe('{   "a": 1,    "b": "x\\n" }');
    expect(oneLine('a\tb|c=d', 'leef')).toBe('a\tb|c=d');
  });

  it('writes U+0085, U+2028 and U+2029 in JSON as \\u escapes, the same JSON', () => {
    const json = JSON.stringify({ s: 'a\u2028b\u2029c\u0085d' });
    expect(oneLine(json, 'ecs')).toBe('{"s":"a\\u2028b\\u2029c\\u0085d"}');
    expect(JSON.parse(oneLine(json, 'ecs'))).toEqual(JSON.parse(json));
    expect(oneLine('CEF:0|a|b|1|x|y|5|msg=a\u2028b', 'cef')).toBe('CEF:0|a|b|1|x|y|5|msg=a\u2028b');
  });

  it('keeps pretty-printed JSON records meaning the same', () => {
    for (const fixture of loadRecordFixtures()) {
      expect(fixture.raw).toContain('\n');
      expect(oneLine(fixture.raw, 'raw')).not.toMatch(/[\r\n]/);
      expect(JSON.parse(oneLine(fixture.raw, 'raw'))).toEqual(JSON.parse(fixture.raw));
    }
  });
});

describe('header fields', () => {
  it('keeps printable ASCII only and writes NILVALUE for nothing', () => {
    expect(headerField('mx 01\u00e9.example', 255)).toBe('mx01.example');
    expect(headerField('', 48)).toBe('-');
    expect(headerField(null, 32)).toBe('-');
    expect(headerField('x'.repeat(40), 32)).toHaveLength(32);
  });

  it('gives RFC 3164 the host name without its domain, but an IP address whole', () => {
    expect(shortHostname('mx01.contoso.example')).toBe('mx01');
    expect(shortHostname('192.0.2.7')).toBe('192.0.2.7');
  });

  it('writes the RFC 3164 timestamp in local time with a space-padded day', () => {
    const at = new Date(2026, 4, 1, 9, 5, 7);
    expect(bsdTimestamp(at)).toBe('May  1 09:05:07');
    expect(bsdTimestamp(new Date(2026, 11, 24, 23, 59, 0))).toBe('Dec 24 23:59:00');
  });
});

describe('severity', () => {
  it('reads the same severity from CEF and LEEF payloads as from the normalized record, for every fixture', () => {
    for (const fixture of loadRecordFixtures()) {
      const expected = toFormatInput(fixture.raw).event.severity;
      for (const format of ['cef', 'leef', 'ecs'] as const) {
        expect({
          fixture: fixture.name,
          format,
          severity: eventSeverity(eventOf(fixture.raw, format)),
        }).toEqual({
          fixture: fixture.name,
          format,
          severity: expected,
        });
      }
    }
  });

  it('maps High to 2, Medium to 4, Low to 5 and Informational to 6', () => {
    expect(SYSLOG_SEVERITY).toMatchObject({ high: 2, medium: 4, low: 5, informational: 6 });
  });
});

describe('buildMessage', () => {
  const raw = JSON.stringify({
    Id: 'id-1',
    RecordType: 28,
    CreationTime: '2026-05-01T12:34:56',
    Subject: 'hi',
  });

  it('writes the RFC 5424 header: PRI, version 1, RFC 3339 UTC time of the event, host, app, procid, record type, no SD', () => {
    const event = eventOf(raw, 'cef');
    const text = buildMessage(event, OPTIONS, NOW).bytes.toString('utf8');
    const pri = 20 * 8 + SYSLOG_SEVERITY[eventSeverity(event)];
    expect(text).toBe(
      `<${pri}>1 2026-05-01T12:34:56.789Z mx01.contoso.example atp-siem 4242 ThreatIntelligence - ${event.payload}`,
    );
  });

  it('uses the current time when the event has none', () => {
    const text = buildMessage(eventOf(raw, 'cef', null), OPTIONS, NOW).bytes.toString();
    expect(text).toMatch(/^<\d+>1 2026-06-01T00:00:00\.000Z /);
  });

  it('starts MSG with the UTF-8 BOM only when asked', () => {
    const event = eventOf(raw, 'ecs');
    const plain = buildMessage(event, OPTIONS, NOW).bytes;
    const withBom = buildMessage(event, { ...OPTIONS, bom: true }, NOW).bytes;
    const at = plain.indexOf(Buffer.from('- {'));
    expect(withBom.subarray(at + 2, at + 5)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(withBom.length).toBe(plain.length + 3);
  });

  it('writes RFC 3164 with no tag before CEF and an app[pid]: tag before JSON', () => {
    const rfc3164 = { ...OPTIONS, protocol: 'rfc3164' as const, hostname: 'mx01' };
    const cef = eventOf(raw, 'cef');
    const local = bsdTimestamp(new Date('2026-05-01T12:34:56.789Z'));
    expect(buildMessage(cef, rfc3164, NOW).bytes.toString()).toMatch(
      new RegExp(`^<\\d+>${local} mx01 CEF:0\\|`),
    );
    expect(buildMessage(eventOf(raw, 'ecs'), rfc3164, NOW).bytes.toString()).toMatch(
      new RegExp(`^<\\d+>${local} mx01 atp-siem\\[4242\\]: \\{`),
    );
  });

  it('cuts an oversize message to the limit at a character boundary and marks it', () => {
    const big = JSON.stringify({ Id: 'id-1', RecordType: 28, Subject: '€'.repeat(5000) });
    const event = eventOf(big, 'raw');
    for (const maxBytes of [480, 1000, 1001, 1002, 8096]) {
      const built = buildMessage(event, { ...OPTIONS, maxBytes }, NOW);
      expect(built.truncated).toBe(true);
      expect(built.bytes.length).toBeLessThanOrEqual(maxBytes);
      expect(built.bytes.length).toBeGreaterThan(maxBytes - 3);
      const text = built.bytes.toString('utf8');
      expect(text).not.toContain('\ufffd');
      expect(text.endsWith(` [atp-siem: truncated, ${Buffer.byteLength(event.payload)} bytes]`)).toBe(true);
    }
  });

  it('marks a cut CEF message with an extension key, so it still parses as CEF', () => {
    const long = JSON.stringify({
      Id: 'id-1',
      RecordType: 28,
      Operation: 'TIMailData',
      Subject: 'a=b\\'.repeat(400),
    });
    const event = eventOf(long, 'cef');
    const built = buildMessage(event, { ...OPTIONS, maxBytes: 600 }, NOW);
    expect(built.bytes.length).toBeLessThanOrEqual(600);
    expect(built.bytes.toString()).toMatch(/[^\\](\\\\)*\satpSiemTruncated=\d+$/);
  });

  it('leaves a message that fits untouched and unmarked', () => {
    const built = buildMessage(eventOf(raw, 'raw'), OPTIONS, NOW);
    expect(built.truncated).toBe(false);
    expect(built.bytes.toString().endsWith(raw)).toBe(true);
  });
});

describe('frame', () => {
  it('octet-counts in bytes, not characters, and LF-terminates otherwise', () => {
    const message = Buffer.from('<165>1 - - - - - - é', 'utf8');
    expect(frame(message, 'octet-counting').toString('utf8')).toBe(`${message.length} <165>1 - - - - - - é`);
    expect(message.length).toBe(21);
    expect(frame(message, 'lf').toString('utf8')).toBe('<165>1 - - - - - - é\n');
  });
});
