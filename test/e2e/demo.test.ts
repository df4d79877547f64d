/** `atp-siem demo`: records arrive within seconds, and Ctrl-C stops everything cleanly. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, stopProcess, waitFor, type CliProcess } from './helpers.js';

describe('atp-siem demo', () => {
  let dir = '';
  let demo: CliProcess | undefined;
  afterEach(async () => {
    await stopProcess(demo);
    if (dir) await rm(dir, { recursive: true, force: true });
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
});
