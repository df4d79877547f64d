/**
 * Tolerant readers for the shapes Microsoft actually sends (spec §10): enums
 * as numbers, numeric strings or names; times with or without a zone; IPs
 * with ports; SHA-256 as hex or base64; JSON encoded inside JSON. Each is a
 * zod schema so that record schemas compose them, plus the plain function it
 * wraps for use outside validation.
 */
import { z } from 'zod';
import type { EnumValue } from './event.js';

/** Lower-case, without `-`, `_` and spaces: how discriminators and enum names are compared. */
export function foldName(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Reads an enum value given as a number, a numeric string (`"2"`) or a name
 * (any case). Unknown numbers and names are kept: numbers get their decimal
 * text as name, names get `id: null`.
 *
 * @example
 * toEnumValue(FILE_VERDICTS, '1'); // { id: 1, name: 'Bad' }
 */
export function toEnumValue(
  table: Readonly<Record<number, string>>,
  value: unknown,
  aliases: Readonly<Record<string, number>> = {},
): EnumValue | null {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return { id: value, name: table[value] ?? String(value) };
  }
  if (typeof value === 'boolean') return toEnumValue(table, value ? 1 : 0);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^-?\d+$/.test(text)) return toEnumValue(table, Number(text));
  const folded = foldName(text);
  for (const [id, name] of Object.entries(table)) {
    // A full name (`Anti-malware, AMP`) or its code after the comma (`AMP`).
    const code = name.includes(',') ? name.slice(name.lastIndexOf(',') + 1) : null;
    if (foldName(name) === folded || (code !== null && foldName(code) === folded))
      return { id: Number(id), name };
  }
  for (const [alias, id] of Object.entries(aliases)) {
    if (foldName(alias) === folded) return { id, name: table[id] ?? text };
  }
  return { id: null, name: text };
}

/** A zod schema for an enum field (number, numeric string or name); rejects other JSON types. */
export function enumField(
  table: Readonly<Record<number, string>>,
  what: string,
  aliases: Readonly<Record<string, number>> = {},
) {
  return z.unknown().transform((v, ctx) => {
    const e = toEnumValue(table, v, aliases);
    if (e === null) {
      ctx.addIssue({
        code: 'custom',
        message: v === undefined ? 'missing' : `${what} is not a number or a name`,
      });
      return z.NEVER;
    }
    return e;
  });
}

const NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const US_FORMAT = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AP]M))?$/i;

/**
 * Parses a wire time into ISO-8601 UTC with `Z`. A time without zone is UTC
 * (`CreationTime` has none); a zone or offset, when present, is honoured.
 * Also reads the US form `12/31/2023 11:59:59 PM` seen in AIR `QueryTime`.
 * Returns null when the text is not a time.
 *
 * @example
 * toUtcIso('2024-03-01T10:00:00'); // '2024-03-01T10:00:00.000Z'
 */
export function toUtcIso(value: unknown): string | null {
  const ms = utcMillis(value);
  return ms === null ? null : new Date(ms).toISOString();
}

/** The instant `toUtcIso` reads, in ms since the epoch; null exactly when `toUtcIso` returns null. */
export function utcMillis(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  let text = value.trim();
  const us = US_FORMAT.exec(text);
  if (us) {
    const [, mo, d, y, h, mi, s, ampm] = us;
    let hour = Number(h);
    if (ampm) hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(s));
    return Number.isNaN(ms) ? null : ms;
  }
  if (DATE_ONLY.test(text)) text += 'T00:00:00Z';
  else if (NO_ZONE.test(text)) text += 'Z';
  else if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A zod schema for a time field; output ISO UTC with `Z`, or null for
 * .NET's `DateTime.MinValue` (`0001-01-01T00:00:00`), which AIR sends for
 * "not yet" (e.g. `EndTimeUtc` of a running investigation).
 */
export const utcTime = z.string().transform((v, ctx) => {
  const iso = toUtcIso(v);
  if (iso === null) {
    ctx.addIssue({ code: 'custom', message: `not a date-time: ${JSON.stringify(v.slice(0, 40))}` });
    return z.NEVER;
  }
  return iso.startsWith('0001-01-01T') ? null : iso;
});

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+(%[\w.]+)?$/.test(s) || !s.includes(':')) return false;
  const host = s.split('%')[0] ?? '';
  if ((host.match(/::/g) ?? []).length > 1) return false;
  const parts = host.split(':');
  const last = parts[parts.length - 1] ?? '';
  if (last.includes('.') && !isIpv4(last)) return false;
  return parts.length <= 8 && parts.every((p) => p === '' || p.includes('.') || /^[0-9a-fA-F]{1,4}$/.test(p));
}

/**
 * Reads `ClientIP`-like text: `1.2.3.4`, `1.2.3.4:12345`, `[fdfd::555]:12346`,
 * bare IPv6. Empty, `null` and `<null>` mean absent (returns null); anything
 * else that is not an IP returns `{ ip: null }` so the caller can report it.
 *
 * @example
 * toClientIp('[fdfd::555]:12346'); // { ip: 'fdfd::555', port: 12346 }
 */
export function toClientIp(value: unknown): { ip: string | null; port: number | null } | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return { ip: null, port: null };
  const text = value.trim();
  if (text === '' || text.toLowerCase() === '<null>' || text.toLowerCase() === 'null') return null;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) {
    const ip = bracketed[1] ?? '';
    return isIpv6(ip)
      ? { ip: ip.toLowerCase(), port: bracketed[2] ? Number(bracketed[2]) : null }
      : { ip: null, port: null };
  }
  const v4port = /^([\d.]+):(\d{1,5})$/.exec(text);
  if (v4port && isIpv4(v4port[1] ?? '')) return { ip: v4port[1] ?? null, port: Number(v4port[2]) };
  if (isIpv4(text)) return { ip: text, port: null };
  if (isIpv6(text)) return { ip: text.toLowerCase(), port: null };
  return { ip: null, port: null };
}

/** A zod schema for an IP field; absent forms become null, garbage is an issue. */
export const clientIp = z.unknown().transform((v, ctx) => {
  const parsed = toClientIp(v);
  if (parsed !== null && parsed.ip === null) {
    ctx.addIssue({
      code: 'custom',
      message: `not an IP address: ${JSON.stringify((typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v)).slice(0, 60))}`,
    });
    return z.NEVER;
  }
  return parsed;
});

/**
 * Normalizes a SHA-256 to lower-case hex. Record 28 sends hex (often upper
 * case), record 47 base64 (spec §9.4). Returns null for anything that is not
 * 32 bytes in either form.
 *
 * @example
 * toSha256Hex('3q2+7w=='); // null (4 bytes, not 32)
 */
export function toSha256Hex(value: unknown): string | null {
  return toHashHex(value, 32);
}

/**
 * A digest of `bytes` bytes (MD5 16, SHA-1 20, SHA-256 32) as lower-case hex, from hex or base64 (standard
 * or URL alphabet); null when the text is neither.
 */
export function toHashHex(value: unknown, bytes: number): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(text)) return text.toLowerCase();
  const b64 = Math.ceil(bytes / 3) * 4;
  if (text.length <= b64 && text.length >= b64 - 2 && /^[A-Za-z0-9+/\-_]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === bytes) return decoded.toString('hex');
  }
  return null;
}

/** A zod schema for a SHA-256 field; output lower-case hex. */
export const sha256 = z.string().transform((v, ctx) => {
  const hex = toSha256Hex(v);
  if (hex === null) {
    ctx.addIssue({ code: 'custom', message: 'SHA256 is neither 64 hex digits nor base64 of 32 bytes' });
    return z.NEVER;
  }
  return hex;
});

/**
 * Parses a value that may be JSON encoded inside the record (AIR `Data`, each
 * of `Actions`). Objects and arrays pass through; strings are parsed once.
 */
export function parseJsonLayer(value: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Wraps a schema so it also accepts its input JSON-encoded in a string. */
export function jsonEncoded<T extends z.ZodType>(schema: T) {
  return z
    .unknown()
    .transform((v, ctx) => {
      const parsed = parseJsonLayer(v);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: `JSON string does not parse: ${parsed.error}` });
        return z.NEVER;
      }
      return parsed.value;
    })
    .pipe(schema);
}

/**
 * Resolves reference-preserving serialisation (`$id` / `$ref`, spec §9.5.1):
 * `{ "$ref": "3" }` is replaced by the object whose `$id` is `"3"`, and `$id`
 * keys are removed, so neither is ever read as data. Unresolvable references
 * become null. Returns a new value; cycles are cut (a reference to an
 * ancestor becomes null).
 */
export function resolveRefs(value: unknown): unknown {
  const byId = new Map<string, Record<string, unknown>>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (isRecord(v)) {
      const id = v['$id'];
      if (typeof id === 'string' || typeof id === 'number') byId.set(String(id), v);
      Object.values(v).forEach(collect);
    }
  };
  collect(value);
  const copy = (v: unknown, ancestors: Set<unknown>): unknown => {
    if (Array.isArray(v)) return v.map((x) => copy(x, ancestors));
    if (!isRecord(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$ref') {
      const ref = v['$ref'];
      const target = byId.get(typeof ref === 'string' || typeof ref === 'number' ? String(ref) : '');
      return target === undefined || ancestors.has(target) ? null : copy(target, ancestors);
    }
    if (ancestors.has(v)) return null;
    // `ancestors` is the current path: added on the way down, removed on the way back up.
    ancestors.add(v);
    const out: Record<string, unknown> = {};
    for (const k of keys) if (k !== '$id') out[k] = copy(v[k], ancestors);
    ancestors.delete(v);
    return out;
  };
  return copy(value, new Set());
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Returns a function renaming keys to their canonical spelling when they match
 * it ignoring case (`UrlClickAction` → `URLClickAction`, `URL` → `Url`,
 * `ClientIp` → `ClientIP`), plus explicit aliases. Other keys are kept as they
 * are; the canonical spelling wins when both are present. The lookup table is
 * built once, not per record.
 */
export function keyCanonicalizer(
  canonical: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const byFolded = new Map<string, string>();
  for (const name of canonical) byFolded.set(name.toLowerCase(), name);
  for (const [alias, name] of Object.entries(aliases)) byFolded.set(alias.toLowerCase(), name);
  return (obj) => {
    let renamed = false;
    for (const k of Object.keys(obj)) {
      const name = byFolded.get(k.toLowerCase());
      if (name !== undefined && name !== k) renamed = true;
    }
    // Most records are already canonical: return them untouched.
    if (!renamed) return obj;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const name = byFolded.get(k.toLowerCase()) ?? k;
      if (name !== k && Object.hasOwn(obj, name)) out[k] = v;
      else out[name] = v;
    }
    return out;
  };
}

/** One-off form of `keyCanonicalizer`. */
export function canonicalKeys(
  obj: Record<string, unknown>,
  canonical: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  return keyCanonicalizer(canonical, aliases)(obj);
}

/** Trimmed non-empty string, or null. */
export function text(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Unique non-empty strings, order kept. */
export function uniq(values: Iterable<string | null | undefined>): string[] {
  const seen = new Set<string>();
  for (const v of values) if (v) seen.add(v);
  return [...seen];
}
