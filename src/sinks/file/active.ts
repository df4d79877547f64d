/**
 * The file a file sink appends to: opened lazily (a missing folder is an answer, not a startup crash),
 * reopened when someone else renamed or removed it, fsynced after every batch, rotated by size between
 * events and by time between batches.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rename, stat } from 'node:fs/promises';
import type { Logger } from '../../telemetry/logger.js';
import { RotatedFiles, syncDir } from './rotated.js';

export interface RotationPolicy {
  maxBytes?: number | undefined;
  intervalMs?: number | undefined;
  keep?: number | undefined;
  gzip: boolean;
}

export interface ActiveFileOptions {
  path: string;
  rotation: RotationPolicy | undefined;
  now: () => number;
  sync: (file: FileHandle) => Promise<void>;
  logger: Logger;
  sink: string;
}

interface OpenFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  size: number;
  /** Start of the rotation period the file's first line belongs to (aligned to the interval, UTC). */
  periodStart: number;
  /** The file ends in a torn line (a crash mid-write): the next write starts with a newline to end it. */
  torn: boolean;
}

/**
 * Appends whole lines to one file.
 * @example await file.append([Buffer.from('{"a":1}\n')]);
 */
export class ActiveFile {
  readonly #o: ActiveFileOptions;
  readonly #rotated: RotatedFiles;
  #file: OpenFile | undefined;
  /** Maintenance passes (compression, pruning) run in the background, one after another. */
  #background: Promise<void> = Promise.resolve();
  #maintained = false;

  constructor(options: ActiveFileOptions) {
    this.#o = options;
    this.#rotated = new RotatedFiles(options.path);
  }

  #periodOf(ms: number): number {
    const interval = this.#o.rotation?.intervalMs;
    return interval === undefined ? ms : Math.floor(ms / interval) * interval;
  }

  async #open(): Promise<OpenFile> {
    // 0600 applies to files this creates; an existing file keeps the mode the operator gave it.
    const handle = await open(this.#o.path, 'a+', 0o600);
    try {
      const info = await handle.stat();
      let torn = false;
      if (info.isFile() && info.size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, info.size - 1);
        torn = last[0] !== 0x0a;
      }
      const file: OpenFile = {
        handle,
        dev: info.dev,
        ino: info.ino,
        size: info.isFile() ? info.size : 0,
        // An existing file belongs to the period of its last write, so a restart still rotates on time.
        periodStart: this.#periodOf(info.isFile() && info.size > 0 ? info.mtimeMs : this.#o.now()),
        torn,
      };
      if (!this.#maintained && this.#o.rotation !== undefined) {
        // Leftovers of an earlier run: uncompressed or half-compressed files, too many files.
        this.#maintained = true;
        this.#schedule();
      }
      return file;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** The open file, reopened when the path no longer names it (moved by an outside rotation, deleted). */
  async #current(): Promise<OpenFile> {
    const file = this.#file;
    if (file !== undefined) {
      const now = await stat(this.#o.path).catch(() => undefined);
      if (now !== undefined && now.dev === file.dev && now.ino === file.ino) return file;
      this.#file = undefined;
      await file.handle.close().catch(() => undefined);
    }
    this.#file = await this.#open();
    return this.#file;
  }

  /**
   * Appends `lines` (each ends in `\n`) and fsyncs; rotates first when a line would cross `max_bytes` or
   * the interval has passed. Throws the file system's error; then the batch is written again whole.
   */
  async append(lines: readonly Buffer[], signal: AbortSignal): Promise<void> {
    let file = await this.#current();
    const policy = this.#o.rotation;
    // An empty file belongs to the period of its first line, not of the moment it was opened.
    if (file.size === 0) file.periodStart = this.#periodOf(this.#o.now());
    if (policy?.intervalMs !== undefined && file.size > 0) {
      if (this.#o.now() >= file.periodStart + policy.intervalMs) file = await this.#rotate();
    }
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const max = policy?.maxBytes;
      // A line larger than max_bytes alone still gets a file of its own: lines are never split.
      if (max !== undefined && file.size + chunkBytes > 0 && file.size + chunkBytes + line.length > max) {
        await this.#write(file, chunk);
        if (signal.aborted) throw new Error('stopped by the sink timeout between two files');
        file = await this.#rotate();
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(line);
      chunkBytes += line.length;
    }
    await this.#write(file, chunk);
  }

  async #write(file: OpenFile, chunk: Buffer[]): Promise<void> {
    if (chunk.length === 0) return;
    const buffers = file.torn ? [Buffer.from('\n'), ...chunk] : chunk;
    const before = file.size;
    const total = buffers.reduce((n, b) => n + b.length, 0);
    try {
      let written = 0;
      let pending = buffers;
      while (written < total) {
        const { bytesWritten } = await file.handle.writev(pending);
        written += bytesWritten;
        if (written < total) pending = [Buffer.concat(buffers).subarray(written)];
      }
      await this.#o.sync(file.handle);
    } catch (err) {
      // Take back a partial write so the file keeps whole lines; failing that, end the torn line next time.
      const undone = await file.handle.truncate(before).then(
        () => true,
        () => false,
      );
      file.torn = file.torn || !undone;
      file.size = before;
      throw err;
    }
    file.size = before + total;
    file.torn = false;
  }

  /** Closes the active file, renames it to its rotated name and opens a new one. */
  async #rotate(): Promise<OpenFile> {
    const file = this.#file;
    if (file === undefined || file.size === 0) return this.#current();
    this.#file = undefined;
    await file.handle.close();
    const target = await this.#rotated.fresh(this.#o.now());
    await rename(this.#o.path, target);
    await syncDir(this.#rotated.dir);
    this.#schedule();
    this.#file = await this.#open();
    return this.#file;
  }

  #schedule(): void {
    const policy = this.#o.rotation;
    if (policy === undefined) return;
    this.#background = this.#background.then(() =>
      this.#rotated.maintain({ gzip: policy.gzip, keep: policy.keep }).catch((err: unknown) => {
        // Nothing is lost: the plain files stay and the next rotation tries again.
        this.#o.logger.warn({ err, sink: this.#o.sink }, 'Rotated file maintenance failed.');
      }),
    );
  }

  /** Waits for background compression and pruning, then closes the file. */
  async close(): Promise<void> {
    await this.#background;
    const file = this.#file;
    this.#file = undefined;
    await file?.handle.close();
  }
}
