/**
 * `atp-siem demo` (what `npm start` runs): the emulated Microsoft API in this
 * process with a day of history and a few live records a second, and the
 * collector running against it into the embedded store, with a one-line
 * summary every few seconds and where to look next. Ctrl-C stops both.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { startEmulator } from '../emulator/index.js';
import { DEFENDER_RECORD_TYPES, RECORD_TYPE_NAMES, extractIndex } from '../schema/index.js';
import { createLogger } from '../telemetry/logger.js';
import { startService, untilSignal } from './run.js';

const DAY_MS = 86_400_000;
const DEFENDER = Object.values(DEFENDER_RECORD_TYPES) as number[];

interface DemoFlags {
  data: string;
  rate: string;
  history: string;
  seed: string;
  interval: string;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${text}"`);
  return n;
}

/** "Defender: 28 ThreatIntelligence 12 · 41 … · other 340" from the counts by record type. */
export function summaryLine(byType: Map<number, number>, stored: number, pending: number): string {
  const parts = DEFENDER.map((t) => `${RECORD_TYPE_NAMES[t] ?? t} ${byType.get(t) ?? 0}`);
  let other = 0;
  for (const [t, n] of byType) if (!DEFENDER.includes(t)) other += n;
  return `stored ${stored} new records (pending blobs ${pending}) · received: ${parts.join(' · ')} · other audit ${other}`;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the collector against a built-in emulator of the Microsoft API and watch records arrive.',
    )
    .option('-d, --data <dir>', 'data folder for the store', './data')
    .option('--rate <n>', 'live records per second', '3')
    .option('--history <days>', 'days of history to back-fill', '1')
    .option('--seed <n>', 'seed of the generated records', '42')
    .option('--interval <seconds>', 'seconds between summary lines', '3')
    .action(async (flags: DemoFlags) => {
      const dataDir = path.resolve(flags.data);
      const level = process.env.ATP_SIEM_LOG_LEVEL ?? 'warn';
      const logger = createLogger({ level, name: 'atp-siem' });
      const configFile = path.join(dataDir, 'demo', 'collector.yaml');
      const emulator = await startEmulator({
        port: 0,
        seed: Math.trunc(positive('--seed', flags.seed)),
        historyMs: positive('--history', flags.history) * DAY_MS,
        rate: positive('--rate', flags.rate),
        writeConfig: configFile,
        logger: createLogger({ level, name: 'emulator' }),
      });

      const byType = new Map<number, number>();
      let service;
      try {
        const config = await loadConfig(configFile);
        service = await startService({
          config,
          dataDir,
          logger,
          // The demo shows its own summary; the back-fill of one day takes seconds.
          progress: false,
          listen: { host: '127.0.0.1', port: 0 },
          overrides: { pollIntervalMs: 2_000, stragglerIntervalMs: 60_000 },
          extractIndex: (record) => {
            const index = extractIndex(record);
            if (index.recordType !== null)
              byType.set(index.recordType, (byType.get(index.recordType) ?? 0) + 1);
            return index;
          },
        });
      } catch (err) {
        await emulator.close();
        throw err;
      }
      const out = process.stdout;
      const relative = path.relative(process.cwd(), dataDir) || '.';
      const rel = relative.startsWith('..') ? dataDir : relative;
      out.write(
        [
          `atp-siem demo: emulated Office 365 Management Activity API at ${emulator.url}`,
          `  tenant ${emulator.tenants.join(', ')}; collector config ${configFile}`,
          `  store in ${dataDir}; health ${service.url}/healthz, metrics ${service.url}/metrics`,
          `  in another terminal: atp-siem status --data ${rel}   ·   atp-siem events --data ${rel}`,
          '  Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      const svc = service;
      const tick = async (): Promise<void> => {
        const rows = svc.collector.snapshot();
        const stored = rows.reduce((n, r) => n + r.records, 0);
        const pending = rows.reduce((n, r) => n + r.blobsPending, 0);
        out.write(`${new Date().toISOString().slice(11, 19)} ${summaryLine(byType, stored, pending)}\n`);
      };
      const timer = setInterval(() => void tick(), positive('--interval', flags.interval) * 1000);
      await untilSignal();
      clearInterval(timer);
      out.write('Stopping…\n');
      const force = (): void => process.exit(130);
      process.once('SIGINT', force);
      await svc.stop();
      await emulator.close();
      await tick().catch(() => undefined);
      out.write(`Stopped. The store stays in ${dataDir}: atp-siem status --data ${rel}\n`);
    });
}
