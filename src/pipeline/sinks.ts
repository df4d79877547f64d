/**
 * The sinks of a running service: one sink and one delivery driver per enabled `sinks:` entry, and the
 * lag gauges. Each driver runs on its own; one failing never holds another or the collector.
 */
import { getSinkDefinition, type Sink, type SinkConfig, type SinkContext } from '../sinks/index.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { SinkMetrics } from '../telemetry/metrics.js';
import { DeliveryDriver, type DeliverySnapshot } from './delivery.js';
import { defaultEncodeWorkers, encodePoolSize, startEncodePool, type RecordEncoder } from './encode-pool.js';

export interface RunningSinks {
  /** Names of the enabled sinks (retention keeps what they have not delivered). */
  names: string[];
  drivers: DeliveryDriver[];
  snapshot(): DeliverySnapshot[];
  /** Refreshes the lag gauges from the store. */
  refreshLag(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Creates a sink from its validated configuration.
 * @example const sink = await createSink(config.sinks[0], { logger, baseDir });
 */
export async function createSink(config: SinkConfig, ctx: SinkContext): Promise<Sink> {
  const def = getSinkDefinition(config.type);
  if (!def) throw new TypeError(`unknown sink type ${config.type}`);
  return def.create(config, ctx);
}

/**
 * Starts every enabled sink's delivery.
 * @example const sinks = await startSinks({ store, configs: config.sinks, ctx, logger, metrics });
 */
export async function startSinks(options: {
  store: Store;
  configs: readonly SinkConfig[];
  ctx: SinkContext;
  logger: Logger;
  metrics?: SinkMetrics;
  idlePollMs?: number;
}): Promise<RunningSinks> {
  const drivers: DeliveryDriver[] = [];
  const sinks: Sink[] = [];
  const enabled = options.configs.filter((c) => c.enabled);
  // One encode pool for the process, shared by the sinks that encode off the main thread.
  const encoder: RecordEncoder | undefined =
    encodePoolSize(enabled) > 0
      ? await startEncodePool({
          workers: encodePoolSize(enabled),
          onFallback: (err) =>
            options.logger.warn({ err }, 'Encode workers did not start; sinks encode inline.'),
        })
      : undefined;
  try {
    for (const config of enabled) {
      const logger = options.logger.child({ sink: config.name });
      let sink: Sink;
      try {
        sink = await createSink(config, { ...options.ctx, logger });
      } catch (err) {
        // One sink that cannot start (a CA file that cannot be read, say) must not hold the collector or the
        // other sinks: it is reported blocked with the reason, and its records wait in the store.
        const reason = err instanceof Error ? err.message : String(err);
        logger.error({ err, sink: config.name }, 'Sink could not start; its events wait in the store.');
        await options.store.initSinkOffset(config.name, config.startAt);
        await options.store.setSinkState(config.name, 'blocked', `could not start: ${reason}`, false);
        options.metrics?.state.set({ sink: config.name }, 3);
        continue;
      }
      sinks.push(sink);
      const driver = new DeliveryDriver({
        store: options.store,
        sink,
        config,
        logger,
        metrics: options.metrics,
        idlePollMs: options.idlePollMs,
        encoder: (config.encodeWorkers ?? defaultEncodeWorkers()) > 0 ? encoder : undefined,
      });
      await driver.start();
      drivers.push(driver);
      logger.info({ type: config.type, format: config.format }, 'Sink delivering.');
    }
  } catch (err) {
    await Promise.allSettled(drivers.map((d) => d.stop()));
    await Promise.allSettled(sinks.map((s) => s.close()));
    await encoder?.close();
    throw err;
  }
  const names = enabled.map((c) => c.name);
  return {
    names,
    drivers,
    snapshot: () => drivers.map((d) => d.snapshot()),
    async refreshLag() {
      if (!options.metrics || names.length === 0) return;
      for (const s of await options.store.sinkStatus(new Date().toISOString(), names)) {
        options.metrics.lagEvents.set({ sink: s.sink }, s.lagEvents);
        options.metrics.lagSeconds.set({ sink: s.sink }, s.lagSeconds);
      }
    },
    async stop() {
      await Promise.allSettled(drivers.map((d) => d.stop()));
      await Promise.allSettled(sinks.map((s) => s.close()));
      await encoder?.close();
    },
  };
}
