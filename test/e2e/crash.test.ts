/**
 * Crash safety: the collector process is killed with SIGKILL at random
 * moments while it back-fills, at least 20 times, and restarted each time;
 * in the end the store holds exactly the published records, each once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundleEntry,
  pendingBlobCount,
  spawnBundled,
  startEmulatorProcess,
  stopProcess,
  waitFor,
  type CliProcess,
} from './helpers.js';
import { awaitSnapshotStored, finalComparison, EMULATOR_ARGS, RUN_ARGS } from './scenario.js';

const KILLS = 20;

describe('collector killed with SIGKILL again and again', () => {
  let dir = '';
  const procs: CliProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`ends with exactly the ground truth after ${KILLS} kill -9 restarts`, { timeout: 150_000 }, async () => {
    const started = Date.now();
    dir = await mkdtemp(path.join(tmpdir(), 'atp-crash-'));
    const gtFile = path.join(dir, 'ground-truth.ndjson');
    const config = path.join(dir, 'collector.yaml');
    const data = path.join(dir, 'data');
    // A bigger backlog than the other test, so that kills land while there is work in progress (the
    // collector ingests faster than it did: 8,000 records were often drained before half the kills, and
    // 24,000 left only 17 of 20 kills mid-work once the store stopped slowing as it grew).
    const emulator = await startEmulatorProcess([
      ...EMULATOR_ARGS,
      '--history-records',
      '40000',
      '--fault-rate',
      '0.05',
      '--ground-truth',
      gtFile,
      '--write-config',
      config,
    ]);
    procs.push(emulator);
    const runArgs = ['run', '--config', config, '--data', data, ...RUN_ARGS];
    const bundle = await bundleEntry('test/e2e/run-collector.ts', 'run-collector');

    let kills = 0;
    let killedWhileWorking = 0;
    while (kills < KILLS) {
      const collector = spawnBundled(bundle, runArgs);
      procs.push(collector);
      // Kill at a random moment once the collector is up (0.05-0.6 s later), so kills land mid-work.
      await waitFor(
        () => collector.stderr().includes('Collector started') || collector.proc.exitCode !== null,
        'the collector to start',
        20_000,
        20,
      );
      expect(collector.proc.exitCode).toBeNull();
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 550));
      const pending = await pendingBlobCount(data).catch(() => 0);
      collector.kill('SIGKILL');
      expect(await collector.exited).toBe('SIGKILL');
      procs.splice(procs.indexOf(collector), 1);
      kills++;
      if (pending > 0) killedWhileWorking++;
    }

    const last = spawnBundled(bundle, runArgs);
    procs.push(last);
    await waitFor(
      () => last.stderr().includes('Collector started'),
      'the last collector to start',
      20_000,
      50,
    );
    const gt = await awaitSnapshotStored(last, gtFile, data, 40_000);
    await stopProcess(last);

    const { result, stored } = await finalComparison(gt, gtFile, data);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.storedTwice).toEqual([]);
    expect(stored.rows).toBe(stored.ids.size);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // Most kills must land while there was still work in progress, or the test proves little.
    expect(killedWhileWorking).toBeGreaterThanOrEqual(KILLS / 2);
    console.log(
      `crash: ${kills} kills (${killedWhileWorking} mid-work), ${result.expected} records, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
