/**
 * `atp-siem convert --format <id> [FILE]`: reads Management Activity records
 * (NDJSON, one record a line, or a content blob's JSON array) from FILE or
 * standard input and writes them in one output format, one event a line.
 *
 * Exit status: 0 when every record converted, 1 when some input was bad (each
 * bad line is reported on stderr with its line number or array element, and
 * the good ones are still written), 2 for usage errors.
 */
import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { JsonArraySplitter, recordsBeforeError } from '../api/json-array-splitter.js';
import type { Format, FormatInput } from '../formats/index.js';
import { formatIds, getFormat, toFormatInput } from '../formats/index.js';
import { compactJson } from '../formats/splunk.js';

/** Where an input record came from, for messages: `line 3` or `element 7`. */
export interface RecordSource {
  raw: string;
  where: string;
}

/** One unit read from the input: a record's text, or a piece of input that could not be read as one. */
export type InputItem = ({ ok: true } & RecordSource) | { ok: false; where: string; reason: string };

export interface ConvertSummary {
  converted: number;
  /** Lines or elements that were not records (not JSON, not an object, malformed array). */
  failed: number;
  /** Records converted although they failed schema validation. */
  invalid: number;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * NDJSON: one record a line (CRLF tolerated, blank lines skipped), split on
 * bytes so UTF-8 is never cut; a long line's chunks are joined once, at its end.
 */
async function* readLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  let pieces: Buffer[] = [];
  let lineNo = 0;
  const emit = (bytes: Buffer): InputItem | null => {
    lineNo++;
    const text = bytes.toString('utf8').replace(/\r$/, '');
    return text.trim() === '' ? null : { ok: true, raw: text, where: `line ${lineNo}` };
  };
  for await (const chunk of chunks) {
    let from = 0;
    let nl: number;
    while ((nl = chunk.indexOf(0x0a, from)) >= 0) {
      pieces.push(chunk.subarray(from, nl));
      const item = emit(pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces));
      pieces = [];
      if (item) yield item;
      from = nl + 1;
    }
    if (from < chunk.length) pieces.push(chunk.subarray(from));
  }
  if (pieces.length > 0) {
    const item = emit(Buffer.concat(pieces));
    if (item) yield item;
  }
}

/** A content blob (JSON array), streamed with the API client's splitter: one element in memory at a time. */
async function* readArray(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  const splitter = new JsonArraySplitter();
  let index = 0;
  const items = (records: { raw: string }[]): InputItem[] =>
    records.map((r) => ({ ok: true, raw: r.raw, where: `array index ${index++}` }));
  try {
    for await (const chunk of chunks) {
      try {
        yield* items(splitter.push(chunk));
      } catch (err) {
        yield* items(recordsBeforeError(err));
        throw err;
      }
    }
    splitter.end();
  } catch (err) {
    // The array's structure is broken from here on: nothing after this point can be located.
    const reason = err instanceof Error ? err.message : String(err);
    yield { ok: false, where: `array index ${index}`, reason };
  }
}

/**
 * Splits input into records: a JSON array when the first non-space byte is
 * `[`, NDJSON otherwise.
 *
 * @example for await (const item of readRecords(process.stdin)) …
 */
export async function* readRecords(input: AsyncIterable<Buffer | string>): AsyncGenerator<InputItem> {
  const iterator = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let first: number | undefined;
  while (first === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    const buf = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(buf);
    first = buf.find((b) => !isSpace(b));
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  yield* first === 0x5b ? readArray(replay()) : readLines(replay());
}

/** Why a record's text cannot be converted (not JSON, not an object), or null when it can. */
function rejectReason(record: unknown, raw: string, invalidReason: string | null): string | null {
  if (record === null && raw.trim() !== 'null') return invalidReason ?? 'not JSON';
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    const got = record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record;
    return `not a JSON object (got ${got})`;
  }
  return null;
}

/**
 * Converts every record of `input` with `format`, writing one line per event
 * to `out` and one message per problem to `report`.
 */
export async function convertRecords(options: {
  input: AsyncIterable<Buffer | string>;
  format: Format;
  out: Writable;
  report: (message: string) => void;
}): Promise<ConvertSummary> {
  const { format, out, report } = options;
  const summary: ConvertSummary = { converted: 0, failed: 0, invalid: 0 };
  let batch = '';
  const flush = async (): Promise<void> => {
    if (batch === '') return;
    const ok = out.write(batch);
    batch = '';
    if (!ok) {
      // Resume on drain, or stop waiting when the reader went away (EPIPE closes the stream).
      await new Promise<void>((resolve) => {
        const done = (): void => {
          out.off('drain', done).off('close', done).off('error', done);
          resolve();
        };
        out.once('drain', done).once('close', done).once('error', done);
      });
    }
  };
  for await (const item of readRecords(options.input)) {
    if (out.destroyed) break;
    if (!item.ok) {
      summary.failed++;
      report(`${item.where}: ${item.reason}`);
      continue;
    }
    let input: FormatInput;
    try {
      input = toFormatInput(item.raw);
    } catch (err) {
      // normalize() is meant never to throw; if a record proves otherwise, lose only that record.
      summary.failed++;
      report(
        `${item.where}: skipped, could not read the record: ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    const rejected = rejectReason(input.record, item.raw, input.event.invalidReason);
    if (rejected !== null) {
      summary.failed++;
      report(`${item.where}: skipped, ${rejected}`);
      continue;
    }
    let line: string;
    try {
      line = format.encode(input);
    } catch (err) {
      summary.failed++;
      report(
        `${item.where}: could not encode as ${format.id}: ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    if (input.event.invalidReason !== null) {
      summary.invalid++;
      report(`${item.where}: warning, converted although invalid: ${input.event.invalidReason}`);
    }
    // One event a line: a JSON format may pass a pretty-printed record through (raw keeps the blob's
    // bytes); JSON allows line breaks only between tokens, so compacting them keeps the record intact.
    if (/[\r\n]/.test(line) && format.contentType.startsWith('application/json')) line = compactJson(line);
    summary.converted++;
    batch += `${line}\n`;
    if (batch.length >= 64 * 1024) await flush();
  }
  await flush();
  return summary;
}

/** Usage errors exit 2 (commander's own parse errors included); help and version exit 0. */
function usageError(message: string): never {
  process.stderr.write(`atp-siem convert: ${message}\n`);
  process.exit(2);
}

async function openInput(file: string | undefined): Promise<AsyncIterable<Buffer>> {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) process.stderr.write('Reading records from standard input (end with Ctrl-D).\n');
    return process.stdin;
  }
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw new Error('it is a directory');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    usageError(`cannot read ${file} (${why}); give a readable file, or omit FILE to read standard input`);
  }
  return createReadStream(file);
}

export function register(program: Command): void {
  program
    .command('convert')
    .description(
      'Convert Management Activity records (NDJSON or a content blob JSON array) from FILE or standard input to a SIEM format, one event per line.',
    )
    .argument('[FILE]', 'input file; standard input when omitted or "-"')
    .option('-f, --format <format>', `output format: ${formatIds().join(', ')}`)
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    })
    .action(async (file: string | undefined, opts: { format?: string }) => {
      if (opts.format === undefined)
        usageError(`choose an output format with --format (${formatIds().join(', ')})`);
      const format = getFormat(opts.format);
      if (!format) usageError(`unknown format "${opts.format}"; use one of ${formatIds().join(', ')}`);
      const input = await openInput(file);
      let closed = false;
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        // A reader that went away (`| head`) is not an error of ours.
        if (err.code === 'EPIPE') closed = true;
        else throw err;
      });
      const summary = await convertRecords({
        input,
        format,
        out: process.stdout,
        report: (message) => process.stderr.write(`${message}\n`),
      });
      if (closed) {
        if ('destroy' in input && typeof input.destroy === 'function')
          (input as { destroy(): void }).destroy();
        return;
      }
      if (summary.failed > 0 || summary.invalid > 0) {
        process.stderr.write(
          `Converted ${summary.converted} records to ${format.id} (${summary.invalid} invalid but converted); ${summary.failed} input lines failed.\n`,
        );
      }
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
}
