import { afterEach, describe, expect, it } from 'vitest';
import { extractIndex } from '../schema/index.js';
import { inlineIndexer, startIndexPool, type RecordIndexer } from './index-pool.js';

const RECORDS = [
  {
    Id: 'a',
    RecordType: 28,
    CreationTime: '2026-11-20T10:00:00',
    Operation: 'TIMailData',
    Workload: 'ThreatIntelligence',
  },
  { Id: 'b', RecordType: 41, CreationTime: '2026-11-20T10:01:00', Operation: 'TIUrlClickData' },
  { Id: 'c', RecordType: 'not a number' },
].map((value) => ({ raw: JSON.stringify(value), value }));

describe('index pool', () => {
  let pool: RecordIndexer | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('computes in a worker thread exactly what extractIndex computes inline, in order', async () => {
    let fellBack: Error | undefined;
    pool = await startIndexPool({ fallback: extractIndex, workers: 1, onFallback: (e) => (fellBack = e) });
    expect(fellBack).toBeUndefined();
    const [fromWorker, inline] = await Promise.all([
      pool.index(RECORDS),
      inlineIndexer(extractIndex).index(RECORDS),
    ]);
    expect(fromWorker).toEqual(inline);
    expect(fromWorker[0]?.recordType).toBe(28);
  });

  it('indexes inline when the workers cannot start in time', async () => {
    let fellBack: Error | undefined;
    pool = await startIndexPool({
      fallback: extractIndex,
      workers: 1,
      readyMs: 1,
      onFallback: (e) => (fellBack = e),
    });
    expect(fellBack?.message).toMatch(/did not start/);
    expect(await pool.index(RECORDS)).toEqual(RECORDS.map((r) => extractIndex(r.value)));
  });
});
