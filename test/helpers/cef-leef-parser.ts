/**
 * Strict parsers for ArcSight CEF (version 0, rev 25 escaping rules) and IBM
 * LEEF 1.0/2.0, used by the tests to prove that what our encoders emit reads
 * back to what was meant. They are written from the standards, independently
 * of src/formats/cef.ts and leef.ts, and they throw on anything the standards
 * forbid (an unknown escape, a header with the wrong number of fields, a raw
 * newline, a pair without `=`) so that an encoder bug cannot slip through as a
 * lenient parse.
 *
 * @example
 *   const e = parseCef('CEF:0|V|P|1|sig|name|5|msg=a\\=b');
 *   e.extensions.msg; // 'a=b'
 */

export interface CefEvent {
  version: string;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extensions: Record<string, string>;
}

export interface LeefEvent {
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  /** The attribute delimiter in effect (tab for LEEF 1.0). */
  delimiter: string;
  attributes: Record<string, string>;
}

/** Thrown when a line does not follow the format. */
export class FormatParseError extends Error {
  override name = 'FormatParseError';
}

function assertOneLine(line: string): void {
  if (/[\r\n]/.test(line)) throw new FormatParseError('an event must be one line: raw CR or LF found');
}

/**
 * Splits `text` on unescaped `sep` for `count` fields; returns the fields (still
 * escaped) and the rest after the last separator.
 */
function splitEscaped(text: string, sep: string, count: number): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length && fields.length < count; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === sep) {
      fields.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (fields.length < count) {
    throw new FormatParseError(`header has ${fields.length} fields, expected ${count}`);
  }
  return { fields, rest: text.slice(start) };
}

/** Header fields (CEF and LEEF alike) escape only `\` and `|`. */
function unescapeHeader(field: string): string {
  return field.replace(/\\(.)?/gs, (_m, c: string | undefined) => {
    if (c === '\\' || c === '|') return c;
    throw new FormatParseError(`invalid escape in header: \\${c ?? '<end>'}`);
  });
}

const CEF_VALUE_ESCAPES: Record<string, string> = { '\\': '\\', '=': '=', n: '\n', r: '\r' };

function unescapeCefValue(value: string): string {
  return value.replace(/\\(.)?/gs, (_m, c: string | undefined) => {
    const out = c === undefined ? undefined : CEF_VALUE_ESCAPES[c];
    if (out === undefined) throw new FormatParseError(`invalid escape in extension value: \\${c ?? '<end>'}`);
    return out;
  });
}

const CEF_KEY_CHAR = /[A-Za-z0-9_]/;

/**
 * Parses one CEF line (an optional syslog prefix before `CEF:` is skipped).
 * Extension keys are found at every unescaped `=`: the key is the run of key
 * characters before it, which must start the extension or follow a space; the
 * previous value ends at that space.
 */
export function parseCef(line: string): CefEvent {
  assertOneLine(line);
  const at = line.indexOf('CEF:');
  if (at < 0) throw new FormatParseError('no CEF: marker');
  const { fields, rest } = splitEscaped(line.slice(at + 4), '|', 7);
  const [version, vendor, product, devVersion, signatureId, name, severity] = fields.map((f, i) =>
    i === 0 ? f : unescapeHeader(f),
  ) as [string, string, string, string, string, string, string];

  const keys: { key: string; keyStart: number; valueStart: number }[] = [];
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '=') continue;
    let k = i;
    while (k > 0 && CEF_KEY_CHAR.test(rest[k - 1] ?? '')) k--;
    if (k === i || (k > 0 && rest[k - 1] !== ' ')) {
      throw new FormatParseError(`unescaped '=' inside a value at extension offset ${i}`);
    }
    keys.push({ key: rest.slice(k, i), keyStart: k, valueStart: i + 1 });
  }
  if (rest.trim() !== '' && (keys.length === 0 || rest.slice(0, keys[0]?.keyStart).trim() !== '')) {
    throw new FormatParseError('extension text before the first key');
  }
  const extensions: Record<string, string> = {};
  keys.forEach((k, idx) => {
    const next = keys[idx + 1];
    // The separator between pairs is exactly one space, which is not part of the value.
    const end = next ? next.keyStart - 1 : rest.length;
    if (Object.hasOwn(extensions, k.key)) throw new FormatParseError(`duplicate extension key ${k.key}`);
    extensions[k.key] = unescapeCefValue(rest.slice(k.valueStart, end));
  });
  return {
    version,
    deviceVendor: vendor,
    deviceProduct: product,
    deviceVersion: devVersion,
    signatureId,
    name,
    severity,
    extensions,
  };
}

/** LEEF 2.0 declares the delimiter as one character or as hex (`x09`, `0x09`). */
function decodeLeefDelimiter(field: string): string {
  const hex = /^(?:0x|x)([0-9a-fA-F]{1,4})$/.exec(field);
  if (hex?.[1]) return String.fromCharCode(parseInt(hex[1], 16));
  if (field.length === 1) return field;
  if (field === '') return '\t';
  throw new FormatParseError(`invalid LEEF delimiter declaration: ${JSON.stringify(field)}`);
}

/**
 * Parses one LEEF 1.0 or 2.0 line (an optional syslog prefix before `LEEF:` is
 * skipped). Attributes are split on the unescaped delimiter; a key ends at the
 * first `=`; values un-escape `\\`, `\n`, `\r`, `\t`, `\=` and `\<delimiter>`.
 */
export function parseLeef(line: string): LeefEvent {
  assertOneLine(line);
  const at = line.indexOf('LEEF:');
  if (at < 0) throw new FormatParseError('no LEEF: marker');
  const body = line.slice(at + 5);
  const version = body.slice(0, body.indexOf('|'));
  if (version !== '1.0' && version !== '2.0') throw new FormatParseError(`unknown LEEF version ${version}`);
  const headerCount = version === '2.0' ? 6 : 5;
  const { fields, rest } = splitEscaped(body, '|', headerCount);
  const [, vendor, product, productVersion, eventId, delimField] = fields;
  const delimiter = version === '2.0' ? decodeLeefDelimiter(delimField ?? '') : '\t';

  const attributes: Record<string, string> = {};
  const escapes: Record<string, string> = { '\\': '\\', n: '\n', r: '\r', t: '\t', '=': '=' };
  escapes[delimiter] = delimiter;
  let key: string | null = null;
  let text = '';
  const flush = (): void => {
    if (key === null || key === '') {
      throw new FormatParseError(`attribute without key=value: ${JSON.stringify(text.slice(0, 40))}`);
    }
    if (Object.hasOwn(attributes, key)) throw new FormatParseError(`duplicate attribute key ${key}`);
    attributes[key] = text;
    key = null;
    text = '';
  };
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string;
    if (c === '\\') {
      const n = rest[i + 1];
      const out = n === undefined ? undefined : escapes[n];
      if (out === undefined)
        throw new FormatParseError(`invalid escape in attribute value: \\${n ?? '<end>'}`);
      if (key === null) throw new FormatParseError('escape inside an attribute key');
      text += out;
      i++;
    } else if (c === delimiter) {
      flush();
    } else if (c === '=' && key === null) {
      if (!/^[A-Za-z0-9_.-]+$/.test(text))
        throw new FormatParseError(`invalid attribute key ${JSON.stringify(text)}`);
      key = text;
      text = '';
    } else {
      text += c;
    }
  }
  if (rest !== '') flush();
  return {
    version,
    vendor: unescapeHeader(vendor ?? ''),
    product: unescapeHeader(product ?? ''),
    productVersion: unescapeHeader(productVersion ?? ''),
    eventId: unescapeHeader(eventId ?? ''),
    delimiter,
    attributes,
  };
}
