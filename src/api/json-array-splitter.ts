/**
 * Incremental splitter for a top-level JSON array arriving in chunks: yields
 * each element's exact text and its parsed value, holding in memory only the
 * element being read. A byte-level scan tracks strings, escapes and bracket
 * depth; bytes of multi-byte UTF-8 characters are all >= 0x80 and never look
 * like JSON punctuation, so a character split across chunks is simply joined
 * when the element is decoded.
 */
import { ConnectorError } from './errors.js';

export interface BlobRecord {
  /** The element's exact JSON text (surrounding whitespace removed). */
  raw: string;
  /** `JSON.parse(raw)`. */
  value: unknown;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

const enum State {
  BeforeArray,
  BeforeElement,
  InElement,
  AfterElement,
  Done,
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Push chunks, get records; call `end()` when the body is complete.
 * Malformed or truncated input throws ConnectorError BLOB_MALFORMED after the
 * good elements before it were returned.
 * @example
 * const s = new JsonArraySplitter();
 * s.push(Buffer.from('[{"a":1},{"b"')); // → [{ raw: '{"a":1}', value: { a: 1 } }]
 * s.push(Buffer.from(':2}]')); s.end();  // → [{ raw: '{"b":2}', ... }]
 */
export class JsonArraySplitter {
  #state = State.BeforeArray;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Bytes of the current element from earlier chunks. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #sawComma = false;
  #offset = 0;
  #count = 0;
  readonly #maxElementBytes: number;
  readonly #parse: boolean;

  /**
   * @param options.maxElementBytes refuse (BLOB_MALFORMED) an element larger than this (default 256 MiB)
   * @param options.parse false to skip JSON.parse (value stays undefined, elements are not validated); for measuring
   */
  constructor(options: { maxElementBytes?: number; parse?: boolean } = {}) {
    this.#maxElementBytes = options.maxElementBytes ?? 256 * 1024 * 1024;
    this.#parse = options.parse ?? true;
  }

  /** Elements completed so far. */
  get count(): number {
    return this.#count;
  }

  /** Feeds one chunk; returns the elements it completed, in order. */
  push(chunk: Uint8Array): BlobRecord[] {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: BlobRecord[] = [];
    const n = buf.length;
    let i = 0;
    let start = this.#state === State.InElement ? 0 : -1;
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    try {
      while (i < n) {
        const state = this.#state;
        if (state === State.InElement) {
          // Hot loop: stays here until the element ends or the chunk does.
          let end = -1;
          for (; i < n; i++) {
            if (inString) {
              if (escape) {
                escape = false;
                continue;
              }
              // Tight scan to the next quote or backslash: most bytes of a record are string bytes.
              let c = buf[i] as number;
              while (c !== QUOTE && c !== BACKSLASH && ++i < n) c = buf[i] as number;
              if (i >= n) break;
              if (c === BACKSLASH) escape = true;
              else inString = false;
              continue;
            }
            const b = buf[i] as number;
            if (b === QUOTE) inString = true;
            else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
            else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
              if (depth === 0) {
                end = i; // the array's own ']' ends a scalar element
                break;
              }
              if (--depth === 0) {
                end = ++i; // a container element ends with its closing bracket
                break;
              }
            } else if (b === COMMA && depth === 0) {
              end = i;
              break;
            }
          }
          if (end < 0) break;
          out.push(this.#finishElement(buf, start, end));
          start = -1;
          this.#state = State.AfterElement;
          continue;
        }
        const b = buf[i] as number;
        if (isSpace(b)) {
          i++;
          continue;
        }
        if (state === State.BeforeArray) {
          if (b === 0xef && this.#offset + i === 0 && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) {
            i += 3; // UTF-8 byte-order mark
            continue;
          }
          if (b !== OPEN_BRACKET) throw this.#malformed(i, 'the body is not a JSON array');
          this.#state = State.BeforeElement;
          i++;
        } else if (state === State.BeforeElement) {
          if (b === CLOSE_BRACKET && !this.#sawComma) {
            this.#state = State.Done;
            i++;
          } else if (b === COMMA || b === CLOSE_BRACKET) {
            throw this.#malformed(i, 'a value is missing between commas');
          } else {
            this.#state = State.InElement;
            start = i;
            depth = 0;
            inString = false;
            escape = false;
          }
        } else if (state === State.AfterElement) {
          if (b === COMMA) {
            this.#state = State.BeforeElement;
            this.#sawComma = true;
          } else if (b === CLOSE_BRACKET) this.#state = State.Done;
          else throw this.#malformed(i, 'expected "," or "]" after an element');
          i++;
        } else {
          throw this.#malformed(i, 'data after the end of the array');
        }
      }
      if (this.#state === State.InElement) {
        const from = start < 0 ? 0 : start;
        if (from < n) {
          this.#pending.push(Buffer.from(buf.subarray(from, n)));
          this.#pendingBytes += n - from;
          if (this.#pendingBytes > this.#maxElementBytes) {
            throw this.#malformed(n, `one element is larger than ${this.#maxElementBytes} bytes`);
          }
        }
      }
    } catch (err) {
      if (err instanceof ConnectorError) {
        (err as ConnectorError & { records?: BlobRecord[] }).records = out;
      }
      throw err;
    } finally {
      this.#depth = depth;
      this.#inString = inString;
      this.#escape = escape;
      this.#offset += n;
    }
    return out;
  }

  /** Declares the body complete; throws BLOB_MALFORMED if the array did not close. */
  end(): BlobRecord[] {
    if (this.#state === State.Done) return [];
    if (this.#state === State.InElement) {
      // A lone scalar element ending exactly at the end of the input still needs its ']'.
      throw this.#malformed(0, `the body ended inside element ${this.#count + 1} (truncated)`);
    }
    throw this.#malformed(
      0,
      this.#state === State.BeforeArray ? 'the body is empty' : 'the array is not closed (truncated)',
    );
  }

  #finishElement(buf: Buffer, start: number, end: number): BlobRecord {
    let bytes: Buffer;
    if (this.#pendingBytes > 0) {
      this.#pending.push(buf.subarray(0, end));
      bytes = Buffer.concat(this.#pending, this.#pendingBytes + end);
      this.#pending = [];
      this.#pendingBytes = 0;
    } else {
      bytes = buf.subarray(start, end);
    }
    let lo = 0;
    let hi = bytes.length;
    while (hi > lo && isSpace(bytes[hi - 1] as number)) hi--;
    while (lo < hi && isSpace(bytes[lo] as number)) lo++;
    const raw = bytes.toString('utf8', lo, hi);
    let value: unknown;
    if (this.#parse) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw this.#malformed(end, `element ${this.#count + 1} is not valid JSON`);
      }
    }
    this.#count++;
    this.#sawComma = false;
    return { raw, value };
  }

  #malformed(_at: number, why: string): ConnectorError {
    this.#state = State.Done;
    this.#pending = [];
    this.#pendingBytes = 0;
    return new ConnectorError(
      'BLOB_MALFORMED',
      `The content blob is malformed after ${this.#count} good records: ${why}.`,
    );
  }
}

/** Records completed in the chunk that raised a BLOB_MALFORMED error (yield them before rethrowing). */
export function recordsBeforeError(err: unknown): BlobRecord[] {
  const records = (err as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? (records as BlobRecord[]) : [];
}

/**
 * Splits an async stream of chunks into records.
 * @example for await (const r of splitJsonArray(response.body)) store(r.raw);
 */
export async function* splitJsonArray(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<BlobRecord> {
  const splitter = new JsonArraySplitter();
  for await (const chunk of chunks) {
    let records: BlobRecord[];
    try {
      records = splitter.push(chunk);
    } catch (err) {
      yield* recordsBeforeError(err);
      throw err;
    }
    yield* records;
  }
  splitter.end();
}
