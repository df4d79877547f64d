import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../api/index.js';
import { Secret } from '../config/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js';
import { checkTenant, formatResult, runDoctor, type CheckResult } from './doctor.js';
import { tenantForEmulator } from '../api/testing/emulator-tenant.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LIMITED_CLIENT = '0f1e2d3c-4b5a-4968-8776-655443322110';

let dir: string;
let emu: Emulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atp-siem-doctor-'));
});

afterEach(async () => {
  await emu?.close();
  emu = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({ logLevel: 'silent', rate: 0, historyMs: 0, historyRecords: 0, ...options });
  return emu;
}

function doctor(config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'doctor', '--config', config],
      { cwd: ROOT, env: { ...process.env, ATP_SIEM_LOG_LEVEL: 'silent' } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function doctorInProcess(config: string): Promise<{ results: CheckResult[]; output: string }> {
  let output = '';
  const results = await runDoctor({ config }, (text) => (output += text));
  return { results, output };
}

describe('atp-siem doctor', () => {
  it('passes on the configuration the emulator writes, and prints no secret', async () => {
    const config = path.join(dir, 'atp-siem.yaml');
    const e = await start({ writeConfig: config });
    const { code, stdout, stderr } = await doctor(config);
    expect(stdout).toMatch(/^OK {3}config: .*atp-siem\.yaml \(1 tenant\)$/m);
    expect(stdout).toMatch(/^OK {3}emulated-1: token: acquired from http:\/\/127\.0\.0\.1:\d+/m);
    expect(stdout).toMatch(
      /^WARN emulated-1: subscription Audit\.General: not started\n {5}fix: `atp-siem run` starts it/m,
    );
    expect(stdout).toMatch(/^OK {3}emulated-1: permissions: content listing allowed/m);
    expect(stdout).toMatch(/^OK {3}emulated-1: clock: skew -?\d+ s/m);
    expect(stdout).toContain('All checks passed.');
    expect(code).toBe(0);
    expect(stdout + stderr).not.toContain(e.clientSecret);
  });

  it('checks every sink: OK for one it reaches, FAIL with the fix for one nothing listens for', async () => {
    const config = path.join(dir, 'atp-siem.yaml');
    await start({ writeConfig: config });
    const out = path.join(dir, 'out.ndjson');
    await writeFile(
      config,
      `${await readFile(config, 'utf8')}
sinks:
  - { name: archive, type: file, path: ${JSON.stringify(out)} }
  - { name: hook, type: webhook, url: "http://127.0.0.1:1/hook", secret: { env: DOCTOR_HOOK_SECRET }, timeout: 2s }
`,
    );
    process.env.DOCTOR_HOOK_SECRET = 'doctor-hook-secret-0123456789';
    try {
      const { results, output } = await doctorInProcess(config);
      expect(results.find((r) => r.name === 'sink archive')).toMatchObject({ status: 'OK' });
      expect(results.find((r) => r.name === 'sink hook')).toMatchObject({
        status: 'FAIL',
        fix: expect.stringContaining('Nothing listens'),
      });
      expect(output).not.toContain('doctor-hook-secret');
    } finally {
      delete process.env.DOCTOR_HOOK_SECRET;
    }
  });

  it('fails the token check with the fix when the secret is wrong, without printing it', async () => {
    const config = path.join(dir, 'atp-siem.yaml');
    await start({ writeConfig: config });
    const secretFile = path.join(dir, 'atp-siem.secret');
    expect(await readFile(secretFile, 'utf8')).not.toBe('');
    await writeFile(secretFile, 'not-the-right-secret\n');
    const { results, output } = await doctorInProcess(config);
    expect(output).toMatch(/^FAIL emulated-1: token: .*AADSTS7000215/m);
    expect(output).toMatch(/fix: check tenant_id, client_id and the client secret/);
    expect(results.filter((r) => r.status === 'FAIL')).toHaveLength(1);
    expect(output).not.toContain('not-the-right-secret');
  });

  it('fails on an invalid configuration, naming each key', async () => {
    const config = path.join(dir, 'bad.yaml');
    await writeFile(config, 'tenants:\n  - tenant_id: nope\n    client_secret: "literal"\n');
    const { results, output } = await doctorInProcess(config);
    expect(output).toMatch(/^FAIL config: Configuration .*bad\.yaml is invalid:/m);
    expect(output).toContain('tenants[0].tenant_id');
    expect(output).toContain('tenants[0].client_id');
    expect(output).not.toContain('literal"');
    expect(results).toEqual([expect.objectContaining({ status: 'FAIL', name: 'config' })]);
  });

  it('explains AF10001 when the app lacks ActivityFeed.ReadDlp for DLP.All', async () => {
    const e = await start({
      extraClients: [{ clientId: LIMITED_CLIENT, clientSecret: 'limited', roles: ['ActivityFeed.Read'] }],
    });
    const tenant = tenantForEmulator(e, {
      clientId: LIMITED_CLIENT,
      credential: { kind: 'secret', secret: new Secret('limited') },
      contentTypes: ['Audit.General', 'DLP.All'],
    });
    const client = createApiClient(tenant, { logger: pino({ level: 'silent' }) });
    try {
      const results = await checkTenant(tenant, client);
      const permissions = results.find((r) => r.name === 'emulated: permissions');
      expect(permissions).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/AF10001.*DLP\.All/),
      });
      expect(formatResult(permissions!)).toMatch(
        /fix: add the application permission ActivityFeed.Read \(and ActivityFeed.ReadDlp/,
      );
    } finally {
      await client.close();
    }
  });

  it('warns when the server clock is more than a minute off', async () => {
    const e = await start({ clockSkewMs: 5 * 60_000 });
    const tenant = tenantForEmulator(e);
    const client = createApiClient(tenant, { logger: pino({ level: 'silent' }) });
    try {
      const results = await checkTenant(tenant, client);
      const clock = results.find((r) => r.name === 'emulated: clock');
      expect(clock?.status).toBe('WARN');
      const seconds = Number(/skew (-?\d+) s/.exec(clock?.detail ?? '')?.[1]);
      expect(Math.abs(seconds - 300)).toBeLessThanOrEqual(3);
    } finally {
      await client.close();
    }
  });
});
