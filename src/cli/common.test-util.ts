/**
 * Test helpers for the store commands: run one command in-process against a data folder and
 * capture what it prints, or spawn the real CLI.
 */
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { vi } from 'vitest';

/** Runs `atp-siem <args>` in this process with only `register` wired, returning stdout. */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string> {
  const program = new Command()
    .name('atp-siem')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  register(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await program.parseAsync(['node', 'atp-siem', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

/** Spawns the real CLI from source; resolves with its exit code and output. */
export function spawnCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
