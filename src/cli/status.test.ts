import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreNotFoundError } from '../store/index.js';
import { makeBlob, makeRecord, TENANT } from '../store/testing.js';
import { runCommand, spawnCli } from './common.test-util.js';
import { register, type StatusLine } from './status.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'Zx9~super.secret-value';

/** A store with one busy stream (records, an invalid one, a duplicate, drops, a pending blob, an error) and one idle. */
async function seed(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const created = new Date(Date.now() - 3 * 3_600_000 - 5 * 60_000).toISOString();
  const blobs = [makeBlob(created), makeBlob(), makeBlob(), makeBlob()];
  await store.recordListing(TENANT, 'Audit.General', blobs, new Date().toISOString());
  const record = makeRecord();
  await store.commitBlob(blobs[0]!, [
    record,
    record,
    makeRecord({}, { invalidReason: 'RecordType missing' }),
  ]);
  await store.dropBlob(blobs[1]!, 'expired', 'AF20051');
  await store.dropBlob(blobs[2]!, 'malformed', 'not JSON');
  await store.setLastError(
    TENANT,
    'Audit.General',
    `token request failed: client_secret=${SECRET}&grant_type=client_credentials; Authorization: Bearer ${SECRET}`,
    new Date().toISOString(),
  );
  await store.recordListing(TENANT, 'Audit.Exchange', [], new Date().toISOString());
  await store.close();
}

describe('atp-siem status', () => {
  it('prints cursor, lag, counts, drops by reason and the last error per content type, without secrets', async () => {
    await seed(dir);
    const out = await runCommand(register, ['status', '--data', dir]);
    expect(out).toContain(`Tenant ${TENANT}`);
    const general = out.split('\n').find((l) => l.startsWith('Audit.General')) ?? '';
    expect(general).toMatch(/ 3h 5m +2 +1 +1 +1\/1 +expired=1 malformed=1 /);
    expect(general).toContain('token request failed');
    expect(out.split('\n').find((l) => l.startsWith('Audit.Exchange'))).toMatch(
      /Audit\.Exchange +\S+ +- +0 +0 +0 +0\/0 +- +-$/,
    );
    expect(out).toContain('`atp-siem events --type all` shows them');
    expect(out).not.toContain(SECRET);
  });

  it('prints JSON for scripts with the same facts and no secrets', async () => {
    await seed(dir);
    const lines = JSON.parse(await runCommand(register, ['status', '--data', dir, '--json'])) as StatusLine[];
    expect(lines.map((l) => l.contentType)).toEqual(['Audit.Exchange', 'Audit.General']);
    const general = lines[1]!;
    expect(general).toMatchObject({
      tenantId: TENANT,
      records: 2,
      invalidRecords: 1,
      duplicates: 1,
      blobsDelivered: 1,
      blobsPending: 1,
      blobsDropped: { expired: 1, malformed: 1 },
    });
    expect(general.lagMs).toBeGreaterThan(3 * 3_600_000);
    expect(general.lastError).toContain('client_secret=[redacted]');
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('finds the store through the config file data_dir, relative to the file', async () => {
    await seed(join(dir, 'state'));
    const config = join(dir, 'atp-siem.yaml');
    writeFileSync(config, 'data_dir: state\ntenants:\n  - id: x\n');
    const out = await runCommand(register, ['status', '--config', config, '--json']);
    expect((JSON.parse(out) as StatusLine[]).length).toBe(2);
  });

  it('says nothing was collected yet, and how to start, when there is no store', async () => {
    await expect(runCommand(register, ['status', '--data', join(dir, 'empty')])).rejects.toBeInstanceOf(
      StoreNotFoundError,
    );
    const run = await spawnCli(['status', '--data', join(dir, 'empty')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nothing has been collected there yet.*atp-siem run.*atp-siem demo/);
  });
});
