/**
 * `npm run bench`: how fast the collector ingests compared with merely
 * fetching and parsing the same blobs.
 *
 * The emulator runs in its own process with a fixed backlog (no faults, no
 * live content). In this process, first the raw pass lists every blob and
 * fetches + JSON.parse-s each one (bounded concurrency, like the collector);
 * then the collector ingests the same blobs into a fresh temporary store.
 * Ends with exactly one JSON line:
 *   {"ingest_records_per_s":…,"raw_records_per_s":…,"ratio":…,"peak_rss_mb":…,
 *    "pipeline_records_per_s":…,"raw_runs":[…]}
 * The raw pass lasts about a second, so one run of it swings with the machine's load: it runs three times
 * and the median counts (raw_runs lists all three). pipeline_records_per_s is the collector with a store
 * that throws the records away (blobs still end delivered): the bound that fetching, splitting and indexing
 * alone put on ingest, whatever the store does. It runs before ingest, so that both are measured warm.
 * BENCH_STORE_THREAD=1 stores through the store thread, as `run --store-thread` does.
 * Then the store the ingest pass filled is delivered by the syslog (TCP, to a real rsyslogd), Splunk HEC and
 * Elasticsearch sinks to their test receivers on loopback, each sink in a process of its own (its peak RSS is
 * its own): `sinks` in the JSON line, {"syslog":{"records_per_s","peak_rss_mb"},"splunk-hec":…,"elasticsearch":…}.
 * BENCH_SINKS=0 leaves that out.
 * ingest_with_dashboard_records_per_s is ingest again with the dashboard's projector tailing the store, as
 * `atp-siem run` does (dashboard_catch_up_s: how long the reports took to catch up after ingest ended). Then
 * bench/dashboard.ts fills a store with BENCH_DASHBOARD_EVENTS Defender records (default 1,000,000) and measures
 * every report and table over HTTP: `dashboard_ms` (BENCH_DASHBOARD=0 leaves that out).
 * Progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createApiClient } from '../src/api/index.js';
import { createTokenSource } from '../src/api/auth.js';
import { createAgent } from '../src/api/http.js';
import { loadConfig, type TenantConfig } from '../src/config/index.js';
import { extractIndex } from '../src/schema/index.js';
import { startIndexPool } from '../src/pipeline/index-pool.js';
import { createCollector, planWindows } from '../src/sources/o365-management/index.js';
import { openThreadStore } from '../src/store/thread/thread-store.js';
import {
  openStore,
  type BlobRef,
  type CommitResult,
  type RecordInput,
  type Store,
} from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Projector } from '../src/dashboard/projection.js';
import { openDashboardStore } from '../src/store/index.js';
import { dashboardBench } from './dashboard.js';
import { readFile, writeFile } from 'node:fs/promises';
import { ElasticsearchTestServer } from '../test/servers/elasticsearch.js';
import { startRsyslog } from '../test/servers/rsyslog.js';
import { startHecServer } from '../test/servers/splunk-hec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TENANT = '0b5e1c7a-3d2f-4e6a-8b9c-1d2e3f4a5b6c';
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const RECORDS_PER_BLOB = 1_000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const logger = createLogger({ level: process.env.ATP_SIEM_LOG_LEVEL ?? 'warn', name: 'bench' });

function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

async function startEmulator(dir: string): Promise<{ stop: () => Promise<void>; config: string }> {
  const config = path.join(dir, 'collector.yaml');
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'emulator',
      '--port',
      '0',
      '--tenant',
      TENANT,
      '--seed',
      '11',
      '--history',
      '2d',
      '--history-records',
      String(RECORDS),
      '--records-per-blob',
      String(RECORDS_PER_BLOB),
      '--rate',
      '0',
      '--throttle-limit',
      '60000',
      '--log-level',
      'warn',
      '--write-config',
      config,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout });
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.on('line', (line) => {
      if (line.includes('"listening"')) resolve();
    });
  });
  return {
    config,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Lists every blob of the week and fetches + parses each one, nothing else. */
async function rawPass(tenant: TenantConfig): Promise<{ records: number; blobs: number; seconds: number }> {
  const agent = createAgent({ ca: tenant.endpoints.ca });
  const tokens = createTokenSource(tenant, { dispatcher: agent, logger });
  const client = createApiClient(tenant, { logger, budgetPerMinute: 60_000 });
  const started = performance.now();
  await client.ensureSubscriptions([...tenant.contentTypes]);
  const uris: string[] = [];
  const serverNow = new Date(Date.now() + client.clockSkewMs());
  for (const ct of tenant.contentTypes) {
    for (const w of planWindows({ cursor: null, serverNow }).windows) {
      for await (const page of client.listContent(ct, w.start, w.end))
        for (const item of page) uris.push(item.contentUri);
    }
  }
  const token = await tokens.getToken();
  let records = 0;
  await pool(uris, CONCURRENCY, async (uri) => {
    const url = new URL(uri);
    url.searchParams.set('PublisherIdentifier', tenant.publisherId);
    const res = await request(url, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
    if (res.statusCode !== 200) throw new Error(`raw fetch answered ${res.statusCode}`);
    const value = JSON.parse(await res.body.text()) as unknown[];
    records += value.length;
  });
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  await agent.close();
  return { records, blobs: uris.length, seconds };
}

/** A store that marks blobs delivered but keeps none of their records (for pipeline_records_per_s). */
function discardingStore(store: Store): Store {
  const counted = (records: RecordInput[]): CommitResult => ({
    inserted: records.length,
    duplicates: 0,
    invalid: 0,
  });
  return Object.assign(Object.create(store) as Store, {
    storeRecords: async (_blob: BlobRef, records: RecordInput[]) => counted(records),
    commitBlob: async (blob: BlobRef, records: RecordInput[]) => {
      await store.commitBlob(blob, []);
      return counted(records);
    },
  });
}

/** The collector, in this process, from an empty store until every blob is delivered. */
async function ingestPass(
  tenant: TenantConfig,
  blobs: number,
  dir: string,
  discard = false,
  dashboard = false,
): Promise<{ records: number; seconds: number; projected?: number; projectionLagSeconds?: number }> {
  const dataDir = path.join(dir, discard ? 'discarded' : dashboard ? 'store-dashboard' : 'store');
  const opened = process.env.BENCH_STORE_THREAD
    ? await openThreadStore({ dataDir })
    : await openStore({ dataDir });
  const store = discard ? discardingStore(opened) : opened;
  // As `atp-siem run` does by default: index fields computed inline on the main thread (on 2 cores,
  // with extractIndex's fast path, worker threads measured no faster). BENCH_INDEX_WORKERS=N compares
  // with N index worker threads, like `run --index-workers N`.
  const workers = Number(process.env.BENCH_INDEX_WORKERS ?? 0);
  const indexer =
    workers > 0
      ? await startIndexPool({
          fallback: extractIndex,
          workers,
          onFallback: (err) => note(`inline indexing: ${err.message}`),
        })
      : undefined;
  const client = createApiClient(tenant, { logger, budgetPerMinute: 60_000 });
  const collector = createCollector({
    store,
    tenants: [{ tenantId: tenant.tenantId, contentTypes: [...tenant.contentTypes], client }],
    settings: {
      pollIntervalMs: 1_000,
      stragglerWindowMs: 48 * 3_600_000,
      stragglerIntervalMs: 3_600_000,
      blobConcurrency: CONCURRENCY,
      idleCheckMs: 50,
    },
    extractIndex,
    indexer,
    logger,
  });
  // As `atp-siem run` does: the dashboard's projector tails the store while the collector fills it.
  const dash = dashboard ? openDashboardStore(dataDir) : null;
  const projector = dash ? new Projector({ store: opened, dashboard: dash, idleMs: 100, workers: 1 }) : null;
  const started = performance.now();
  await collector.start();
  projector?.start();
  const done = (): boolean => {
    const rows = collector.snapshot();
    return rows.reduce((n, r) => n + r.blobsDelivered + r.blobsDropped, 0) >= blobs;
  };
  while (!done()) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  const records = collector.snapshot().reduce((n, r) => n + r.records + r.duplicates, 0);
  await collector.stop();
  let projected: number | undefined;
  let projectionLagSeconds: number | undefined;
  if (projector && dash) {
    // How long the reports took to catch up once ingest had finished.
    const last = await opened.lastOffset();
    while ((await dash.progress()).offset < last) await new Promise((r) => setTimeout(r, 20));
    projectionLagSeconds = (performance.now() - started) / 1000 - seconds;
    projected = (await dash.progress()).offset;
    await projector.stop();
    await dash.close();
  }
  await client.close();
  await indexer?.close();
  await store.close();
  return { records, seconds, projected, projectionLagSeconds };
}

interface SinkRun {
  records_per_s: number;
  peak_rss_mb: number;
  /** RSS sampled while the first fifth of the store was delivered, and over all of it: flat means equal. */
  rss_first_fifth_mb: number;
  rss_sampled_max_mb: number;
  /** V8 heap in use, the same two ways: what the sink's own objects hold. */
  heap_first_fifth_mb: number;
  heap_max_mb: number;
  records: number;
}

/** Runs bench/sink-delivery.ts for one sink of `config` over the store in `dataDir`. */
async function deliverInChild(config: string, dataDir: string, sink: string): Promise<SinkRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/sink-delivery.ts', config, dataDir, sink], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`sink ${sink} bench exited with ${code}`);
  const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    records: number;
    seconds: number;
    peak_rss_mb: number;
    rss_first_fifth_mb: number;
    rss_sampled_max_mb: number;
    heap_first_fifth_mb: number;
    heap_max_mb: number;
  };
  return {
    records_per_s: Math.round(r.records / r.seconds),
    peak_rss_mb: r.peak_rss_mb,
    rss_first_fifth_mb: r.rss_first_fifth_mb,
    rss_sampled_max_mb: r.rss_sampled_max_mb,
    heap_first_fifth_mb: r.heap_first_fifth_mb,
    heap_max_mb: r.heap_max_mb,
    records: r.records,
  };
}

/** Each benched sink against its receiver on loopback, one after the other (one receiver up at a time). */
async function sinkPasses(
  emulatorConfig: string,
  dataDir: string,
  dir: string,
): Promise<Record<string, SinkRun>> {
  const base = await readFile(emulatorConfig, 'utf8');
  const runs: Record<string, SinkRun> = {};
  const bench = async (name: string, yaml: string, env: Record<string, string> = {}): Promise<void> => {
    const config = path.join(dir, `sink-${name}.yaml`);
    await writeFile(config, `${base}\nsinks:\n${yaml}`);
    Object.assign(process.env, env);
    const run = await deliverInChild(config, dataDir, name);
    note(
      `sink ${name}: ${run.records} events, ${run.records_per_s}/s, peak RSS ${run.peak_rss_mb} MB (sampled: ${run.rss_first_fifth_mb} MB over the first fifth, ${run.rss_sampled_max_mb} MB over all; heap ${run.heap_first_fifth_mb} / ${run.heap_max_mb} MB)`,
    );
    runs[name] = run;
  };
  const rsyslog = await startRsyslog();
  try {
    await bench('syslog', `  - { name: syslog, type: syslog, url: "tcp://127.0.0.1:${rsyslog.tcpPort}" }\n`);
  } finally {
    await rsyslog.close();
  }
  const hec = await startHecServer();
  try {
    await bench(
      'splunk-hec',
      `  - { name: splunk-hec, type: splunk-hec, url: "${hec.url}", token: { env: BENCH_HEC_TOKEN } }\n`,
      { BENCH_HEC_TOKEN: hec.tokens.main ?? '' },
    );
  } finally {
    await hec.close();
  }
  const es = await ElasticsearchTestServer.start();
  try {
    await bench('elasticsearch', `  - { name: elasticsearch, type: elasticsearch, url: "${es.url}" }\n`);
  } finally {
    await es.close();
  }
  return runs;
}

const dir = await mkdtemp(path.join(tmpdir(), 'atp-bench-'));
let emulator: { stop: () => Promise<void>; config: string } | undefined;
try {
  note(`starting the emulator with ${RECORDS} records in blobs of ${RECORDS_PER_BLOB}…`);
  emulator = await startEmulator(dir);
  const tenant = (await loadConfig(emulator.config)).tenants[0];
  if (!tenant) throw new Error('the emulator wrote no tenant');
  const raws: { records: number; blobs: number; seconds: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await rawPass(tenant);
    note(`raw ${i + 1}/3: ${run.records} records in ${run.blobs} blobs, ${run.seconds.toFixed(2)} s`);
    raws.push(run);
  }
  const rawRates = raws.map((r) => r.records / r.seconds).sort((x, y) => x - y);
  const rawRate = rawRates[1] as number;
  const blobs = (raws[0] as { blobs: number }).blobs;
  // The pipeline pass goes first: it also warms the code that ingest shares with it, as the raw passes
  // before warmed theirs, so that neither side is measured cold.
  const pipeline = await ingestPass(tenant, blobs, dir, true);
  note(`pipeline with the records discarded: ${pipeline.records} records, ${pipeline.seconds.toFixed(2)} s`);
  const ingest = await ingestPass(tenant, blobs, dir);
  note(`ingest: ${ingest.records} records, ${ingest.seconds.toFixed(2)} s`);
  const ingestRate = ingest.records / ingest.seconds;
  const withDashboard = await ingestPass(tenant, blobs, dir, false, true);
  note(
    `ingest with the dashboard's projector running: ${withDashboard.records} records, ${withDashboard.seconds.toFixed(2)} s; reports caught up ${withDashboard.projectionLagSeconds?.toFixed(1)} s later`,
  );
  const dashboardEvents = Number(process.env.BENCH_DASHBOARD_EVENTS ?? 1_000_000);
  const dashboard =
    process.env.BENCH_DASHBOARD === '0' ? undefined : await dashboardBench(dir, dashboardEvents);
  const sinks =
    process.env.BENCH_SINKS === '0'
      ? undefined
      : await sinkPasses(emulator.config, path.join(dir, 'store'), dir);
  const result = {
    ingest_records_per_s: Math.round(ingestRate),
    ingest_with_dashboard_records_per_s: Math.round(withDashboard.records / withDashboard.seconds),
    dashboard_catch_up_s: Number((withDashboard.projectionLagSeconds ?? 0).toFixed(1)),
    raw_records_per_s: Math.round(rawRate),
    ratio: Number((ingestRate / rawRate).toFixed(3)),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    pipeline_records_per_s: Math.round(pipeline.records / pipeline.seconds),
    raw_runs: rawRates.map(Math.round),
    ...(dashboard === undefined
      ? {}
      : {
          dashboard_events: dashboard.events,
          dashboard_projection_records_per_s: dashboard.projection_records_per_s,
          dashboard_ms: dashboard.dashboard_ms,
        }),
    ...(sinks === undefined
      ? {}
      : {
          sinks: Object.fromEntries(
            Object.entries(sinks).map(([k, v]) => [
              k,
              {
                records_per_s: v.records_per_s,
                peak_rss_mb: v.peak_rss_mb,
                rss_first_fifth_mb: v.rss_first_fifth_mb,
                rss_sampled_max_mb: v.rss_sampled_max_mb,
              },
            ]),
          ),
        }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
}
