import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import { makeBlob, makeRecord, TENANT } from '../store/testing.js';
import { runCommand } from './common.test-util.js';
import { explainFailure, register } from './sinks.js';

let dir: string;
const SECRET = 'whsec-Zx9~super.secret-value-1234';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-siem-sinkscli-'));
  process.env.ATP_SIEM_TEST_HOOK = SECRET;
  process.exitCode = undefined;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.ATP_SIEM_TEST_HOOK;
  process.exitCode = undefined;
});

function writeConfig(): string {
  const file = join(dir, 'atp-siem.yaml');
  writeFileSync(
    file,
    `data_dir: ./data
tenants:
  - tenant_id: "5b0e2a43-6f1c-4c3e-9d27-2d7c5a0e9a11"
    client_id: "9a3c1f0e-8f0b-4d7c-a2e9-1c0b7e5d3f22"
    client_secret: { env: ATP_SIEM_TEST_HOOK }
sinks:
  - name: archive
    type: file
    path: ./out.ndjson
  - name: nowhere
    type: webhook
    url: http://127.0.0.1:1/hook
    secret: { env: ATP_SIEM_TEST_HOOK }
    timeout: 2s
`,
  );
  return file;
}

async function seed(n: number): Promise<string[]> {
  const store = await openStore({ dataDir: join(dir, 'data') });
  const records = Array.from({ length: n }, () => makeRecord({}, { recordType: 28, verdict: 'Phish' }));
  await store.commitBlob(makeBlob(), records);
  await store.close();
  return records.map((r) => r.id);
}

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

describe('atp-siem sinks', () => {
  it('status shows each configured sink with its lag, state and last error, secrets scrubbed', async () => {
    await seed(3);
    const store = await openStore({ dataDir: join(dir, 'data') });
    await store.initSinkOffset('archive', { kind: 'oldest' });
    await store.setSinkState('nowhere', 'blocked', `HTTP 401 for Bearer ${SECRET}`, true);
    await store.close();
    const config = writeConfig();
    const table = await runCommand(register, ['sinks', 'status', '--config', config]);
    expect(table).toMatch(/archive\s+file\s+closed\s+0\s+3/);
    expect(table).toMatch(/nowhere\s+webhook\s+blocked/);
    expect(table).toContain('Bearer [redacted]');
    expect(table).not.toContain(SECRET);
    const json = JSON.parse(
      await runCommand(register, ['sinks', 'status', '--config', config, '--json']),
    ) as {
      sink: string;
      lagEvents: number;
    }[];
    expect(json.map((s) => [s.sink, s.lagEvents])).toEqual([
      ['archive', 3],
      ['nowhere', 3],
    ]);
  });

  it('test sends one marked test event and says it was delivered', async () => {
    await seed(0);
    const out = await runCommand(register, ['sinks', 'test', 'archive', '--config', writeConfig()]);
    expect(out).toMatch(/archive: .*delivered/);
    const [line] = lines(join(dir, 'out.ndjson'));
    expect(line).toContain('AtpSiemSinkTest');
    expect(process.exitCode).toBeUndefined();
  });

  it('test explains an unreachable SIEM with the fix and fails', async () => {
    await seed(0);
    const out = await runCommand(register, ['sinks', 'test', 'nowhere', '--config', writeConfig()]);
    expect(out).toMatch(/nowhere: .*ECONNREFUSED/);
    expect(out).toMatch(/fix: Nothing listens at the configured address/);
    expect(out).not.toContain(SECRET);
    expect(process.exitCode).toBe(1);
  });

  it('replay delivers a stored range again and leaves the live offset where it was', async () => {
    const ids = await seed(4);
    const config = writeConfig();
    const out = await runCommand(register, [
      'sinks',
      'replay',
      'archive',
      '--config',
      config,
      '--since',
      '1h',
    ]);
    expect(out).toMatch(/replay done: 4 delivered, 0 dead-lettered/);
    const written = lines(join(dir, 'out.ndjson'));
    expect(ids.every((id) => written.some((l) => l.includes(id)))).toBe(true);
    const store = await openStore({ dataDir: join(dir, 'data') });
    expect(await store.getSinkOffset('archive')).toBe(0);
    await store.close();
  });

  it('replay to a SIEM that stays down gives up after a few attempts, says the fix and fails', async () => {
    await seed(2);
    const out = await runCommand(register, [
      'sinks',
      'replay',
      'nowhere',
      '--config',
      writeConfig(),
      '--since',
      '1h',
    ]);
    expect(out).toMatch(/nowhere: replay stopped, the SIEM keeps failing: .*ECONNREFUSED/);
    expect(out).toMatch(/fix: Nothing listens/);
    expect(out).not.toContain(SECRET);
    expect(process.exitCode).toBe(1);
  });

  it('dead-letter lists the refused events with reasons, and --retry sends them again and clears them', async () => {
    await seed(2);
    const store = await openStore({ dataDir: join(dir, 'data') });
    const records = await store.readFrom(0, 10);
    await store.commitSinkProgress('archive', {
      offset: records.at(-1)!.offset,
      delivered: 0,
      filtered: 0,
      deadLetters: records.map((r) => ({
        offset: r.offset,
        tenantId: TENANT,
        recordId: r.id,
        raw: r.raw,
        reason: 'mapper_parsing_exception: failed to parse field [x]',
      })),
    });
    await store.close();
    const config = writeConfig();
    const listed = await runCommand(register, ['sinks', 'dead-letter', 'archive', '--config', config]);
    expect(listed).toContain('mapper_parsing_exception');
    expect(listed).toContain(records[0]!.id);
    const retried = await runCommand(register, [
      'sinks',
      'dead-letter',
      'archive',
      '--config',
      config,
      '--retry',
    ]);
    expect(retried).toMatch(/2 dead letters delivered, 0 refused again/);
    expect(lines(join(dir, 'out.ndjson'))).toHaveLength(2);
    expect(await runCommand(register, ['sinks', 'dead-letter', 'archive', '--config', config])).toMatch(
      /no dead letters/,
    );
  });

  it('setup says when a sink type needs nothing installed', async () => {
    await seed(0);
    expect(await runCommand(register, ['sinks', 'setup', 'archive', '--config', writeConfig()])).toMatch(
      /a file sink needs nothing set up/,
    );
  });
});

describe('explainFailure', () => {
  it('turns the usual failures into the fix an operator makes', () => {
    expect(explainFailure('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8088')).toMatch(/Nothing listens/);
    expect(explainFailure('HEC answered HTTP 403: {"text":"Invalid token","code":4}')).toMatch(/credential/);
    expect(explainFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify')).toMatch(/tls.ca_file/);
    expect(explainFailure('timed out (no answer within the sink timeout)')).toMatch(/firewall/);
  });
});
