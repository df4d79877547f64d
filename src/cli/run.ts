/**
 * `atp-siem run`: the long-running collector. Loads the configuration, opens
 * the store, starts one API client per tenant and the polling source, serves
 * /healthz and /metrics, enforces retention, and stops cleanly on SIGINT or
 * SIGTERM (in-flight blobs finish or are left pending: state is only ever
 * committed in store transactions, so abandoning is safe).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';
import { createApiClient } from '../api/index.js';
import { loadConfig, parseDuration, type Config } from '../config/index.js';
import { startIndexPool } from '../pipeline/index-pool.js';
import { startSinks, type RunningSinks } from '../pipeline/sinks.js';
import { extractIndex } from '../schema/index.js';
import {
  createCollector,
  type Collector,
  type CollectorSettings,
  type ExtractIndex,
} from '../sources/o365-management/index.js';
import { startProgress, type ProgressDisplay } from '../sources/o365-management/progress.js';
import { ConnectorError } from '../api/errors.js';
import { authorized, listenAuthProblem } from '../dashboard/auth.js';
import { Projector } from '../dashboard/projection.js';
import { createDashboardHandler } from '../dashboard/server.js';
import { openDashboardStore, openStore } from '../store/index.js';
import { openThreadStore } from '../store/thread/thread-store.js';
import type { Store } from '../store/types.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { createMetrics, createSinkMetrics, type CollectorMetrics } from '../telemetry/metrics.js';
import { scrubSecrets } from './status.js';
import { VERSION } from './version.js';

const HOUR_MS = 3_600_000;

/** Collector timings that may be set on the command line, overriding the file (tests, time-compressed emulators). */
export interface SettingOverrides {
  pollIntervalMs?: number;
  stragglerIntervalMs?: number;
  retryBaseMs?: number;
}

export interface ServiceOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  /** Show the back-fill progress (a table on a TTY, log lines otherwise). */
  progress?: boolean;
  overrides?: SettingOverrides;
  /** Worker threads computing index fields; 0 or absent: inline. */
  indexWorkers?: number;
  /** Write the store from its own worker thread (src/store/thread). */
  storeThread?: boolean;
  /** Replaces the schema's indexer (the demo counts record types through it). */
  extractIndex?: ExtractIndex;
  /** Override `listen` (the demo uses port 0). */
  listen?: { host: string; port: number } | null;
  /** How often the dashboard's projector looks for new records when caught up (ms). */
  dashboardIdleMs?: number;
  /** How often an idle sink looks for new records (ms; tests and the demo use less). */
  sinkIdlePollMs?: number;
}

export interface RunningService {
  store: Store;
  collector: Collector;
  sinks: RunningSinks;
  metrics: CollectorMetrics;
  /** http://host:port of the health/metrics server, or null when not listening. */
  url: string | null;
  stop(): Promise<void>;
}

/**
 * Starts store, clients, collector and the health/metrics server.
 * @example const svc = await startService({ config, dataDir: './data', logger }); … await svc.stop();
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const metrics = createMetrics({ defaultMetrics: true });
  const store = options.storeThread
    ? await openThreadStore({ dataDir: options.dataDir })
    : await openStore({ dataDir: options.dataDir });
  const dashboard = openDashboardStore(options.dataDir);
  const tenants = config.tenants.map((tenant) => ({
    tenantId: tenant.tenantId,
    name: tenant.name,
    contentTypes: [...tenant.contentTypes],
    client: createApiClient(tenant, {
      logger: logger.child({ tenant: tenant.tenantId }),
      budgetPerMinute: config.collector.requestBudgetPerMinute,
      onRequest: (e) => {
        metrics.apiRequests.inc({
          tenant: tenant.tenantId,
          operation: e.operation,
          status: String(e.status),
          af_code: e.afCode ?? '',
        });
        metrics.apiRequestSeconds.observe({ operation: e.operation }, e.ms / 1000);
      },
    }),
  }));
  const settings: CollectorSettings = {
    pollIntervalMs: options.overrides?.pollIntervalMs ?? config.collector.pollIntervalMs,
    stragglerWindowMs: config.collector.stragglerWindowMs,
    stragglerIntervalMs: options.overrides?.stragglerIntervalMs ?? config.collector.stragglerIntervalMs,
    blobConcurrency: config.collector.blobConcurrency,
    retryBaseMs: options.overrides?.retryBaseMs,
  };
  // Indexing is the costliest step per record: optionally, worker threads do it beside the main thread
  // (worth it only with spare cores; each worker costs its own heap).
  const indexer =
    options.extractIndex || !options.indexWorkers
      ? undefined
      : await startIndexPool({
          fallback: extractIndex,
          workers: options.indexWorkers,
          onFallback: (err) => logger.warn({ err }, 'Index workers did not start; indexing inline.'),
        });
  const collector = createCollector({
    store,
    tenants,
    settings,
    indexer,
    extractIndex: options.extractIndex ?? extractIndex,
    logger: logger.child({ component: 'o365-management' }),
    metrics,
  });

  const sinkMetrics = createSinkMetrics(metrics.registry);
  let sinks: RunningSinks;
  try {
    sinks = await startSinks({
      store,
      configs: config.sinks,
      ctx: { logger, baseDir: path.dirname(config.configPath), dataDir: options.dataDir },
      logger: logger.child({ component: 'sinks' }),
      metrics: sinkMetrics,
      idlePollMs: options.sinkIdlePollMs,
    });
  } catch (err) {
    await indexer?.close();
    await dashboard.close();
    await store.close();
    throw err;
  }

  const retention = async (): Promise<void> => {
    try {
      const removed = await store.enforceRetention(new Date().toISOString(), config.retentionDays, {
        sinks: sinks.names,
        hardCapDays: config.retentionHardCapDays,
      });
      await dashboard.prune(Date.now() - config.retentionDays * 86_400_000);
      if (removed.records > 0 || removed.ids > 0)
        logger.info({ records: removed.records, ids: removed.ids }, 'Retention applied.');
      sinkMetrics.retentionHeld.set(removed.heldForSinks);
      if (removed.heldForSinks > 0)
        logger.warn(
          { records: removed.heldForSinks },
          'Retention kept records that a sink has not delivered yet.',
        );
      for (const [sink, n] of Object.entries(removed.droppedForSinks)) {
        sinkMetrics.retentionDropped.inc({ sink }, n);
        logger.error(
          { sink, records: n },
          'The retention hard cap deleted records this sink had not delivered.',
        );
      }
    } catch (err) {
      logger.error({ err }, 'Enforcing retention failed.');
    }
  };
  await retention();
  let lagRunning = false;
  const lagTimer = setInterval(() => {
    if (lagRunning) return; // a slow read (a busy store) is not stacked on
    lagRunning = true;
    sinks
      .refreshLag()
      .catch((err: unknown) => logger.warn({ err }, 'Reading sink lag failed.'))
      .finally(() => (lagRunning = false));
  }, 5_000);
  lagTimer.unref();
  const retentionTimer = setInterval(() => void retention(), HOUR_MS);
  retentionTimer.unref();

  let server: Server | null = null;
  let url: string | null = null;
  const listen = options.listen === undefined ? config.listen : options.listen;
  const authProblem = listen ? listenAuthProblem(listen.host, config.listenAuth) : null;
  const projector = new Projector({
    store,
    dashboard,
    idleMs: options.dashboardIdleMs,
    onError: (err) => logger.error({ err }, 'Updating the dashboard reports failed; retrying.'),
  });
  const stopEarly = async (): Promise<void> => {
    clearInterval(retentionTimer);
    clearInterval(lagTimer);
    await sinks.stop();
    await dashboard.close();
    await indexer?.close();
    await store.close();
  };
  if (authProblem !== null) {
    await stopEarly();
    throw new ConnectorError('CONFIG_INVALID', authProblem, { stage: 'startup' });
  }
  projector.start();
  const dashboardHandler = createDashboardHandler({
    store,
    dashboard,
    tenants: config.tenants.map((t) => ({ id: t.tenantId, name: t.name ?? null })),
    version: VERSION,
    sinks: async () =>
      sinks.names.length === 0
        ? []
        : (await store.sinkStatus(new Date().toISOString(), sinks.names)).map((d) => ({
            sink: d.sink,
            state: d.state,
            lagEvents: d.lagEvents,
            lagSeconds: d.lagSeconds,
            delivered: d.delivered,
            deadLetterOpen: d.deadLetterOpen,
            lastError: d.lastError === null ? null : scrubSecrets(d.lastError),
            lastDeliveredAt: d.lastDeliveredAt,
          })),
  });
  if (listen) {
    server = createServer((req, res) => {
      void (async () => {
        const route = (req.url ?? '/').split('?')[0];
        if (!authorized(req, config.listenAuth)) {
          res
            .writeHead(401, {
              'www-authenticate': 'Basic realm="atp-siem", charset="UTF-8"',
              'content-type': 'text/plain',
            })
            .end('credentials required (listen_auth)\n');
        } else if (await dashboardHandler(req, res)) {
          // answered by the dashboard
        } else if (req.method !== 'GET') {
          res.writeHead(405, { allow: 'GET' }).end();
        } else if (route === '/healthz') {
          const health = {
            ...collector.health(),
            sinks: sinks
              .snapshot()
              .map((d) => ({ ...d, lastError: d.lastError === null ? null : scrubSecrets(d.lastError) })),
          };
          res
            .writeHead(health.status === 'ok' ? 200 : 503, {
              'content-type': 'application/json; charset=utf-8',
            })
            .end(JSON.stringify(health));
        } else if (route === '/metrics') {
          const body = await metrics.registry.metrics();
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        }
      })().catch((err: unknown) => {
        logger.error({ err }, 'Health server request failed.');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    const srv = server;
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(listen.port, listen.host, () => resolve());
      });
    } catch (err) {
      await projector.stop();
      await stopEarly();
      throw err;
    }
    const addr = srv.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    url = `http://${host}:${addr.port}`;
    logger.info({ url }, 'Health and metrics listening.');
  }

  let progress: ProgressDisplay | null = null;
  try {
    await collector.start();
  } catch (err) {
    server?.close();
    await projector.stop();
    await stopEarly();
    throw err;
  }
  if (options.progress) progress = startProgress({ snapshot: () => collector.snapshot(), logger });

  let stopped: Promise<void> | null = null;
  return {
    store,
    collector,
    sinks,
    metrics,
    url,
    stop() {
      stopped ??= (async () => {
        progress?.stop();
        clearInterval(retentionTimer);
        clearInterval(lagTimer);
        await collector.stop();
        await projector.stop();
        await sinks.stop();
        await Promise.allSettled(tenants.map((t) => t.client.close()));
        await indexer?.close();
        if (server) {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server?.close(() => resolve()));
        }
        await dashboard.close();
        await store.close();
      })();
      return stopped;
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function durationOption(name: string): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value);
    if (ms === undefined) throw new Error(`${name}: write a duration such as "500ms", "30s" or "15m"`);
    return ms;
  };
}

interface RunFlags {
  config: string;
  data?: string;
  pollInterval?: number;
  stragglerInterval?: number;
  retryBase?: number;
  progress?: boolean;
  listen?: { host: string; port: number };
  indexWorkers?: number;
  storeThread?: boolean;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) throw new Error('--listen: write host:port, e.g. 127.0.0.1:9464');
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Collect audit records from the Management Activity API into the store until stopped.')
    .requiredOption('-c, --config <file>', 'configuration file (YAML)')
    .option('-d, --data <dir>', 'data folder for the store (default: data_dir from the file, else ./data)')
    .option(
      '--poll-interval <duration>',
      'override collector.poll_interval',
      durationOption('--poll-interval'),
    )
    .option(
      '--straggler-interval <duration>',
      'override collector.straggler_interval',
      durationOption('--straggler-interval'),
    )
    .option(
      '--retry-base <duration>',
      'first delay before a failed blob is fetched again',
      durationOption('--retry-base'),
    )
    .option(
      '--listen <host:port>',
      'override listen for the dashboard, /healthz and /metrics (port 0: any free port)',
      parseListen,
    )
    .option(
      '--index-workers <n>',
      'worker threads computing index fields beside the main thread (0: inline; helps with spare cores)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 16)
          throw new Error('--index-workers: a whole number from 0 to 16');
        return n;
      },
    )
    .option(
      '--store-thread',
      'write the store from a worker thread of its own, beside fetching and indexing (for 4 cores or more: on 2 cores it measured no faster, and costs ~100 MB)',
    )
    .option('--no-progress', 'no back-fill progress display')
    .action(async (flags: RunFlags) => {
      const config = await loadConfig(flags.config);
      const logger = createLogger({
        level: process.env.ATP_SIEM_LOG_LEVEL ?? config.logLevel,
        name: 'atp-siem',
      });
      const dataDir = path.resolve(flags.data ?? config.dataDir ?? 'data');
      const service = await startService({
        config,
        dataDir,
        logger,
        progress: flags.progress !== false,
        listen: flags.listen,
        indexWorkers: flags.indexWorkers,
        storeThread: flags.storeThread === true,
        overrides: {
          pollIntervalMs: flags.pollInterval,
          stragglerIntervalMs: flags.stragglerInterval,
          retryBaseMs: flags.retryBase,
        },
      });
      logger.info({ dataDir, tenants: config.tenants.length }, 'Collecting; stop with Ctrl-C.');
      const signal = await untilSignal();
      logger.info({ signal }, 'Stopping.');
      // A second signal while stopping means "now".
      const force = (): void => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      await service.stop();
      // Everything is committed and closed; a client's pending backoff timer must not hold the process.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
    });
}
