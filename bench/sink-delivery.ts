/**
 * One sink delivering a whole store, in a process of its own so that its peak memory is its own (the bench's
 * receivers run in the parent). Usage: sink-delivery.ts CONFIG DATA_DIR SINK_NAME. Prints one JSON line:
 * {"records":…,"seconds":…,"peak_rss_mb":…,"cpu_s":…,"rss_at_start_mb":…,"rss_first_fifth_mb":…,
 * "rss_sampled_max_mb":…}; cpu_s is this process's CPU time
 * (all its threads) during delivery. BENCH_ENCODE_WORKERS=N sets the encode pool's size (0: inline).
 */
import { loadConfig } from '../src/config/index.js';
import { DeliveryDriver } from '../src/pipeline/delivery.js';
import { defaultEncodeWorkers, startEncodePool } from '../src/pipeline/encode-pool.js';
import { createSink } from '../src/pipeline/sinks.js';
import { openStore } from '../src/store/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import path from 'node:path';

/** CPU time of this process so far (all its threads), in seconds. */
function cpuSeconds(): number {
  const u = process.resourceUsage();
  return Number(((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2));
}

const [configFile, dataDir, name] = process.argv.slice(2);
if (!configFile || !dataDir || !name) throw new Error('usage: sink-delivery.ts CONFIG DATA_DIR SINK_NAME');
const config = await loadConfig(configFile);
const sinkConfig = config.sinks.find((s) => s.name === name);
if (!sinkConfig) throw new Error(`no sink ${name} in ${configFile}`);
const logger = createLogger({ level: process.env.ATP_SIEM_LOG_LEVEL ?? 'warn', name: 'bench-sink' });
const store = await openStore({ dataDir });
const last = await store.lastOffset();
const sink = await createSink(sinkConfig, { logger, baseDir: path.dirname(configFile) });
// As startSinks does: the sink's encode_workers, else the default (BENCH_ENCODE_WORKERS=N overrides both).
const workers = Number(
  process.env.BENCH_ENCODE_WORKERS ?? sinkConfig.encodeWorkers ?? defaultEncodeWorkers(),
);
const encoder = await startEncodePool({
  workers,
  onFallback: (err) => process.stderr.write(`bench-sink: encoding inline: ${err.message}\n`),
});
const driver = new DeliveryDriver({ store, sink, config: sinkConfig, logger, idlePollMs: 20, encoder });
const started = performance.now();
const cpuAtStart = cpuSeconds();
const rssAtStart = Math.round(process.memoryUsage.rss() / 1024 / 1024);
await driver.start();
// Memory flat whatever the backlog: the highest RSS sampled while the first fifth of the store was delivered,
// against the peak over all of it. A backlog held in memory would make the second grow with the store.
let sampledMax = 0;
let firstFifthMax: number | undefined;
let heapMax = 0;
let heapFirstFifth: number | undefined;
while (driver.snapshot().offset < last) {
  sampledMax = Math.max(sampledMax, process.memoryUsage.rss());
  heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
  if (firstFifthMax === undefined && driver.snapshot().offset >= last / 5) {
    firstFifthMax = sampledMax;
    heapFirstFifth = heapMax;
  }
  await new Promise((r) => setTimeout(r, 20));
}
const seconds = (performance.now() - started) / 1000;
const records = driver.snapshot().delivered;
await driver.stop();
await sink.close();
await encoder.close();
await store.close();
process.stdout.write(
  `${JSON.stringify({
    records,
    seconds,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    cpu_s: Number((cpuSeconds() - cpuAtStart).toFixed(2)),
    rss_at_start_mb: rssAtStart,
    rss_first_fifth_mb: Math.round((firstFifthMax ?? sampledMax) / 1024 / 1024),
    rss_sampled_max_mb: Math.round(sampledMax / 1024 / 1024),
    heap_first_fifth_mb: Math.round((heapFirstFifth ?? heapMax) / 1024 / 1024),
    heap_max_mb: Math.round(heapMax / 1024 / 1024),
  })}\n`,
);
