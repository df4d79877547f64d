/**
 * Delivery end to end: the emulator, `atp-siem run` with every sink type configured at once, and each
 * sink's receiver. One SIEM is down for a long stretch mid-run; collection goes on, and once it is back
 * every sink holds every stored record.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { readStore, spawnCli, stopProcess, waitFor, type CliProcess } from './helpers.js';
import { awaitSnapshotStored, RUN_ARGS } from './scenario.js';
import {
  awaitSinksCaughtUp,
  deliveryReport,
  SINK_NAMES,
  startDeliveryScenario,
  storeView,
  type DeliveryScenario,
} from './sinks-scenario.js';

const BATCH = 200;

describe('every sink at once', () => {
  const procs: CliProcess[] = [];
  let scenario: DeliveryScenario | undefined;
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    await scenario?.receivers.close();
    if (scenario) await rm(scenario.dir, { recursive: true, force: true });
    scenario = undefined;
  });

  it(
    'delivers every stored record to every sink while one SIEM is down for a stretch, collection never pausing',
    { timeout: 240_000 },
    async () => {
      scenario = await startDeliveryScenario({ maxEvents: BATCH });
      const { receivers, config, data, gtFile } = scenario;
      procs.push(scenario.emulator);
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
      await awaitSinksCaughtUp(collector, data, 90_000);
      await stopProcess(collector);
      procs.splice(procs.indexOf(collector), 1);

      const report = await deliveryReport(receivers, data);
      console.log(
        `sinks e2e: ${report.records} records; ${storedDuringOutage} stored and ${lagDuringOutage} waiting for ` +
          `Splunk during its outage; missing ${JSON.stringify(report.missing)}; twice ${JSON.stringify(report.twice)}`,
      );
      // Collection went on while Splunk was down, and Splunk's events waited in the store.
      expect(storedDuringOutage).toBeGreaterThan(0);
      expect(lagDuringOutage).toBeGreaterThan(0);
      for (const sink of SINK_NAMES) expect(report.missing[sink], `${sink} missing`).toBe(0);
      // Only a batch in flight at a failure may arrive twice; Elasticsearch dedupes by _id: exactly once.
      for (const sink of SINK_NAMES)
        expect(report.twice[sink], `${sink} twice`).toBeLessThanOrEqual(2 * BATCH);
      expect(report.twice.elastic).toBe(0);
      expect(receivers.es.documents()).toHaveLength(report.records);
    },
  );
});
