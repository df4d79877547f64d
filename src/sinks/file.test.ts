import { mkdtempSync } from 'node:fs';
import {
  chmod,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConnectorError } from '../api/errors.js';
import { createFileSink, fileSink, toLine, type FileSinkDeps } from './file/index.js';
import { contractEvents, runSinkContract, type SinkHarness } from './sink.contract.js';
import type { Sink, SinkEvent } from './types.js';

const logger = pino({ level: 'silent' });
const ROTATED = /^events-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z(-\d+)?\.ndjson(\.gz)?$/;

function configOf(extra: Record<string, unknown> = {}) {
  return fileSink.configSchema.parse({ name: 'archive', type: 'file', path: 'events.ndjson', ...extra });
}

async function linesOf(file: string): Promise<string[]> {
  const text = file.endsWith('.gz')
    ? gunzipSync(await readFile(file)).toString('utf8')
    : await readFile(file, 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

/** Rotated files oldest first (by stamp, then serial), as the sink orders them. */
async function rotatedFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => ROTATED.test(n));
  const key = (n: string) => {
    const m = /^events-(.{20})(?:-(\d+))?\./.exec(n);
    return [m?.[1] ?? '', Number(m?.[2] ?? 1)] as const;
  };
  return names
    .sort((a, b) => {
      const [sa, na] = key(a);
      const [sb, nb] = key(b);
      return sa === sb ? na - nb : sa < sb ? -1 : 1;
    })
    .map((n) => path.join(dir, n));
}

/** Every line the sink wrote, rotated files first, then the active file. */
async function allLines(dir: string): Promise<string[]> {
  const files = [...(await rotatedFiles(dir)), path.join(dir, 'events.ndjson')];
  const out: string[] = [];
  for (const f of files) out.push(...(await linesOf(f).catch(() => [])));
  return out;
}

const idOf = (line: string) => /c0ffee00-0000-4000-8000-\d{12}/.exec(line)?.[0];
const ok = () => AbortSignal.timeout(10_000);

async function startFileHarness(): Promise<SinkHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atp-file-sink-'));
  const target = path.join(dir, 'events.ndjson');
  const config = configOf();
  const sink = createFileSink(config, { logger, baseDir: dir });
  return {
    sink,
    format: config.format,
    received: () => linesOf(target).catch(() => []),
    async fail(mode) {
      if (mode !== 'unavailable') throw new Error(`file harness cannot fail as ${mode}`);
      // /dev/full answers every write with ENOSPC, even for root: a real full disk.
      await rename(target, `${target}.kept`).catch(() => undefined);
      await symlink('/dev/full', target);
    },
    async heal() {
      await unlink(target);
      await rename(`${target}.kept`, target).catch(() => undefined);
    },
    async close() {
      await sink.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

runSinkContract('file', startFileHarness, { failures: ['unavailable'] });

describe('file sink', () => {
  let dir: string;
  let sinks: Sink[];
  const start = (extra: Record<string, unknown> = {}, deps: FileSinkDeps = {}) => {
    const sink = createFileSink(configOf(extra), { logger, baseDir: dir }, deps);
    sinks.push(sink);
    return sink;
  };
  const active = () => path.join(dir, 'events.ndjson');

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'atp-file-sink-'));
    sinks = [];
  });
  afterEach(async () => {
    for (const s of sinks) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves a relative path against the config folder and creates the file with mode 0600', async () => {
    await mkdir(path.join(dir, 'out'));
    const sink = start({ path: 'out/events.ndjson' });
    expect(await sink.send(contractEvents(2, 'ecs'), ok())).toEqual({ outcome: 'delivered' });
    const info = await stat(path.join(dir, 'out', 'events.ndjson'));
    expect(info.mode & 0o777).toBe(0o600);
    expect(await linesOf(path.join(dir, 'out', 'events.ndjson'))).toHaveLength(2);
  });

  it('writes one JSON object per line, each line ending in a newline', async () => {
    const batch = contractEvents(3, 'ecs');
    await start().send(batch, ok());
    const text = await readFile(active(), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toEqual(batch.map((e) => e.payload));
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('writes CEF events one line each', async () => {
    const batch = contractEvents(3, 'cef');
    await start({ format: 'cef' }).send(batch, ok());
    const lines = await linesOf(active());
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.startsWith('CEF:0|')).toBe(true);
  });

  it('keeps a payload with raw line breaks on one line: JSON stays equal, CEF escapes them', async () => {
    const [event] = contractEvents(1, 'raw') as [SinkEvent];
    const pretty = { ...event, payload: '{\n  "Id": "x",\r\n  "Subject": "a\u2028b"\n}' };
    await start({ format: 'raw' }).send([pretty], ok());
    const lines = await linesOf(active());
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ Id: 'x', Subject: 'a\u2028b' });
    expect(lines[0]).not.toMatch(/[\u2028\r]/);
    expect(toLine('CEF:0|a|b|1|2|3|4|msg=x\ny\rz', false)).toBe('CEF:0|a|b|1|2|3|4|msg=x\\ny\\rz\n');
  });

  it('fsyncs the written bytes before answering delivered', async () => {
    const syncs: { bytesOnDisk: number; answered: boolean }[] = [];
    let answered = false;
    const sync = async (handle: FileHandle) => {
      syncs.push({ bytesOnDisk: (await stat(active())).size, answered });
      await handle.sync();
    };
    const batch = contractEvents(4, 'ecs');
    const result = await start({}, { sync }).send(batch, ok());
    answered = true;
    expect(result).toEqual({ outcome: 'delivered' });
    const expected = batch.reduce((n, e) => n + Buffer.byteLength(e.payload) + 1, 0);
    expect(syncs).toEqual([{ bytesOnDisk: expected, answered: false }]);
  });

  it('answers retryable and blocked with ENOSPC when the disk is full, and writes again once it is not', async () => {
    await symlink('/dev/full', active());
    const sink = start();
    const result = await sink.send(contractEvents(2, 'ecs'), ok());
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toContain('ENOSPC');
    await unlink(active());
    const batch = contractEvents(2, 'ecs');
    expect(await sink.send(batch, ok())).toEqual({ outcome: 'delivered' });
    expect((await linesOf(active())).map(idOf)).toEqual(batch.map((e) => e.id));
  });

  it('answers retryable and blocked when the path is a folder, or a part of it is a file', async () => {
    await mkdir(active());
    const asFolder = await start().send(contractEvents(1, 'ecs'), ok());
    expect(asFolder).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(asFolder.outcome === 'retryable' && asFolder.reason).toContain('EISDIR');
    await writeFile(path.join(dir, 'plain'), 'x');
    const underFile = await start({ path: 'plain/events.ndjson' }).send(contractEvents(1, 'ecs'), ok());
    expect(underFile).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(underFile.outcome === 'retryable' && underFile.reason).toContain('ENOTDIR');
  });

  it('answers retryable without writing when the signal has already aborted', async () => {
    const result = await start().send(contractEvents(1, 'ecs'), AbortSignal.abort());
    expect(result.outcome).toBe('retryable');
    await expect(stat(active())).rejects.toThrow(/ENOENT/);
  });

  it('ends a torn last line left by a crash before appending, so new events start on their own line', async () => {
    await writeFile(active(), '{"half":"writ');
    const batch = contractEvents(2, 'ecs');
    expect(await start().send(batch, ok())).toEqual({ outcome: 'delivered' });
    const lines = (await readFile(active(), 'utf8')).split('\n');
    expect(lines).toEqual(['{"half":"writ', batch[0]!.payload, batch[1]!.payload, '']);
  });

  it('writes concurrent batches one after another, never interleaved', async () => {
    const sink = start();
    const batches = [contractEvents(50, 'ecs'), contractEvents(50, 'ecs'), contractEvents(50, 'ecs')];
    const results = await Promise.all(batches.map((b) => sink.send(b, ok())));
    expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
    expect((await linesOf(active())).map(idOf)).toEqual(batches.flat().map((e) => e.id));
  });

  it('reopens the path when an outside tool moved the file away', async () => {
    const sink = start();
    const first = contractEvents(1, 'ecs');
    await sink.send(first, ok());
    await rename(active(), path.join(dir, 'moved.ndjson'));
    const second = contractEvents(1, 'ecs');
    await sink.send(second, ok());
    expect((await linesOf(path.join(dir, 'moved.ndjson'))).map(idOf)).toEqual([first[0]!.id]);
    expect((await linesOf(active())).map(idOf)).toEqual([second[0]!.id]);
  });

  describe('rotation', () => {
    it('rotates by size between events, keeping every line in order across the files', async () => {
      const sink = start({ rotate: { max_bytes: 4096 } });
      const batches = Array.from({ length: 8 }, () => contractEvents(3, 'ecs'));
      for (const b of batches) expect(await sink.send(b, ok())).toEqual({ outcome: 'delivered' });
      const rotated = await rotatedFiles(dir);
      expect(rotated.length).toBeGreaterThan(2);
      expect((await allLines(dir)).map(idOf)).toEqual(batches.flat().map((e) => e.id));
      for (const f of [...rotated, active()]) {
        const lines = await linesOf(f);
        const size = (await stat(f)).size;
        expect(size <= 4096 || lines.length === 1).toBe(true);
      }
    });

    it('gives files rotated within the same second distinct names', async () => {
      const now = () => Date.parse('2026-12-02T07:00:00.250Z');
      const sink = start({ rotate: { max_bytes: 1024 } }, { now });
      for (let i = 0; i < 3; i++) await sink.send(contractEvents(1, 'ecs'), ok());
      const names = (await rotatedFiles(dir)).map((f) => path.basename(f));
      expect(names).toEqual(['events-2026-12-02T07-00-00Z.ndjson', 'events-2026-12-02T07-00-00Z-2.ndjson']);
    });

    it('rotates by time on the first write after the interval boundary, named by the rotation moment', async () => {
      let clock = Date.parse('2026-12-02T06:59:10Z');
      const sink = start({ rotate: { interval: '1h' } }, { now: () => clock });
      const before = contractEvents(2, 'ecs');
      await sink.send(before, ok());
      clock = Date.parse('2026-12-02T06:59:59Z');
      const sameHour = contractEvents(1, 'ecs');
      await sink.send(sameHour, ok());
      expect(await rotatedFiles(dir)).toEqual([]);
      clock = Date.parse('2026-12-02T07:00:00Z');
      const after = contractEvents(2, 'ecs');
      await sink.send(after, ok());
      const rotated = await rotatedFiles(dir);
      expect(rotated.map((f) => path.basename(f))).toEqual(['events-2026-12-02T07-00-00Z.ndjson']);
      expect((await linesOf(rotated[0]!)).map(idOf)).toEqual([...before, ...sameHour].map((e) => e.id));
      expect((await linesOf(active())).map(idOf)).toEqual(after.map((e) => e.id));
    });

    it('rotates an existing file by time after a restart, by the time of its last write', async () => {
      await writeFile(active(), '{"old":1}\n');
      const yesterday = new Date('2026-12-01T12:00:00Z');
      await utimes(active(), yesterday, yesterday);
      const clock = Date.parse('2026-12-02T00:30:00Z');
      const batch = contractEvents(1, 'ecs');
      const sink = start({ rotate: { interval: '1d' } }, { now: () => clock });
      expect(await sink.send(batch, ok())).toEqual({ outcome: 'delivered' });
      const rotated = await rotatedFiles(dir);
      expect(rotated).toHaveLength(1);
      expect(await linesOf(rotated[0]!)).toEqual(['{"old":1}']);
      expect((await linesOf(active())).map(idOf)).toEqual([batch[0]!.id]);
    });

    it('compresses rotated files completely (readable gzip, no plain or temporary file left)', async () => {
      const sink = start({ rotate: { max_bytes: 4096 }, gzip_rotated: true });
      const batches = Array.from({ length: 6 }, () => contractEvents(3, 'ecs'));
      for (const b of batches) await sink.send(b, ok());
      await sink.close();
      const rotated = await rotatedFiles(dir);
      expect(rotated.length).toBeGreaterThan(1);
      expect(rotated.every((f) => f.endsWith('.ndjson.gz'))).toBe(true);
      expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(false);
      expect((await allLines(dir)).map(idOf)).toEqual(batches.flat().map((e) => e.id));
    });

    it('recovers from a crash mid-compression: a stale temporary is redone, a plain copy beside a .gz removed', async () => {
      const half = path.join(dir, 'events-2026-12-01T00-00-00Z.ndjson');
      await writeFile(half, '{"n":1}\n{"n":2}\n');
      await writeFile(`${half}.gz.tmp`, gzipSync('{"n":1}\n').subarray(0, 10));
      const done = path.join(dir, 'events-2026-12-01T01-00-00Z.ndjson');
      await writeFile(done, '{"n":3}\n');
      await writeFile(`${done}.gz`, gzipSync('{"n":3}\n'));
      const sink = start({ rotate: { max_bytes: 1_000_000 }, gzip_rotated: true });
      await sink.send(contractEvents(1, 'ecs'), ok());
      await sink.close();
      expect((await readdir(dir)).sort()).toEqual([
        'events-2026-12-01T00-00-00Z.ndjson.gz',
        'events-2026-12-01T01-00-00Z.ndjson.gz',
        'events.ndjson',
      ]);
      expect(await linesOf(`${half}.gz`)).toEqual(['{"n":1}', '{"n":2}']);
      expect(await linesOf(`${done}.gz`)).toEqual(['{"n":3}']);
    });

    it('keeps only the newest N rotated files, deleting the oldest', async () => {
      let clock = Date.parse('2026-12-02T07:00:00Z');
      const sink = start({ rotate: { max_bytes: 1024, keep: 2 } }, { now: () => clock });
      const batches = Array.from({ length: 6 }, () => contractEvents(1, 'ecs'));
      for (const b of batches) {
        await sink.send(b, ok());
        clock += 1000;
      }
      await sink.close();
      const rotated = await rotatedFiles(dir);
      expect(rotated).toHaveLength(2);
      const kept = [];
      for (const f of rotated) kept.push(...(await linesOf(f)).map(idOf));
      // Six events, one per file: the active file holds the sixth, the two kept files the fourth and fifth.
      expect(kept).toEqual([batches[3]![0]!.id, batches[4]![0]!.id]);
    });
  });

  describe('standard output', () => {
    it('waits until the stream took the bytes (drain) before answering delivered, and writes one line each', async () => {
      const chunks: Buffer[] = [];
      let release: () => void = () => undefined;
      const stream = new Writable({
        highWaterMark: 16,
        write(chunk: Buffer, _enc, callback) {
          chunks.push(chunk);
          release = () => callback();
        },
      });
      const sink = start({ path: '-' }, { stdout: stream });
      const batch = contractEvents(3, 'ecs');
      let settled = false;
      const pending = sink.send(batch, ok()).then((r) => {
        settled = true;
        return r;
      });
      await expect.poll(() => chunks.length, { timeout: 5_000 }).toBe(1);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      release();
      expect(await pending).toEqual({ outcome: 'delivered' });
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      expect(lines).toEqual([...batch.map((e) => e.payload), '']);
    });

    it('answers retryable when standard output failed (the reader went away)', async () => {
      const stream = new Writable({
        write(_chunk, _enc, callback) {
          const err = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
          callback(err);
        },
      });
      const sink = start({ path: '-' }, { stdout: stream });
      const result = await sink.send(contractEvents(1, 'ecs'), ok());
      expect(result.outcome).toBe('retryable');
      expect(result.outcome === 'retryable' && result.reason).toContain('EPIPE');
    });

    it('refuses rotation for standard output in the configuration', () => {
      const parsed = fileSink.configSchema.safeParse({
        name: 'out',
        type: 'file',
        path: '-',
        rotate: { max_bytes: 4096 },
      });
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain('cannot rotate');
    });
  });

  describe('healthcheck', () => {
    it('passes for a writable folder', async () => {
      await expect(start().healthcheck!(ok())).resolves.toBeUndefined();
    });

    it('fails with CONFIG_INVALID naming the folder when it does not exist', async () => {
      const err: unknown = await start({ path: 'missing/events.ndjson' }).healthcheck!(ok()).catch(
        (e: unknown) => e,
      );
      expect(isConnectorError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(path.join(dir, 'missing'));
    });

    it('fails with CONFIG_INVALID when the path is a folder', async () => {
      await mkdir(active());
      const err: unknown = await start().healthcheck!(ok()).catch((e: unknown) => e);
      expect(isConnectorError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain('is a folder');
    });

    it('fails with CONFIG_INVALID when a part of the path is a file', async () => {
      await writeFile(path.join(dir, 'plain'), 'x');
      await chmod(path.join(dir, 'plain'), 0o600);
      const err: unknown = await start({ path: 'plain/events.ndjson' }).healthcheck!(ok()).catch(
        (e: unknown) => e,
      );
      expect(isConnectorError(err, 'CONFIG_INVALID')).toBe(true);
    });
  });
});
