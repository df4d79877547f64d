/**
 * Delivery survives kill -9: `atp-siem run` with every sink type is killed with SIGKILL at random moments
 * while it delivers, at least 10 times, and restarted each time; in the end every sink holds every stored
 * record (at least once; Elasticsearch exactly once).
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundleEntry,
  spawnBundled,
  spawnCli,
  startEmulatorProcess,
  stopProcess,
  waitFor,
  type CliProcess,
} from './helpers.js';
import { awaitSnapshotStored, EMULATOR_ARGS, RUN_ARGS } from './scenario.js';
import { SINK_NAMES, startReceivers, storeView, type Receivers } from './sinks-scenario.js';

const KILLS = 10;

describe('delivery killed with SIGKILL again and again', () => {
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
    `every sink catches up with everything stored after ${KILLS} kill -9 restarts mid-delivery`,
    { timeout: 240_000 },
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'atp-sinks-crash-'));
      const gtFile = path.join(dir, 'ground-truth.ndjson');
      const config = path.join(dir, 'collector.yaml');
      const data = path.join(dir, 'data');
      const emulator = await startEmulatorProcess([
        ...EMULATOR_ARGS,
        '--history-records',
        '8000',
        '--ground-truth',
        gtFile,
        '--write-config',
        config,
      ]);
      procs.push(emulator);
      // Small batches: many commits, so a kill lands between a batch's send and its commit often.
      receivers = await startReceivers(dir, { maxEvents: 25 });
      await appendFile(config, `\n${receivers.yaml}`);
      const setup = spawnCli(['sinks', 'setup', 'elastic', '--config', config], receivers.env);
      expect(await setup.exited).toBe(0);
      const runArgs = ['run', '--config', config, '--data', data, ...RUN_ARGS];
      const bundle = await bundleEntry('test/e2e/run-collector.ts', 'run-collector');
      const spawnRun = (): CliProcess => {
        const p = spawnBundled(bundle, runArgs, receivers?.env);
        procs.push(p);
        return p;
      };

      let kills = 0;
      let killedMidDelivery = 0;
      while (kills < KILLS) {
        const collector = spawnRun();
        await waitFor(
          () => collector.stderr().includes('Collector started') || collector.proc.exitCode !== null,
          'the collector to start',
          20_000,
          20,
        );
        expect(collector.proc.exitCode, collector.stderr()).toBeNull();
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 1200));
        const { lag } = await storeView(data).catch(() => ({ lag: {} as Record<string, number> }));
        collector.kill('SIGKILL');
        expect(await collector.exited).toBe('SIGKILL');
        procs.splice(procs.indexOf(collector), 1);
        kills++;
        if (SINK_NAMES.some((s) => (lag[s] ?? 0) > 0)) killedMidDelivery++;
      }

      const last = spawnRun();
      await waitFor(
        () => last.stderr().includes('Collector started'),
        'the last collector to start',
        20_000,
        50,
      );
      await awaitSnapshotStored(last, gtFile, data, 60_000);
      await waitFor(
        async () => {
          const { lag } = await storeView(data);
          return SINK_NAMES.every((s) => lag[s] === 0);
        },
        'every sink to catch up',
        120_000,
        500,
      );
      await stopProcess(last);

      const { ids } = await storeView(data);
      const received = await receivers.received(ids);
      const missing: Record<string, number> = {};
      const twice: Record<string, number> = {};
      for (const sink of SINK_NAMES) {
        missing[sink] = [...ids].filter((id) => !received[sink].has(id)).length;
        twice[sink] = [...received[sink].values()].filter((n) => n > 1).length;
      }
      console.log(
        `sinks crash: ${kills} kills (${killedMidDelivery} mid-delivery), ${ids.size} records; ` +
          `missing ${JSON.stringify(missing)}; received twice ${JSON.stringify(twice)}`,
      );
      for (const sink of SINK_NAMES) expect(missing[sink], `${sink} missing`).toBe(0);
      expect(twice.elastic).toBe(0);
      expect(receivers.es.documents()).toHaveLength(ids.size);
      expect(kills).toBeGreaterThanOrEqual(KILLS);
      expect(killedMidDelivery).toBeGreaterThanOrEqual(KILLS / 2);
    },
  );
});
