import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.js';
import { makeBlob, makeRecord } from './testing.js';

/** One step of a collector's life: a chunk, a whole blob, or a restart. Ids come from a small pool so they repeat. */
const step = fc.oneof(
  fc.record({
    kind: fc.constant('chunk' as const),
    ids: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 90 }),
  }),
  fc.record({
    kind: fc.constant('commit' as const),
    ids: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 90 }),
  }),
  fc.record({ kind: fc.constant('restart' as const) }),
);

describe('store under any mix of chunks, commits, repeats and restarts', () => {
  it('stores each Id once, in offset order of first arrival, with counts that add up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const dir = mkdtempSync(join(tmpdir(), 'atp-siem-prop-'));
        let store: Store = await openStore({ dataDir: dir });
        try {
          const firstSeen: string[] = [];
          let inserted = 0;
          let duplicates = 0;
          for (const s of steps) {
            if (s.kind === 'restart') {
              await store.close();
              store = await openStore({ dataDir: dir });
              continue;
            }
            const records = s.ids.map((n) => makeRecord({ Id: `id-${n}` }));
            for (const r of records) if (!firstSeen.includes(r.id)) firstSeen.push(r.id);
            const blob = makeBlob();
            const result = await (s.kind === 'chunk'
              ? store.storeRecords(blob, records)
              : store.commitBlob(blob, records));
            expect(result.inserted + result.duplicates).toBe(records.length);
            inserted += result.inserted;
            duplicates += result.duplicates;
          }
          const stored = await store.readFrom(0, 10_000);
          expect(stored.map((r) => r.id)).toEqual(firstSeen);
          expect(inserted).toBe(firstSeen.length);
          const [status] = await store.status();
          expect(status?.records ?? 0).toBe(firstSeen.length);
          expect(status?.duplicates ?? 0).toBe(duplicates);
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });
});
