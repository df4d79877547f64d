import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startService, type RunningService } from './run.js';

const HOOK_SECRET = 'run-test-hook-secret-0123456789';
let dir = '';
let emulator: Emulator | undefined;
let service: RunningService | undefined;

afterEach(async () => {
  await service?.stop();
  await emulator?.close();
  service = undefined;
  emulator = undefined;
  delete process.env.RUN_TEST_HOOK_SECRET;
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('atp-siem run with sinks', () => {
  it('delivers to a working sink while another is down and a third cannot start, and shows them in /healthz, /metrics and the store', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-siem-run-'));
    const configFile = path.join(dir, 'atp-siem.yaml');
    emulator = await startEmulator({
      logLevel: 'silent',
      rate: 0,
      historyMs: 3_600_000,
      historyRecords: 300,
      writeConfig: configFile,
    });
    const out = path.join(dir, 'events.ndjson');
    await appendFile(
      configFile,
      `
sinks:
  - { name: archive, type: file, path: ${JSON.stringify(out)}, batch: { max_wait: 100ms } }
  - { name: down, type: webhook, url: "http://127.0.0.1:1/hook", secret: { env: RUN_TEST_HOOK_SECRET }, timeout: 1s }
  - { name: broken, type: webhook, url: "https://127.0.0.1:1/hook", secret: { env: RUN_TEST_HOOK_SECRET }, tls: { ca_file: ./missing-ca.pem } }
`,
    );
    process.env.RUN_TEST_HOOK_SECRET = HOOK_SECRET;
    const config = await loadConfig(configFile);
    service = await startService({
      config,
      dataDir: path.join(dir, 'data'),
      logger: pino({ level: 'silent' }),
      listen: { host: '127.0.0.1', port: 0 },
      overrides: { pollIntervalMs: 500 },
      sinkIdlePollMs: 50,
    });
    const svc = service;
    const stored = () => svc.collector.snapshot().reduce((n, r) => n + r.records, 0);
    await until(() => stored() >= 300);
    const lines = () =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l !== '').length
        : 0;
    await until(() => lines() >= stored());
    const down = () => svc.sinks.snapshot().find((s) => s.sink === 'down');
    await until(() => (down()?.consecutiveFailures ?? 0) >= 1);
    expect(down()?.delivered).toBe(0);

    const health = (await (await fetch(`${svc.url}/healthz`)).json()) as {
      sinks: { sink: string; offset: number }[];
    };
    expect(health.sinks.map((s) => s.sink)).toEqual(['archive', 'down']);
    expect(health.sinks.find((s) => s.sink === 'down')?.offset).toBe(0);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`atp_siem_sink_events_delivered_total\\{sink="archive"\\} ${lines()}`),
    );
    expect(metrics).toMatch(/atp_siem_sink_batches_total\{sink="down",outcome="retryable"\} [1-9]/);
    expect(metrics).toContain('atp_siem_sink_delivery_latency_seconds_bucket{le="0.05",sink="archive"}');
    expect(metrics + JSON.stringify(health)).not.toContain(HOOK_SECRET);
    // The sink that could not start (its CA file is missing) is blocked with the reason, holding its events.
    const [broken] = await svc.store.sinkStatus(new Date().toISOString(), ['broken']);
    expect(broken).toMatchObject({
      state: 'blocked',
      offset: 0,
      lastError: expect.stringContaining('missing-ca.pem'),
    });
    expect(metrics).toContain('atp_siem_sink_state{sink="broken"} 3');
  });
});
