/**
 * The `atp-siem emulator` command: spawned from source, it prints one
 * machine-readable listening line, serves the API, writes its config, and
 * stops cleanly on SIGTERM. `--help` names every flag.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function firstLine(proc: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    proc.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
  });
}

describe('emulator command', () => {
  it('prints a listening line with url, tenants and clientId, serves tokens and the API, and exits on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'atp-emu-cli-'));
    const tenant = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'emulator',
        '--port',
        '0',
        '--tenant',
        tenant,
        '--history',
        '1h',
        '--history-records',
        '20',
        '--rate',
        '0',
        '--write-config',
        join(dir, 'emulator.yaml'),
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await firstLine(child);
    expect(line.event).toBe('listening');
    expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(line.tenants).toEqual([tenant]);
    expect(typeof line.clientId).toBe('string');
    const secret = readFileSync(join(dir, 'emulator.secret'), 'utf8').trim();
    expect(line.clientSecret).toBe(secret);

    const tokenRes = await fetch(`${String(line.url)}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: String(line.clientId),
        client_secret: secret,
        scope: 'https://manage.office.com/.default',
      }).toString(),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const start = await fetch(
      `${String(line.url)}/api/v1.0/${tenant}/activity/feed/subscriptions/start?contentType=Audit.General`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${access_token}` },
      },
    );
    expect(start.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('--help explains every flag', () => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out.status).toBe(0);
    const flags = [
      '--port',
      '--host',
      '--tenant',
      '--tenant-state',
      '--client-id',
      '--client-secret',
      '--client-cert',
      '--roles',
      '--resource',
      '--token-lifetime',
      '--seed',
      '--history',
      '--history-records',
      '--rate',
      '--speed',
      '--clock-skew',
      '--page-size',
      '--records-per-blob',
      '--blob-interval',
      '--fault-rate',
      '--fault',
      '--fault-max-consecutive',
      '--slow',
      '--expire-rate',
      '--throttle-limit',
      '--throttle-shared-limit',
      '--throttle-status',
      '--retry-after',
      '--default-window',
      '--start-grace',
      '--legacy-time-error',
      '--start-cooldown',
      '--first-content-delay',
      '--next-page-header',
      '--next-page-v1-path',
      '--next-page-drop-publisher',
      '--replay',
      '--ground-truth',
      '--write-config',
      '--tls-cert',
      '--tls-key',
      '--allow-remote-webhooks',
      '--webhook-ca',
      '--webhook-max-failures',
      '--webhook-retry',
      '--log-level',
    ];
    for (const flag of flags) expect(out.stdout).toMatch(new RegExp(`${flag}[ ,<]`));
  });
});
