/** `atp-siem demo`: records arrive within seconds, and Ctrl-C stops everything cleanly. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRsyslog, type Rsyslog } from '../servers/rsyslog.js';
import { spawnCli, stopProcess, waitFor, type CliProcess } from './helpers.js';

describe('atp-siem demo', () => {
  let dir = '';
  let demo: CliProcess | undefined;
  let rsyslog: Rsyslog | undefined;
  afterEach(async () => {
    await stopProcess(demo);
    await rsyslog?.close();
    rsyslog = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses to serve the dashboard on a non-loopback address without credentials, saying how to set them', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-demo-listen-'));
    demo = spawnCli(['demo', '--data', dir, '--listen', '0.0.0.0:0']);
    expect(await demo.exited).not.toBe(0);
    expect(demo.stderr()).toMatch(/not a loopback address.*listen_auth\.token/s);
  });

  it('says where the dashboard is and serves it on loopback', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-demo-dash-'));
    demo = spawnCli(['demo', '--data', dir, '--listen', '127.0.0.1:0', '--interval', '60']);
    const line = await waitFor(
      () => demo?.stdoutLines.find((l) => /dashboard: open http:\/\/127\.0\.0\.1:\d+\/ in a browser/.test(l)),
      'the dashboard line',
      40_000,
    );
    const url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1] ?? '';
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<title>');
    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  });

  it('shows records arriving and stops cleanly on SIGINT', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-demo-'));
    demo = spawnCli(['demo', '--data', dir, '--interval', '1']);
    const line = await waitFor(
      () => {
        if (demo?.proc.exitCode !== null) throw new Error(`demo exited: ${demo?.stderr()}`);
        return demo.stdoutLines.find((l) => /stored [1-9]\d* new records/.test(l));
      },
      'a summary line with stored records',
      40_000,
    );
    expect(line).toMatch(/ThreatIntelligence \d+/);
    expect(demo.stdoutLines.join('\n')).toContain(`atp-siem status --data ${dir}`);
    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stdoutLines.at(-1)).toMatch(/^Stopped\./);
  });

  it('with --syslog and --file, delivers CEF to a real rsyslog and ECS lines to the file within seconds', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-demo-sinks-'));
    rsyslog = await startRsyslog();
    const file = path.join(dir, 'events.ndjson');
    demo = spawnCli([
      'demo',
      '--data',
      path.join(dir, 'data'),
      '--interval',
      '1',
      '--syslog',
      `tcp://127.0.0.1:${rsyslog.tcpPort}`,
      '--file',
      file,
    ]);
    const syslogLines = await rsyslog.waitFor((lines) => lines.some((l) => l.includes('CEF:0|Microsoft|')), {
      timeoutMs: 40_000,
    });
    expect(syslogLines.find((l) => l.includes('CEF:0|'))).toMatch(/^<\d+>1 \S+ \S+ atp-siem /);
    const line = await waitFor(
      () =>
        existsSync(file)
          ? readFileSync(file, 'utf8')
              .split('\n')
              .find((l) => l.startsWith('{'))
          : undefined,
      'an ECS line in the file',
      40_000,
    );
    expect(JSON.parse(line)).toHaveProperty('@timestamp');
    const summary = await waitFor(
      () => demo?.stdoutLines.find((l) => /delivered: demo-syslog [1-9]\d*, demo-file [1-9]\d*/.test(l)),
      'a summary line counting both sinks',
      40_000,
    );
    expect(summary).toContain('stored');
    expect(demo.stdoutLines.join('\n')).toContain('delivering CEF over syslog (RFC 5424)');
    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  });
});
