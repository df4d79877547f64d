/**
 * `atp-siem demo` (what `npm start` runs): the emulated Microsoft API in this
 * process with a day of history and a few live records a second, and the
 * collector running against it into the embedded store, with a one-line
 * summary every few seconds and where to look next. Ctrl-C stops both.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.js';
import { parseSinks } from '../sinks/index.js';
import { startEmulator } from '../emulator/index.js';
import { DEFENDER_RECORD_TYPES, RECORD_TYPE_NAMES, extractIndex } from '../schema/index.js';
import { createLogger } from '../telemetry/logger.js';
import { parseListen, startService, untilSignal } from './run.js';

const DAY_MS = 86_400_000;
const DEFENDER = Object.values(DEFENDER_RECORD_TYPES) as number[];

interface DemoFlags {
  data: string;
  rate: string;
  history: string;
  seed: string;
  interval: string;
  syslog?: string;
  file?: string;
  listen: string;
  replay?: string;
}

/** Where the demo serves the dashboard when --listen is not given; a busy port falls back to a free one. */
const DEMO_LISTEN = '127.0.0.1:9464';

/**
 * The sinks `--syslog URL` and `--file PATH` add to the demo: CEF over syslog (RFC 5424), and ECS NDJSON.
 * @example demoSinks({ syslog: 'tcp://127.0.0.1:5514' })
 */
export function demoSinks(flags: { syslog?: string; file?: string }): ReturnType<typeof parseSinks>['sinks'] {
  const entries: unknown[] = [];
  if (flags.syslog !== undefined)
    entries.push({
      name: 'demo-syslog',
      type: 'syslog',
      url: flags.syslog,
      format: 'cef',
      batch: { max_wait: '200ms' },
    });
  if (flags.file !== undefined)
    entries.push({
      name: 'demo-file',
      type: 'file',
      path: flags.file === '-' ? '-' : path.resolve(flags.file),
      format: 'ecs',
      batch: { max_wait: '200ms' },
    });
  const { sinks, issues } = parseSinks(entries);
  if (issues.length > 0) {
    const flag = (i: number) => ((entries[i] as { type: string }).type === 'syslog' ? '--syslog' : '--file');
    throw new ConfigError(
      'the demo flags',
      issues.map((p) => ({
        path: flag(Number(p.path[0])),
        message: `${String(p.path.slice(1).join('.'))}: ${p.message}`,
      })),
    );
  }
  return sinks;
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
    .option(
      '--syslog <url>',
      'also deliver CEF over syslog to tcp://HOST:PORT, tls://HOST:PORT or udp://HOST:PORT',
    )
    .option('--file <path>', 'also write every event as ECS NDJSON to this file (- for standard output)')
    .option('--replay <file>', 'also publish the records of this export (one JSON record per line)')
    .option('--listen <host:port>', 'serve the dashboard, /healthz and /metrics here', DEMO_LISTEN)
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
        replay: flags.replay === undefined ? undefined : path.resolve(flags.replay),
        logger: createLogger({ level, name: 'emulator' }),
      });

      const byType = new Map<number, number>();
      let service;
      try {
        const extraSinks = demoSinks(flags);
        const config = { ...(await loadConfig(configFile)), sinks: extraSinks };
        const listen = parseListen(flags.listen);
        const start = (at: { host: string; port: number }) =>
          startService({
            config,
            dataDir,
            logger,
            // The demo shows its own summary; the back-fill of one day takes seconds.
            progress: false,
            listen: at,
            overrides: { pollIntervalMs: 2_000, stragglerIntervalMs: 60_000 },
            sinkIdlePollMs: 200,
            extractIndex: (record) => {
              const index = extractIndex(record);
              if (index.recordType !== null)
                byType.set(index.recordType, (byType.get(index.recordType) ?? 0) + 1);
              return index;
            },
          });
        try {
          service = await start(listen);
        } catch (err) {
          // Only the default port falls back: a port the user asked for is theirs to fix.
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || flags.listen !== DEMO_LISTEN) throw err;
          service = await start({ ...listen, port: 0 });
        }
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
          `  dashboard: open ${service.url}/ in a browser (reports fill in as records arrive)`,
          `  store in ${dataDir}; health ${service.url}/healthz, metrics ${service.url}/metrics`,
          ...(flags.syslog ? [`  delivering CEF over syslog (RFC 5424) to ${flags.syslog}`] : []),
          ...(flags.file
            ? [`  writing ECS NDJSON to ${flags.file === '-' ? 'standard output' : path.resolve(flags.file)}`]
            : []),
          `  in another terminal: atp-siem status --data ${rel}   ·   atp-siem events --data ${rel}   ·   atp-siem sinks status --data ${rel}`,
          '  Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      const svc = service;
      const tick = async (): Promise<void> => {
        const rows = svc.collector.snapshot();
        const stored = rows.reduce((n, r) => n + r.records, 0);
        const pending = rows.reduce((n, r) => n + r.blobsPending, 0);
        const sinks = svc.sinks
          .snapshot()
          .map(
            (d) =>
              `${d.sink} ${d.delivered}${d.state === 'closed' ? '' : ` (${d.state}: ${d.lastError ?? ''})`}`,
          );
        const delivered = sinks.length > 0 ? ` · delivered: ${sinks.join(', ')}` : '';
        out.write(
          `${new Date().toISOString().slice(11, 19)} ${summaryLine(byType, stored, pending)}${delivered}\n`,
        );
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
