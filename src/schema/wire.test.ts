import { describe, expect, it } from 'vitest';
import { FILE_VERDICTS, POLICIES, POLICY_ALIASES, URL_CLICK_ACTIONS } from './enums.js';
import { canonicalKeys, resolveRefs, toClientIp, toEnumValue, toSha256Hex, toUtcIso } from './wire.js';

describe('toEnumValue', () => {
  it('reads numbers, numeric strings and names in any case', () => {
    expect(toEnumValue(FILE_VERDICTS, 1)).toEqual({ id: 1, name: 'Bad' });
    expect(toEnumValue(FILE_VERDICTS, '1')).toEqual({ id: 1, name: 'Bad' });
    expect(toEnumValue(FILE_VERDICTS, '-3')).toEqual({ id: -3, name: 'Pending' });
    expect(toEnumValue(URL_CLICK_ACTIONS, 'blockpageoverride')).toEqual({ id: 4, name: 'BlockPageOverride' });
  });

  it('keeps undocumented numbers and names instead of rejecting them', () => {
    expect(toEnumValue(FILE_VERDICTS, '2')).toEqual({ id: 2, name: '2' });
    expect(toEnumValue(POLICIES, 'Phish')).toEqual({ id: null, name: 'Phish' });
  });

  it('matches a policy by its code or a wire alias', () => {
    expect(toEnumValue(POLICIES, 'HPHISH')).toEqual({ id: 15, name: 'Anti-spam, HPHISH' });
    expect(toEnumValue(POLICIES, 'SafeAttachements', POLICY_ALIASES)).toEqual({
      id: 10,
      name: 'Safe attachment, SAP',
    });
  });

  it('returns null for empty or non-scalar values', () => {
    expect(toEnumValue(FILE_VERDICTS, '')).toBeNull();
    expect(toEnumValue(FILE_VERDICTS, [1])).toBeNull();
  });
});

describe('toUtcIso', () => {
  it('reads a time without zone as UTC', () => {
    expect(toUtcIso('2026-11-20T08:15:42')).toBe('2026-11-20T08:15:42.000Z');
  });
  it('honours Z, fractions and offsets', () => {
    expect(toUtcIso('2026-11-20T10:41:27.5730000Z')).toBe('2026-11-20T10:41:27.573Z');
    expect(toUtcIso('2026-11-20T15:20:00+01:00')).toBe('2026-11-20T14:20:00.000Z');
  });
  it('reads the US form of AIR QueryTime', () => {
    expect(toUtcIso('12/31/2023 11:59:59 PM')).toBe('2023-12-31T23:59:59.000Z');
    expect(toUtcIso('1/2/2024 12:05:00 AM')).toBe('2024-01-02T00:05:00.000Z');
  });
  it('rejects text that is not a time', () => {
    expect(toUtcIso('not a time')).toBeNull();
    expect(toUtcIso(20261120)).toBeNull();
  });
});

describe('toClientIp', () => {
  it('strips ports from IPv4 and bracketed IPv6', () => {
    expect(toClientIp('203.0.113.7:52311')).toEqual({ ip: '203.0.113.7', port: 52311 });
    expect(toClientIp('[2001:DB8::5]:443')).toEqual({ ip: '2001:db8::5', port: 443 });
  });
  it('keeps bare addresses', () => {
    expect(toClientIp('2001:db8:1::42')).toEqual({ ip: '2001:db8:1::42', port: null });
    expect(toClientIp('::ffff:192.0.2.1')).toEqual({ ip: '::ffff:192.0.2.1', port: null });
  });
  it('treats null, empty and <null> as absent', () => {
    expect(toClientIp(null)).toBeNull();
    expect(toClientIp('')).toBeNull();
    expect(toClientIp('<null>')).toBeNull();
  });
  it('flags garbage as not an IP', () => {
    expect(toClientIp('not-an-ip')).toEqual({ ip: null, port: null });
    expect(toClientIp('300.1.1.1')).toEqual({ ip: null, port: null });
  });
});

describe('toSha256Hex', () => {
  const hex = 'f461e359b72478e63623b0365343b9d3772f24d2c0e26ffccd944fa217bb2b0a';
  it('lower-cases hex', () => {
    expect(toSha256Hex(hex.toUpperCase())).toBe(hex);
  });
  it('decodes base64 (record 47) to hex', () => {
    expect(toSha256Hex(Buffer.from(hex, 'hex').toString('base64'))).toBe(hex);
  });
  it('rejects anything that is not 32 bytes', () => {
    expect(toSha256Hex('nothex')).toBeNull();
    expect(toSha256Hex(hex.slice(2))).toBeNull();
  });
});

describe('canonicalKeys', () => {
  it('renames keys differing only in case, and aliases', () => {
    expect(canonicalKeys({ urlclickaction: 2, URL: 'u' }, ['URLClickAction', 'Url'])).toEqual({
      URLClickAction: 2,
      Url: 'u',
    });
    expect(canonicalKeys({ ClientIp: 'x' }, ['ClientIP'])).toEqual({ ClientIP: 'x' });
  });
  it('lets the canonical spelling win when both are present', () => {
    expect(canonicalKeys({ Url: 'a', URL: 'b' }, ['Url'])).toEqual({ Url: 'a', URL: 'b' });
  });
});

describe('resolveRefs', () => {
  it('replaces $ref by the object with that $id and drops $id keys', () => {
    const out = resolveRefs({ Entities: [{ $id: '4', Type: 'mailbox', Upn: 'a@b' }, { $ref: '4' }] });
    expect(out).toEqual({
      Entities: [
        { Type: 'mailbox', Upn: 'a@b' },
        { Type: 'mailbox', Upn: 'a@b' },
      ],
    });
  });
  it('turns unresolvable and cyclic references into null', () => {
    expect(resolveRefs([{ $ref: '9' }])).toEqual([null]);
    expect(resolveRefs({ $id: '1', Self: { $ref: '1' } })).toEqual({ Self: null });
  });
});
