/** The shared emulator scenario and the comparison of a store with the emulator's ground truth. */
import {
  readGroundTruth,
  readStore,
  waitFor,
  type CliProcess,
  type GroundTruth,
  type StoreContents,
} from './helpers.js';

export const TENANT = '6a1c2e4f-0b1d-4c3e-9f5a-7b8c9d0e1f2a';

/**
 * A day of history and live content at 60× time compression (a wall second
 * is an emulated minute); `--fault-rate` also turns on late and duplicate
 * blobs. The collector polls every second and sweeps for stragglers every 2 s.
 */
export const EMULATOR_ARGS = [
  '--tenant',
  TENANT,
  '--seed',
  '7',
  '--history',
  '1d',
  '--history-records',
  '3000',
  '--rate',
  '20',
  '--speed',
  '60',
  '--log-level',
  'warn',
];

export const RUN_ARGS = [
  '--listen',
  '127.0.0.1:0',
  '--poll-interval',
  '1s',
  '--straggler-interval',
  '2s',
  '--retry-base',
  '200ms',
  '--no-progress',
];

export interface Comparison {
  expected: number;
  missing: string[];
  unexpected: string[];
  storedTwice: string[];
}

/**
 * Expected = every record Id published in a blob that was neither published
 * already expiring, nor reported lost by the emulator, nor dropped (with a
 * reason) by the collector. Stored must contain all of it, nothing outside
 * the ground truth, and nothing twice.
 */
export function compareWithGroundTruth(
  gt: GroundTruth,
  stored: StoreContents,
  /** The ground truth read after the collector stopped (live content kept coming): bounds "unexpected". */
  gtAfter: GroundTruth = gt,
): Comparison {
  const expected = new Set<string>();
  for (const [contentId, blob] of gt.blobs) {
    const excused = blob.expiring || gt.lost.has(contentId) || stored.states.get(contentId) === 'dropped';
    if (!excused) for (const id of blob.ids) expected.add(`${blob.tenantId}/${id}`);
  }
  const all = new Set<string>();
  for (const blob of gtAfter.blobs.values()) for (const id of blob.ids) all.add(`${blob.tenantId}/${id}`);
  const missing = [...expected].filter((k) => !stored.ids.has(k)).slice(0, 20);
  const unexpected = [...stored.ids.keys()].filter((k) => !all.has(k)).slice(0, 20);
  const storedTwice = [...stored.ids].filter(([, n]) => n > 1).map(([k]) => k);
  return { expected: expected.size, missing, unexpected, storedTwice };
}

/**
 * Live content keeps coming, so the check is against a snapshot: everything
 * published up to now must end up stored (waits for it while the collector
 * runs). Returns the snapshot.
 */
export async function awaitSnapshotStored(
  collector: CliProcess,
  gtFile: string,
  dataDir: string,
  timeoutMs: number,
): Promise<GroundTruth> {
  const gt = await readGroundTruth(gtFile);
  await waitFor(
    async () => {
      if (collector.proc.exitCode !== null) throw new Error(`collector exited: ${collector.stderr()}`);
      const stored = await readStore(dataDir, gt.blobs.keys());
      return compareWithGroundTruth(gt, stored).missing.length === 0;
    },
    'the collector to store the ground truth',
    timeoutMs,
    500,
  );
  return gt;
}

/**
 * After the collector stopped: what the snapshot holds must be stored, and
 * nothing outside what the emulator has published by now.
 */
export async function finalComparison(
  gt: GroundTruth,
  gtFile: string,
  dataDir: string,
): Promise<{ result: Comparison; stored: StoreContents }> {
  const gtAfter = await readGroundTruth(gtFile);
  const stored = await readStore(dataDir, gt.blobs.keys());
  return { result: compareWithGroundTruth(gt, stored, gtAfter), stored };
}
