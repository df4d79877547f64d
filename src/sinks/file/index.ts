/**
 * The file sink: one event per line (NDJSON for the JSON formats, one CEF/LEEF line each) appended to a
 * local file, fsynced before a batch counts as delivered, with rotation by size and by time, optional gzip
 * of rotated files and pruning. `path: "-"` writes to standard output instead (no fsync, no rotation).
 *
 * Delivery is at-least-once: a crash between the write and the driver's offset commit, or in the middle of
 * a write, repeats the batch on restart (a torn last line is ended with a newline before new lines are added).
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { ConnectorError, clip } from '../../api/errors.js';
import { parseDuration } from '../../config/schema.js';
import { getFormat, type FormatId } from '../../formats/index.js';
import { commonSinkConfig, commonSinkShape, type CommonSinkConfig } from '../config.js';
import type { SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import { ActiveFile, type RotationPolicy } from './active.js';

export interface FileSinkConfig extends CommonSinkConfig {
  type: 'file';
  /** As written in the configuration: relative to the config file's folder; `-` is standard output. */
  path: string;
  rotate: { maxBytes?: number; intervalMs?: number; keep?: number } | undefined;
  gzipRotated: boolean;
}

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: `set ${what} to a whole number from ${min} to ${max}` })
    .int(`set ${what} to a whole number from ${min} to ${max}`)
    .min(min, `set ${what} to a whole number from ${min} to ${max}`)
    .max(max, `set ${what} to a whole number from ${min} to ${max}`);

const MINUTE = 60_000;

const rotateSchema = z
  .strictObject({
    max_bytes: wholeNumber('rotate.max_bytes', 1024, 2 ** 50).optional(),
    interval: z
      .union([z.string(), z.number()], { error: 'write rotate.interval as a duration such as "1h" or "1d"' })
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const ms = parseDuration(value);
        if (ms === undefined || ms < MINUTE || ms > 366 * 24 * 60 * MINUTE) {
          ctx.addIssue({
            code: 'custom',
            message: 'write rotate.interval as a duration from 1m to 366d, such as "1h" or "1d"',
          });
          return z.NEVER;
        }
        return ms;
      }),
    keep: wholeNumber('rotate.keep', 1, 100_000).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.max_bytes === undefined && r.interval === undefined)
      ctx.addIssue({ code: 'custom', message: 'set rotate.max_bytes, rotate.interval or both' });
  });

const configSchema = z
  .strictObject({
    ...commonSinkShape,
    type: z.literal('file'),
    path: z
      .string({ error: 'set path to the output file (relative to the config file), or "-" for stdout' })
      .min(1, 'set path to the output file (relative to the config file), or "-" for stdout')
      .refine((p) => !p.includes('\0'), 'the path holds a NUL character'),
    rotate: rotateSchema.optional(),
    gzip_rotated: z.boolean({ error: 'set gzip_rotated to true or false' }).default(false),
  })
  .superRefine((c, ctx) => {
    if (c.path === '-' && (c.rotate !== undefined || c.gzip_rotated))
      ctx.addIssue({ code: 'custom', message: 'standard output (path "-") cannot rotate; remove rotate' });
    if (c.gzip_rotated && c.rotate === undefined)
      ctx.addIssue({ code: 'custom', message: 'gzip_rotated needs rotate (max_bytes or interval)' });
  })
  .transform((c): FileSinkConfig => ({
    ...commonSinkConfig(c, 'file', 'ecs'),
    type: 'file',
    path: c.path,
    rotate:
      c.rotate === undefined
        ? undefined
        : {
            ...(c.rotate.max_bytes === undefined ? {} : { maxBytes: c.rotate.max_bytes }),
            ...(c.rotate.interval === undefined ? {} : { intervalMs: c.rotate.interval }),
            ...(c.rotate.keep === undefined ? {} : { keep: c.rotate.keep }),
          },
    gzipRotated: c.gzip_rotated,
  }));

/** What tests (and only tests) replace. */
export interface FileSinkDeps {
  /** Clock in ms: rotation by time and rotated names. */
  now?: () => number;
  /** Makes written bytes durable before `delivered`; default fsync. */
  sync?: (file: FileHandle) => Promise<void>;
  /** The stream of `path: "-"` (default process.stdout). */
  stdout?: Writable;
}

const JSON_LINE_BREAKS = /[\r\n\u0085\u2028\u2029]/;
const TEXT_LINE_BREAKS = /[\r\n]/;

/**
 * One event as one line ending in `\n`. Formats never emit a line break, but `raw` is the record as received,
 * so this holds defensively: in JSON a raw CR/LF can only be whitespace between tokens (inside a string it
 * would have to be escaped), so a space keeps the document equal; U+0085/2028/2029 can only sit inside
 * strings, where their \u escape is the same text, and readers such as Python's splitlines() break on them.
 * In CEF/LEEF a line break is written as the two characters \n or \r.
 * @example toLine('{"a":\n1}', true) // '{"a": 1}\n'
 */
export function toLine(payload: string, json: boolean): string {
  if (json) {
    if (!JSON_LINE_BREAKS.test(payload)) return `${payload}\n`;
    const fixed = payload
      .replace(/\r\n|\r|\n/g, ' ')
      .replace(/[\u0085\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `${fixed}\n`;
  }
  if (!TEXT_LINE_BREAKS.test(payload)) return `${payload}\n`;
  return `${payload.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}\n`;
}

function isJsonFormat(id: FormatId): boolean {
  return getFormat(id)?.contentType.includes('json') ?? false;
}

/** What each file system error asks of the operator; `blocked` ones do not heal by waiting. */
const FS_ERRORS: Readonly<Record<string, { hint: string; blocked: boolean }>> = {
  ENOSPC: { hint: 'the disk is full; free space or rotate with a smaller keep', blocked: true },
  EDQUOT: { hint: 'the disk quota is used up', blocked: true },
  EACCES: { hint: 'no permission to write; fix the owner or mode of the file and its folder', blocked: true },
  EPERM: { hint: 'the operation is not permitted; check the file and its folder', blocked: true },
  EROFS: { hint: 'the file system is read-only', blocked: true },
  ENOENT: { hint: 'the folder does not exist; create it', blocked: true },
  ENOTDIR: { hint: 'a part of the path is a file, not a folder', blocked: true },
  EISDIR: { hint: 'the path is a folder; name a file inside it', blocked: true },
  EIO: { hint: 'the device reported an I/O error', blocked: false },
};

function writeFailure(target: string, err: unknown): SendResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const known = code === undefined ? undefined : FS_ERRORS[code];
  const message = err instanceof Error ? err.message : String(err);
  const reason = clip(
    known === undefined
      ? `cannot write ${target}: ${message}`
      : `cannot write ${target}: ${code} (${known.hint})`,
  );
  return known?.blocked ? { outcome: 'retryable', reason, blocked: true } : { outcome: 'retryable', reason };
}

const TIMED_OUT: SendResult = {
  outcome: 'retryable',
  reason: 'timed out (the write did not finish within the sink timeout)',
};

/** Ends with `TIMED_OUT` when the signal aborts first; the work itself keeps its place in the queue. */
function raceAbort(work: Promise<SendResult>, signal: AbortSignal): Promise<SendResult> {
  if (signal.aborted) return Promise.resolve(TIMED_OUT);
  return new Promise((resolve) => {
    const onAbort = () => resolve(TIMED_OUT);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then((result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
  });
}

/**
 * Writes to a stream and waits until it took the bytes: the write's callback, and `drain` when the write
 * filled its buffer. `failed` is the stream's error seen earlier (a closed pipe stays closed).
 */
function writeStream(stream: Writable, data: Buffer, failed: () => Error | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const earlier = failed();
    if (earlier !== undefined) return reject(earlier);
    let written = false;
    let drained = true;
    const settle = (err?: Error | null) => {
      stream.off('error', settle);
      stream.off('drain', onDrain);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => {
      drained = true;
      if (written) settle();
    };
    stream.once('error', settle);
    drained = stream.write(data, (err) => {
      written = true;
      if (err || drained) settle(err);
    });
    if (!drained) stream.once('drain', onDrain);
  });
}

/**
 * Starts a file sink; `deps` exist for tests.
 * @example const sink = createFileSink(config, { logger, baseDir: '/etc/atp-siem' });
 */
export function createFileSink(config: FileSinkConfig, ctx: SinkContext, deps: FileSinkDeps = {}): Sink {
  const toStdout = config.path === '-';
  const target = toStdout ? 'standard output' : path.resolve(ctx.baseDir, config.path);
  const json = isJsonFormat(config.format);
  const stdout = deps.stdout ?? process.stdout;
  // A standing listener: an EPIPE on standard output (the reader went away) must not crash the process.
  let stdoutError: Error | undefined;
  const onStdoutError = (err: Error) => {
    stdoutError = err;
  };
  if (toStdout) stdout.on('error', onStdoutError);
  const rotation: RotationPolicy | undefined =
    config.rotate === undefined ? undefined : { ...config.rotate, gzip: config.gzipRotated };
  const file = toStdout
    ? undefined
    : new ActiveFile({
        path: target,
        rotation,
        now: deps.now ?? Date.now,
        sync: deps.sync ?? ((handle) => handle.sync()),
        logger: ctx.logger,
        sink: config.name,
      });
  // One write at a time, in call order: concurrent batches must not interleave their lines.
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const write = async (batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> => {
    // A batch whose time ran out while it waited is not written: the driver already counts it as failed.
    if (signal.aborted) return TIMED_OUT;
    if (closing !== undefined) return { outcome: 'retryable', reason: 'the sink is closing' };
    const lines = batch.map((event) => Buffer.from(toLine(event.payload, json)));
    try {
      if (file === undefined) await writeStream(stdout, Buffer.concat(lines), () => stdoutError);
      else await file.append(lines, signal);
      return { outcome: 'delivered' };
    } catch (err) {
      return writeFailure(target, err);
    }
  };

  return {
    name: config.name,
    type: 'file',
    send(batch, signal) {
      const work = queue.then(() => write(batch, signal));
      queue = work;
      return raceAbort(work, signal);
    },
    async healthcheck() {
      if (file === undefined) {
        if (stdout.writable && stdoutError === undefined) return;
        throw new ConnectorError('SINK_UNAVAILABLE', `sink ${config.name}: standard output is closed`, {
          stage: 'sending',
        });
      }
      await checkWritable(config.name, target);
    },
    close() {
      closing ??= queue.then(async () => {
        stdout.off('error', onStdoutError);
        await file?.close();
      });
      return closing;
    },
  };
}

/** The folder exists and takes new files, and the path is not a folder or a read-only file. */
async function checkWritable(sink: string, target: string): Promise<void> {
  const dir = path.dirname(target);
  const fail = (code: 'CONFIG_INVALID' | 'SINK_UNAVAILABLE', what: string) =>
    new ConnectorError(code, `sink ${sink}: ${what}`, { stage: 'sending' });
  const folder = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (folder instanceof Error) {
    throw fail(
      'CONFIG_INVALID',
      `the folder ${dir} of path cannot be used (${folder.code ?? 'error'}); create it or fix path`,
    );
  }
  if (!folder.isDirectory()) throw fail('CONFIG_INVALID', `${dir} is not a folder; fix path`);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw fail('CONFIG_INVALID', `${target} is a folder; name a file inside it`);
  try {
    await access(existing === undefined ? dir : target, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw fail('SINK_UNAVAILABLE', `cannot write ${existing === undefined ? dir : target} (${code})`);
  }
}

/**
 * Appends events to a local file or standard output.
 * @example sinks: [{ name: archive, type: file, path: events.ndjson, rotate: { interval: 1d, keep: 30 } }]
 */
export const fileSink: SinkDefinition<FileSinkConfig> = {
  type: 'file',
  defaultFormat: 'ecs',
  configSchema,
  create: (config, ctx) => createFileSink(config, ctx),
};
