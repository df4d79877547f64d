/**
 * One content blob of more than 200 MB, replayed by the emulator (its own
 * process), is ingested by the collector (its own process) with a peak
 * resident memory under 300 MB, in reasonable time.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import {
  bundleEntry,
  peakRssMb,
  spawnBundled,
  startEmulatorProcess,
  stopProcess,
  waitFor,
  type CliProcess,
} from './helpers.js';
import { RUN_ARGS, TENANT } from './scenario.js';

const TARGET_BYTES = 205 * 1024 * 1024;
const MAX_RSS_MB = 300;

/** Writes ThreatIntelligence (28) records, one per line, until the file passes `bytes`; returns the count. */
async function writeBigExport(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const padding = 'x'.repeat(600);
  let written = 0;
  let count = 0;
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 1000; i++) {
      const record = {
        Id: randomUUID(),
        RecordType: 28,
        CreationTime: '2026-11-25T10:00:00',
        Operation: 'TIMailData',
        OrganizationId: TENANT,
        UserType: 4,
        UserKey: 'ThreatIntel',
        Workload: 'ThreatIntelligence',
        UserId: 'ThreatIntel',
        Subject: `Invoice ${count} ${padding}`,
        P1Sender: `sender${count % 97}@example.net`,
        Recipients: [`user${count % 31}@contoso.example`],
        Verdict: 'Phish',
        DeliveryAction: 'Blocked',
        NetworkMessageId: randomUUID(),
      };
      chunk += `${JSON.stringify(record)}\n`;
      count++;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return count;
}

describe('a 200 MB blob', () => {
  let dir = '';
  const procs: CliProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    `is stored completely with the collector's peak memory under ${MAX_RSS_MB} MB`,
    { timeout: 150_000 },
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'atp-big-'));
      const exportFile = path.join(dir, 'big.ndjson');
      const config = path.join(dir, 'collector.yaml');
      const data = path.join(dir, 'data');
      const [records, bundle] = await Promise.all([
        writeBigExport(exportFile, TARGET_BYTES),
        bundleEntry('test/e2e/run-collector.ts', 'run-collector'),
      ]);
      expect((await stat(exportFile)).size).toBeGreaterThanOrEqual(200 * 1024 * 1024);

      const emulator = await startEmulatorProcess([
        '--tenant',
        TENANT,
        '--replay',
        exportFile,
        '--records-per-blob',
        '0',
        '--log-level',
        'warn',
        '--write-config',
        config,
      ]);
      procs.push(emulator);

      const started = Date.now();
      const collector = spawnBundled(bundle, ['run', '--config', config, '--data', data, ...RUN_ARGS]);
      procs.push(collector);
      let peak = 0;
      await waitFor(
        async () => {
          if (collector.proc.exitCode !== null) throw new Error(`collector exited: ${collector.stderr()}`);
          peak = Math.max(peak, peakRssMb(collector.proc.pid ?? -1) ?? 0);
          const store = await openStore({ dataDir: data, readonly: true }).catch(() => undefined);
          if (!store) return false;
          try {
            const general = (await store.status()).find((s) => s.contentType === 'Audit.General');
            return general !== undefined && general.blobsDelivered === 1;
          } finally {
            await store.close();
          }
        },
        'the big blob to be delivered',
        120_000,
        500,
      );
      const seconds = (Date.now() - started) / 1000;
      peak = Math.max(peak, peakRssMb(collector.proc.pid ?? -1) ?? 0);
      await stopProcess(collector);

      const store = await openStore({ dataDir: data, readonly: true });
      const general = (await store.status()).find((s) => s.contentType === 'Audit.General');
      await store.close();
      expect(general?.records).toBe(records);
      expect(general?.blobsDropped).toEqual({});
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(MAX_RSS_MB);
      console.log(`big blob: ${records} records, peak RSS ${peak.toFixed(0)} MB, ${seconds.toFixed(1)} s`);
    },
  );
});
