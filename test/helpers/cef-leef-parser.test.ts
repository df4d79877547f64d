import { describe, expect, it } from 'vitest';
import { FormatParseError, parseCef, parseLeef } from './cef-leef-parser.js';

describe('parseCef', () => {
  it('reads the seven header fields with escaped pipes and backslashes', () => {
    const e = parseCef('CEF:0|Vend\\|or|Prod\\\\uct|1.0|sig|a \\| name|7|src=10.0.0.1');
    expect(e).toMatchObject({
      version: '0',
      deviceVendor: 'Vend|or',
      deviceProduct: 'Prod\\uct',
      deviceVersion: '1.0',
      signatureId: 'sig',
      name: 'a | name',
      severity: '7',
    });
    expect(e.extensions).toEqual({ src: '10.0.0.1' });
  });

  it('splits extension values that contain spaces at the next key and un-escapes them', () => {
    const e = parseCef('<13>Jan 1 host CEF:0|V|P|1|s|n|1|msg=a b\\=c\\\\ d\\nx\\r cs1=| pipe  cs1Label=L');
    expect(e.extensions).toEqual({ msg: 'a b=c\\ d\nx\r', cs1: '| pipe ', cs1Label: 'L' });
  });

  it('keeps an empty extension as no keys', () => {
    expect(parseCef('CEF:0|V|P|1|s|n|1|').extensions).toEqual({});
  });

  it('rejects an unescaped = inside a value, unknown escapes, raw newlines and short headers', () => {
    expect(() => parseCef('CEF:0|V|P|1|s|n|1|msg=a=b')).toThrow(FormatParseError);
    expect(() => parseCef('CEF:0|V|P|1|s|n|1|msg=a\\tb')).toThrow(FormatParseError);
    expect(() => parseCef('CEF:0|V|P|1|s|n|1|msg=a\nb')).toThrow(FormatParseError);
    expect(() => parseCef('CEF:0|V|P|1|s|n')).toThrow(FormatParseError);
    expect(() => parseCef('CEF:0|V|P|1|s|n|1|msg=a msg=b')).toThrow(/duplicate/);
  });
});

describe('parseLeef', () => {
  it('reads a LEEF 2.0 header with a hex delimiter and tab-separated attributes', () => {
    const e = parseLeef('LEEF:2.0|V\\|x|P|1.0|EV|x09|src=1.2.3.4\turl=http://h/?a=b\tmsg=tab\\there\\\\ \\n');
    expect(e).toMatchObject({ version: '2.0', vendor: 'V|x', product: 'P', eventId: 'EV', delimiter: '\t' });
    expect(e.attributes).toEqual({ src: '1.2.3.4', url: 'http://h/?a=b', msg: 'tab\there\\ \n' });
  });

  it('accepts a single-character delimiter and LEEF 1.0 with its fixed tab', () => {
    expect(parseLeef('LEEF:2.0|V|P|1|E|^|a=1^b=x\\^y').attributes).toEqual({ a: '1', b: 'x^y' });
    expect(parseLeef('LEEF:1.0|V|P|1|E|a=1\tb=2').attributes).toEqual({ a: '1', b: '2' });
  });

  it('reads a header with no attributes', () => {
    expect(parseLeef('LEEF:2.0|V|P|1|E|x09|').attributes).toEqual({});
  });

  it('rejects pairs without a key, unknown escapes and raw line breaks', () => {
    expect(() => parseLeef('LEEF:2.0|V|P|1|E|x09|novalue')).toThrow(FormatParseError);
    expect(() => parseLeef('LEEF:2.0|V|P|1|E|x09|a=\\q')).toThrow(FormatParseError);
    expect(() => parseLeef('LEEF:2.0|V|P|1|E|x09|a=1\rb=2')).toThrow(FormatParseError);
    expect(() => parseLeef('LEEF:3.0|V|P|1|E|x09|a=1')).toThrow(FormatParseError);
  });
});
