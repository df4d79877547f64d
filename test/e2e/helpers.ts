/**
 * Helpers for the end-to-end tests: the emulator and the collector each run
 * in their own process from source (`node --import tsx src/cli/main.ts ...`),
 * over real HTTP on loopback; the store is read back afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliProcess {
  proc: ChildProcess;
  /** Everything written to stderr so far (kept to the last 200 kB). */
  stderr(): string;
  stdoutLines: string[];
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `atp-siem <args>` from source. */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  entry: string[] = ['--import', 'tsx', 'src/cli/main.ts'],
): CliProcess {
  const proc = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const stdoutLines: string[] = [];
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-200_000);
  });
  createInterface({ input: proc.stdout! }).on('line', (l) => stdoutLines.push(l));
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    proc,
    stderr: () => err,
    stdoutLines,
    exited,
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  cond: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface EmulatorProcess extends CliProcess {
  url: string;
}

/** Starts the emulator in its own process and waits for its `listening` line. */
export async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const cli = spawnCli(['emulator', '--port', '0', ...args]);
  const url = await waitFor(
    () => {
      if (cli.proc.exitCode !== null) throw new Error(`emulator exited: ${cli.stderr()}`);
      for (const line of cli.stdoutLines) {
        try {
          const v = JSON.parse(line) as { event?: string; url?: string };
          if (v.event === 'listening' && v.url) return v.url;
        } catch {
          // not a JSON line
        }
      }
      return undefined;
    },
    'the emulator to listen',
    30_000,
    50,
  );
  return { ...cli, url };
}

/** Stops a process: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcess(p: CliProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}

export interface GroundTruth {
  /** Every published record Id, per blob. */
  blobs: Map<string, { tenantId: string; ids: string[]; expiring: boolean }>;
  /** Blobs the emulator reports as expired before anyone fetched them, or withdrawn. */
  lost: Set<string>;
}

/** Reads the emulator's ground truth NDJSON. */
export async function readGroundTruth(file: string): Promise<GroundTruth> {
  const gt: GroundTruth = { blobs: new Map(), lost: new Set() };
  if (!existsSync(file)) return gt;
  const lines = createInterface({ input: createReadStream(file, 'utf8') });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const v = JSON.parse(line) as {
      kind?: string;
      Id?: string;
      contentId?: string;
      tenantId?: string;
      expiresBeforeFetch?: boolean;
    };
    if (!v.contentId) continue;
    if (v.kind === 'record' && v.Id) {
      const b = gt.blobs.get(v.contentId) ?? {
        tenantId: String(v.tenantId).toLowerCase(),
        ids: [],
        expiring: false,
      };
      b.ids.push(v.Id);
      if (v.expiresBeforeFetch) b.expiring = true;
      gt.blobs.set(v.contentId, b);
    } else if (v.kind === 'blob-expired-unfetched' || v.kind === 'blob-withdrawn') {
      gt.lost.add(v.contentId);
    }
  }
  return gt;
}

export interface StoreContents {
  /** Record Ids stored, with how often each was stored (must be 1). */
  ids: Map<string, number>;
  rows: number;
  /** Ledger state of each given content id. */
  states: Map<string, string | null>;
  pending: number;
  dropped: Record<string, number>;
}

/** Reads what the collector stored (all records, the state of the given blobs). */
export async function readStore(dataDir: string, contentIds: Iterable<string> = []): Promise<StoreContents> {
  const store = await openStore({ dataDir, readonly: true });
  try {
    const ids = new Map<string, number>();
    let rows = 0;
    let offset = 0;
    for (;;) {
      const batch = await store.readFrom(offset, 5_000);
      if (batch.length === 0) break;
      for (const r of batch) {
        const key = `${r.tenantId}/${r.id}`;
        ids.set(key, (ids.get(key) ?? 0) + 1);
        rows++;
        offset = r.offset;
      }
    }
    const states = new Map<string, string | null>();
    for (const id of contentIds) states.set(id, await store.blobState(id));
    const status = await store.status();
    const dropped: Record<string, number> = {};
    for (const s of status) {
      for (const [reason, n] of Object.entries(s.blobsDropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
    }
    return { ids, rows, states, pending: status.reduce((n, s) => n + s.blobsPending, 0), dropped };
  } finally {
    await store.close();
  }
}

/** Blobs listed but not yet delivered or dropped, from the store's status. */
export async function pendingBlobCount(dataDir: string): Promise<number> {
  const store = await openStore({ dataDir, readonly: true });
  try {
    return (await store.status()).reduce((n, s) => n + s.blobsPending, 0);
  } finally {
    await store.close();
  }
}

/**
 * Bundles `entry` (TypeScript, from source) into one ESM file under
 * node_modules/.cache, packages left external: a process started from it
 * loads in a fraction of the time tsx needs, which matters when a test
 * starts the collector many times.
 */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(ROOT, 'node_modules', '.cache', 'atp-siem-e2e', `${name}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Starts a bundled entry (see bundleEntry) with `args` (and extra environment variables). */
export function spawnBundled(file: string, args: string[], env: Record<string, string> = {}): CliProcess {
  return spawnCli(args, env, [file]);
}

/** Peak resident memory of a live process in MB (Linux VmHWM). */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export async function closed(stream: NodeJS.WritableStream): Promise<void> {
  await once(stream, 'close');
}

/** The collector's health/metrics URL, from its "listening" log line. */
export function serviceUrl(stderr: string): string | null {
  for (const line of stderr.split('\n')) {
    if (!line.includes('Health and metrics listening')) continue;
    try {
      const v = JSON.parse(line) as { url?: string };
      if (v.url) return v.url;
    } catch {
      // a partial line
    }
  }
  return null;
}
