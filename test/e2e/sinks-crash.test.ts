/**
 * Delivery survives kill -9: `atp-siem run` with every sink type is killed with SIGKILL at random moments
 * while it delivers, at least 10 times, and restarted each time; in the end every sink holds every stored
 * record (at least once; Elasticsearch exactly once).
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleEntry, spawnBundled, spawnCli, stopProcess, waitFor, type CliProcess } from './helpers.js';
import { awaitSnapshotStored, RUN_ARGS } from './scenario.js';
import {
  awaitSinksCaughtUp,
  deliveryReport,
  SINK_NAMES,
  startDeliveryScenario,
  storeView,
  type DeliveryScenario,
} from './sinks-scenario.js';

const KILLS = 10;

describe('delivery killed with SIGKILL again and again', () => {
  const procs: CliProcess[] = [];
  let scenario: DeliveryScenario | undefined;
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    await scenario?.receivers.close();
    if (scenario) await rm(scenario.dir, { recursive: true, force: true });
    scenario = undefined;
  });

  it(
    `every sink catches up with everything stored after ${KILLS} kill -9 restarts mid-delivery`,
    { timeout: 240_000 },
    async () => {
      // Small batches: many commits, so a kill often lands between a batch's send and its commit.
      scenario = await startDeliveryScenario({ maxEvents: 25, extraArgs: ['--history-records', '8000'] });
      const { receivers, config, data, gtFile } = scenario;
      procs.push(scenario.emulator);
      // As an operator would with a write-only credential: the index template first (`sinks setup`).
      const setup = spawnCli(['sinks', 'setup', 'elastic', '--config', config], receivers.env);
      expect(await setup.exited, setup.stderr()).toBe(0);
      const runArgs = ['run', '--config', config, '--data', data, ...RUN_ARGS];
      const bundle = await bundleEntry('test/e2e/run-collector.ts', 'run-collector');
      const spawnRun = (): CliProcess => {
        const p = spawnBundled(bundle, runArgs, receivers.env);
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
      await awaitSinksCaughtUp(last, data, 120_000);
      await stopProcess(last);

      const report = await deliveryReport(receivers, data);
      console.log(
        `sinks crash: ${kills} kills (${killedMidDelivery} mid-delivery), ${report.records} records; ` +
          `missing ${JSON.stringify(report.missing)}; received twice ${JSON.stringify(report.twice)}`,
      );
      for (const sink of SINK_NAMES) expect(report.missing[sink], `${sink} missing`).toBe(0);
      expect(report.twice.elastic).toBe(0);
      expect(receivers.es.documents()).toHaveLength(report.records);
      expect(kills).toBeGreaterThanOrEqual(KILLS);
      expect(killedMidDelivery).toBeGreaterThanOrEqual(KILLS / 2);
    },
  );
});
