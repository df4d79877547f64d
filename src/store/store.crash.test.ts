import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, storeFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'atp-siem-crash-'));
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the writer and resolves with the content ids it reported committed, once there are `count`. */
function writeUntil(count: number): Promise<{ committed: string[]; writer: ChildProcess }> {
  const writer = spawn(process.execPath, ['--import', 'tsx', 'src/store/testing-writer.ts', dir], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = writer;
  const committed: string[] = [];
  let partial = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    writer.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    writer.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    writer.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      committed.push(...lines);
      if (committed.length >= count) resolve({ committed: [...committed], writer });
    });
  });
}

describe('crash safety', () => {
  it('a kill -9 mid-write loses no committed blob, stores no partial blob and leaves a sound file', async () => {
    const { committed, writer } = await writeUntil(15);
    // A reader in another process sees consistent progress while the writer is busy.
    const reader = await openStore({ dataDir: dir, readonly: true });
    const [during] = await reader.status();
    expect(during?.records).toBeGreaterThanOrEqual(15 * 200);
    await reader.close();

    writer.removeAllListeners('exit');
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    writer.kill('SIGKILL');
    await exited;

    const db = new Database(storeFile(dir));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const store = await openStore({ dataDir: dir });
    for (const contentId of committed) expect(await store.blobState(contentId)).toBe('delivered');
    const [status] = await store.status();
    const all = await store.readFrom(0, 1_000_000);
    // Chunks of the blob being written when killed may be stored (it is still pending); whole blobs otherwise.
    const delivered = status?.blobsDelivered ?? 0;
    expect(all.length - delivered * 200).toBeGreaterThanOrEqual(0);
    expect(all.length - delivered * 200).toBeLessThanOrEqual(100);
    expect(status?.records).toBe(all.length);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    await store.close();
  });
});
