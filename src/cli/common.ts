/**
 * Helpers shared by the commands that touch the store: the `--config` / `--data` options, opening the
 * store, `--since` parsing and terminal-safe table output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadConfig } from '../config/index.js';
import { openStore, type Store } from '../store/index.js';

/** The data folder when neither `--data` nor a config's `data_dir` says otherwise. */
export const DEFAULT_DATA_DIR = './data';

export interface StoreCliOptions {
  config?: string;
  data?: string;
}

/**
 * Adds `--config FILE` and `--data DIR` to a command that touches the store.
 * @example addStoreOptions(program.command('status')).action(async (opts: StoreCliOptions) => ...)
 */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--config <file>', 'configuration file; its data_dir is the data folder unless --data is given')
    .option(
      '--data <dir>',
      `data folder holding the store (default: ${DEFAULT_DATA_DIR}, or the config's data_dir)`,
    );
}

/**
 * The data folder: `--data`, else the config's `data_dir` (relative to the config file), else ./data.
 * Reading the folder needs no secret, so when the full config does not load (a secret's environment
 * variable is unset in this shell, say) its `data_dir` is still read from the YAML on its own.
 */
export async function resolveDataDir(options: StoreCliOptions): Promise<string> {
  if (options.data !== undefined) return path.resolve(options.data);
  if (options.config === undefined) return path.resolve(DEFAULT_DATA_DIR);
  try {
    const config = await loadConfig(options.config);
    return config.dataDir ?? path.resolve(DEFAULT_DATA_DIR);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const dataDir = await readDataDirOnly(options.config);
    if (dataDir === undefined) throw err;
    return dataDir;
  }
}

async function readDataDirOnly(configFile: string): Promise<string | undefined> {
  try {
    const doc: unknown = parseYaml(await readFile(configFile, 'utf8'));
    const dataDir =
      doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>).data_dir : undefined;
    return typeof dataDir === 'string' && dataDir !== ''
      ? path.resolve(path.dirname(path.resolve(configFile)), dataDir)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Opens the store of the data folder the options name (see resolveDataDir). */
export async function openCliStore(options: StoreCliOptions, mode: { readonly: boolean }): Promise<Store> {
  return openStore({ dataDir: await resolveDataDir(options), readonly: mode.readonly });
}

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a `--since` value: a duration back from `now` (`30m`, `24h`, `7d`, `2w`) or an ISO time
 * (UTC when it has no zone, like the API's own times). Returns the instant as ISO text.
 * @example parseSince('24h', new Date('2026-01-02T00:00:00Z')) === '2026-01-01T00:00:00.000Z'
 */
export function parseSince(value: string, now: Date): string {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) {
    const unit = UNIT_MS[(duration[2] ?? '').toLowerCase()] ?? 0;
    return new Date(now.getTime() - Number(duration[1]) * unit).toISOString();
  }
  if (ISO_LIKE.test(text)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes(':') ? text : `${text}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new Error(
    `--since ${JSON.stringify(value)} is neither a duration nor a time: use a number and a unit such as 30m, 24h or 7d, ` +
      'or an ISO time such as 2026-01-31T08:00:00Z',
  );
}

/**
 * Makes text safe to print on a terminal: control characters (C0, DEL, C1, so every escape sequence
 * loses its ESC) and bidirectional overrides become visible `\xNN` / `\uNNNN` escapes. Subjects, sender
 * names, file names and URLs are attacker-controlled; printed raw they could rewrite the screen.
 * @example terminalSafe('a\u001b[2Jb') === 'a\\x1b[2Jb'
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Cuts text to `width` characters, marking the cut. */
export function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

/**
 * Lays out rows as aligned columns under a header. Every cell is made terminal-safe here, so a
 * command cannot forget it.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => terminalSafe(cell)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * A short human duration: `45s`, `12m`, `3h 5m`, `2d 4h`.
 * @example formatDuration(3_900_000) === '1h 5m'
 */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const s = Math.floor(Math.abs(ms) / 1000);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  if (m > 0) return `${sign}${m}m`;
  return `${sign}${s}s`;
}
