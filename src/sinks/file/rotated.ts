/**
 * The rotated files of a file sink: how they are named, compressed and pruned. Compression never loses data:
 * the `.gz` is written under a temporary name, made durable, renamed into place and only then is the plain
 * file removed, so a crash at any point leaves the plain file, the complete `.gz`, or both (then the plain
 * copy is removed on the next pass); a half-written temporary file is deleted and the plain file compressed
 * again.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const GZ = '.gz';
const TMP = '.gz.tmp';

/** One rotated file, in whatever forms it exists on disk (plain, compressed, a stale temporary). */
export interface RotatedFile {
  /** Path of the plain form (`events-2026-12-02T07-00-00Z.ndjson`), whether or not it still exists. */
  plainPath: string;
  stamp: string;
  serial: number;
  plain: boolean;
  gz: boolean;
  tmp: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `2026-12-02T07-00-00Z`: the rotation moment to the second, UTC, without the colons file systems refuse. */
export function rotationStamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Makes a rename or an unlink in `dir` durable (best effort: some file systems cannot fsync a folder). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data itself was fsynced; only the directory entry may be lost in a power cut.
  }
}

async function removeIfThere(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Names of the rotated files of one active file: `events.ndjson` rotates to
 * `events-<stamp>.ndjson`, then `events-<stamp>-2.ndjson` and so on within the same second.
 * @example new RotatedFiles('/var/log/atp/events.ndjson').fresh(Date.now())
 */
export class RotatedFiles {
  readonly dir: string;
  readonly #stem: string;
  readonly #ext: string;
  readonly #pattern: RegExp;

  constructor(activePath: string) {
    this.dir = path.dirname(activePath);
    const base = path.basename(activePath);
    this.#ext = path.extname(base);
    this.#stem = base.slice(0, base.length - this.#ext.length);
    this.#pattern = new RegExp(
      `^${escapeRegExp(this.#stem)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z)(?:-(\\d+))?${escapeRegExp(this.#ext)}(${escapeRegExp(TMP)}|${escapeRegExp(GZ)})?$`,
    );
  }

  #name(stamp: string, serial: number): string {
    return `${this.#stem}-${stamp}${serial > 1 ? `-${serial}` : ''}${this.#ext}`;
  }

  /** A plain path for a file rotated at `ms` that no plain, compressed or temporary file uses yet. */
  async fresh(ms: number): Promise<string> {
    const stamp = rotationStamp(ms);
    for (let serial = 1; ; serial++) {
      const candidate = path.join(this.dir, this.#name(stamp, serial));
      const taken = await Promise.all([candidate, candidate + GZ, candidate + TMP].map(exists));
      if (!taken.some(Boolean)) return candidate;
    }
  }

  /** Every rotated file, oldest first (stamp, then serial: names sort by time, not by text). */
  async list(): Promise<RotatedFile[]> {
    const byPlain = new Map<string, RotatedFile>();
    for (const entry of await readdir(this.dir)) {
      const match = this.#pattern.exec(entry);
      if (!match) continue;
      const stamp = match[1] as string;
      const serial = match[2] === undefined ? 1 : Number(match[2]);
      const plainPath = path.join(this.dir, this.#name(stamp, serial));
      const file = byPlain.get(plainPath) ?? {
        plainPath,
        stamp,
        serial,
        plain: false,
        gz: false,
        tmp: false,
      };
      if (match[3] === GZ) file.gz = true;
      else if (match[3] === TMP) file.tmp = true;
      else file.plain = true;
      byPlain.set(plainPath, file);
    }
    return [...byPlain.values()].sort((a, b) =>
      a.stamp === b.stamp ? a.serial - b.serial : a.stamp < b.stamp ? -1 : 1,
    );
  }

  /**
   * One maintenance pass: deletes the oldest files beyond `keep`, removes stale temporaries and compresses
   * what is still plain. Runs one at a time (the caller chains passes), so a temporary seen here is stale.
   */
  async maintain(options: { gzip: boolean; keep: number | undefined }): Promise<void> {
    let files = await this.list();
    if (options.keep !== undefined && files.length > options.keep) {
      const drop = files.slice(0, files.length - options.keep);
      for (const file of drop) {
        for (const form of [file.plainPath, file.plainPath + GZ, file.plainPath + TMP])
          await removeIfThere(form);
      }
      files = files.slice(drop.length);
      await syncDir(this.dir);
    }
    for (const file of files) {
      if (file.tmp) await removeIfThere(file.plainPath + TMP);
      if (!options.gzip || !file.plain) continue;
      // A complete .gz exists only after its rename, so beside it the plain copy is redundant.
      if (!file.gz) await compress(file.plainPath);
      await removeIfThere(file.plainPath);
      await syncDir(this.dir);
    }
  }
}

/** Writes `<file>.gz` completely and durably (temporary name, fsync, rename); leaves `file` in place. */
async function compress(file: string): Promise<void> {
  const tmp = file + TMP;
  await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
  const handle = await open(tmp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file + GZ);
  await syncDir(path.dirname(file));
}
