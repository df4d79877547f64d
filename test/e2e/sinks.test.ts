/**
 * Delivery end to end: the emulator, `atp-siem run` with every sink type configured at once, and each
 * sink's receiver. One SIEM is down for a long stretch mid-run; collection goes on, and once it is back
 * every sink holds every stored record.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readStore,
  spawnCli,
  startEmulatorProcess,
  stopProcess,
  waitFor,
  type CliProcess,
} from './helpers.js';
import { awaitSnapshotStored, EMULATOR_ARGS, RUN_ARGS } from './scenario.js';
import { SINK_NAMES, startReceivers, storeView, type Receivers } from './sinks-scenario.js';

const BATCH = 200;

describe('every sink at once', () => {
  let dir = '';
  const procs: CliProcess[] = [];
  let receivers: Receivers | undefined;
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    await receivers?.close();
    receivers = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'delivers every stored record to every sink while one SIEM is down for a stretch, collection never pausing',
    { timeout: 240_000 },
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'atp-sinks-'));
      const gtFile = path.join(dir, 'ground-truth.ndjson');
      const config = path.join(dir, 'collector.yaml');
      const data = path.join(dir, 'data');
      const emulator = await startEmulatorProcess([
        ...EMULATOR_ARGS,
        '--ground-truth',
        gtFile,
        '--write-config',
        config,
      ]);
      procs.push(emulator);
      receivers = await startReceivers(dir, { maxEvents: BATCH });
      await appendFile(config, `\n${receivers.yaml}`);
      // No `sinks setup` here: the Elasticsearch sink installs its index template before its first bulk.
      const collector = spawnCli(['run', '--config', config, '--data', data, ...RUN_ARGS], receivers.env);
      procs.push(collector);
      const hec = receivers.hec;

      // Splunk goes down (HEC busy, 503 code 9) once it has taken some events, and stays down a while.
      await waitFor(
        () => {
          if (collector.proc.exitCode !== null) throw new Error(`collector exited: ${collector.stderr()}`);
          return hec.indexed.length >= 100;
        },
        'Splunk to receive its first events',
        60_000,
      );
      hec.fail({ kind: 'busy' });
      const storedAtOutage = (await readStore(data)).rows;
      const indexedAtOutage = hec.indexed.length;
      await new Promise((r) => setTimeout(r, 12_000));
      const storedDuringOutage = (await readStore(data)).rows - storedAtOutage;
      const lagDuringOutage = (await storeView(data)).lag.splunk ?? 0;
      expect(hec.indexed.length).toBe(indexedAtOutage);
      hec.heal();

      await awaitSnapshotStored(collector, gtFile, data, 60_000);
      // Every sink catches up with the store.
      await waitFor(
        async () => {
          const { lag } = await storeView(data);
          return SINK_NAMES.every((s) => lag[s] === 0);
        },
        'every sink to deliver everything stored',
        90_000,
        500,
      );
      await stopProcess(collector);
      procs.splice(procs.indexOf(collector), 1);

      const { ids } = await storeView(data);
      const received = await receivers.received(ids);
      const report: Record<string, { missing: number; twice: number }> = {};
      for (const sink of SINK_NAMES) {
        const got = received[sink];
        const missing = [...ids].filter((id) => !got.has(id));
        const twice = [...got.values()].filter((n) => n > 1).length;
        report[sink] = { missing: missing.length, twice };
      }
      console.log(
        `sinks e2e: ${ids.size} records; ${storedDuringOutage} stored and ${lagDuringOutage} waiting for Splunk during its outage; ${JSON.stringify(report)}`,
      );
      // Collection went on while Splunk was down, and Splunk's events waited in the store.
      expect(storedDuringOutage).toBeGreaterThan(0);
      expect(lagDuringOutage).toBeGreaterThan(0);
      for (const sink of SINK_NAMES) expect(report[sink]?.missing, `${sink} missing`).toBe(0);
      // Only a batch in flight at a failure may arrive twice; Elasticsearch dedupes by _id: exactly once.
      for (const sink of SINK_NAMES)
        expect(report[sink]?.twice, `${sink} twice`).toBeLessThanOrEqual(2 * BATCH);
      expect(report.elastic?.twice).toBe(0);
      expect(receivers.es.documents()).toHaveLength(ids.size);
    },
  );
});
