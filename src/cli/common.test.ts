import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDuration, formatTable, parseSince, resolveDataDir, terminalSafe } from './common.js';

const NOW = new Date('2026-01-31T12:00:00.000Z');

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('30m', NOW)).toBe('2026-01-31T11:30:00.000Z');
    expect(parseSince('24h', NOW)).toBe('2026-01-30T12:00:00.000Z');
    expect(parseSince('7d', NOW)).toBe('2026-01-24T12:00:00.000Z');
    expect(parseSince(' 2W ', NOW)).toBe('2026-01-17T12:00:00.000Z');
  });

  it('reads ISO times, taking a time without a zone as UTC like the API does', () => {
    expect(parseSince('2026-01-30T08:15:00Z', NOW)).toBe('2026-01-30T08:15:00.000Z');
    expect(parseSince('2026-01-30T08:15:00', NOW)).toBe('2026-01-30T08:15:00.000Z');
    expect(parseSince('2026-01-30T10:15:00+02:00', NOW)).toBe('2026-01-30T08:15:00.000Z');
    expect(parseSince('2026-01-30', NOW)).toBe('2026-01-30T00:00:00.000Z');
  });

  it('rejects anything else with the accepted forms', () => {
    for (const bad of ['', 'yesterday', '24', 'h', '-1h', '1.5h', '2026-13-45', '2026-01-30T25:00:00Z']) {
      expect(() => parseSince(bad, NOW)).toThrow(
        /use a number and a unit such as 30m, 24h or 7d, or an ISO time/,
      );
    }
  });
});

describe('terminal output', () => {
  it('turns control characters, escape sequences and bidi overrides into visible escapes', () => {
    expect(terminalSafe('a\u001b[2Jb\u0007\u009b\u202e\u2066c\td')).toBe(
      'a\\x1b[2Jb\\x07\\x9b\\u202e\\u2066c\\x09d',
    );
    expect(terminalSafe('plain café ✓')).toBe('plain café ✓');
  });

  it('aligns table columns after escaping, so hostile cells cannot shift the others', () => {
    const table = formatTable(
      ['A', 'B'],
      [
        ['x\u001b', 'y'],
        ['long cell', 'z'],
      ],
    ).split('\n');
    expect(table).toEqual(['A          B', 'x\\x1b      y', 'long cell  z']);
  });

  it('writes durations the short human way', () => {
    expect(
      [45_000, 12 * 60_000, 3_900_000, 2 * 86_400_000 + 4 * 3_600_000, -90_000].map(formatDuration),
    ).toEqual(['45s', '12m', '1h 5m', '2d 4h', '-1m']);
  });
});

describe('resolveDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atp-siem-common-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers --data, then the config data_dir relative to the config file, then ./data', async () => {
    const config = join(dir, 'conf', 'atp-siem.yaml');
    mkdirSync(join(dir, 'conf'));
    // Not a complete config (no credentials): the data folder is still found from it.
    writeFileSync(config, 'data_dir: ../state\ntenants:\n  - id: t1\n');
    expect(await resolveDataDir({ data: 'elsewhere', config })).toBe(resolve('elsewhere'));
    expect(await resolveDataDir({ config })).toBe(join(dir, 'state'));
    expect(await resolveDataDir({})).toBe(resolve('data'));
  });

  it('takes data_dir from a complete config, and ./data when it sets none', async () => {
    process.env.ATP_SIEM_COMMON_TEST_SECRET = 'not-a-real-secret';
    try {
      const tenant = (dataDir: string) =>
        `${dataDir}tenants:\n  - tenant_id: "11111111-2222-3333-4444-555555555555"\n` +
        '    client_id: "66666666-7777-8888-9999-000000000000"\n    client_secret: { env: ATP_SIEM_COMMON_TEST_SECRET }\n';
      const withDir = join(dir, 'full.yaml');
      writeFileSync(withDir, tenant('data_dir: collected\n'));
      expect(await resolveDataDir({ config: withDir })).toBe(join(dir, 'collected'));
      const withoutDir = join(dir, 'nodir.yaml');
      writeFileSync(withoutDir, tenant(''));
      expect(await resolveDataDir({ config: withoutDir })).toBe(resolve('data'));
    } finally {
      delete process.env.ATP_SIEM_COMMON_TEST_SECRET;
    }
  });

  it('reports an unreadable config instead of silently using ./data', async () => {
    await expect(resolveDataDir({ config: join(dir, 'missing.yaml') })).rejects.toThrow(
      /cannot read the file/,
    );
    const noDataDir = join(dir, 'plain.yaml');
    writeFileSync(noDataDir, 'tenants: [\n');
    await expect(resolveDataDir({ config: noDataDir })).rejects.toThrow(/YAML syntax/);
  });
});
