/**
 * End to end over real HTTP: the emulator (its own process) publishes a day
 * of history with late blobs and duplicates, and fails 10% of requests; the
 * collector (its own process) must end with exactly the published record Ids,
 * each once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  serviceUrl,
  spawnCli,
  startEmulatorProcess,
  stopProcess,
  waitFor,
  type CliProcess,
} from './helpers.js';
import { awaitSnapshotStored, finalComparison, EMULATOR_ARGS, RUN_ARGS, TENANT } from './scenario.js';

const STRAGGLER_FOUND = /atp_siem_blobs_listed_total\{[^}]*kind="straggler"[^}]*\} [1-9]/;

describe('collector against the emulator over HTTP', () => {
  let dir = '';
  const procs: CliProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { store: 'the store inline', flags: [] },
    { store: 'the store thread (--store-thread)', flags: ['--store-thread'] },
  ])(
    'stores every published record exactly once despite 10% faults, late blobs and duplicates, with $store',
    { timeout: 120_000 },
    async ({ flags }) => {
      const started = Date.now();
      dir = await mkdtemp(path.join(tmpdir(), 'atp-e2e-'));
      const gtFile = path.join(dir, 'ground-truth.ndjson');
      const config = path.join(dir, 'collector.yaml');
      const data = path.join(dir, 'data');
      const emulator = await startEmulatorProcess([
        ...EMULATOR_ARGS,
        '--fault-rate',
        '0.1',
        '--expire-rate',
        '0.03',
        // Many late blobs (half of them back-dated into windows already listed), so the sweep has work.
        '--fault',
        'late=0.6',
        '--ground-truth',
        gtFile,
        '--write-config',
        config,
      ]);
      procs.push(emulator);
      const collector = spawnCli(['run', '--config', config, '--data', data, ...RUN_ARGS, ...flags]);
      procs.push(collector);

      let url: string | null = null;
      // Run until the sweep has picked up at least one late blob, so that path is proven too.
      await waitFor(
        async () => {
          if (collector.proc.exitCode !== null) throw new Error(`collector exited: ${collector.stderr()}`);
          url ??= serviceUrl(collector.stderr());
          if (url === null) return false;
          return STRAGGLER_FOUND.test(await (await fetch(`${url}/metrics`)).text());
        },
        'the straggler sweep to find a late blob',
        40_000,
        500,
      );
      const gt = await awaitSnapshotStored(collector, gtFile, data, 30_000);
      expect(url).not.toBeNull();
      const health = (await (await fetch(`${url}/healthz`)).json()) as {
        tenants: Array<{ tenantId: string }>;
      };
      expect(health.tenants[0]?.tenantId).toBe(TENANT);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      await stopProcess(collector);
      expect(await collector.exited).toBe(0);

      const { result, stored } = await finalComparison(gt, gtFile, data);
      expect(result.missing).toEqual([]);
      expect(result.unexpected).toEqual([]);
      expect(result.storedTwice).toEqual([]);
      expect(result.expected).toBeGreaterThan(500);
      // The faults really happened and were survived, not avoided.
      const failed = metrics
        .split('\n')
        .filter((l) => l.startsWith('atp_siem_api_requests_total') && /status="(4|5)\d\d"/.test(l));
      expect(failed.length).toBeGreaterThan(0);
      expect(metrics).toMatch(/atp_siem_records_stored_total\{[^}]*\} [1-9]/);
      // Blobs published already expired were dropped as expired, and only those.
      const expiring = [...gt.blobs].filter(([, b]) => b.expiring).map(([id]) => id);
      const dropped = [...stored.states].filter(([, s]) => s === 'dropped').map(([id]) => id);
      expect(dropped.every((id) => expiring.includes(id))).toBe(true);
      expect(Object.keys(stored.dropped).filter((r) => r !== 'expired')).toEqual([]);
      console.log(
        `e2e: ${result.expected} records, ${gt.blobs.size} blobs, dropped ${JSON.stringify(stored.dropped)}, ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    },
  );
});
