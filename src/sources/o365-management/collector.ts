/**
 * The polling source for one or more tenants: per tenant × content type a
 * cursor loop (list each window fully, then record the listing and move the
 * cursor in one store transaction) and a straggler sweep (re-list trailing
 * windows, because blobs appear late); per tenant a pool of blob workers
 * draining the ledger's pending blobs.
 */
import type { RecordIndexer } from '../../pipeline/index-pool.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import type { BlobRef, PendingBlob, Store } from '../../store/types.js';
import { processBlob, type BlobOutcome } from './blob-worker.js';
import {
  errorFacts,
  isSubscriptionLost,
  systemClock,
  type Clock,
  type ContentItem,
  type ExtractIndex,
  type SourceApiClient,
} from './types.js';
import { planWindows, sweepWindows, type TimeWindow } from './windows.js';
import { Wakeup } from './wakeup.js';

export interface CollectorSettings {
  pollIntervalMs: number;
  /** How far back the straggler sweep re-lists (default 48 h). */
  stragglerWindowMs: number;
  stragglerIntervalMs: number;
  /** Blobs fetched at once per tenant. */
  blobConcurrency: number;
  /** Distance kept from the server's now when planning windows. */
  settleMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often an idle blob pool looks for retries that came due. */
  idleCheckMs?: number;
  /** How long stop() waits for in-flight work before leaving it (safe: state is only committed in transactions). */
  stopGraceMs?: number;
}

export interface CollectorTenant {
  tenantId: string;
  /** Display name from the configuration, if any. */
  name?: string;
  contentTypes: string[];
  client: SourceApiClient;
}

export interface CollectorOptions {
  store: Store;
  tenants: CollectorTenant[];
  settings: CollectorSettings;
  extractIndex: ExtractIndex;
  /** Computes index fields off the main thread (src/pipeline/index-pool.ts); inline when absent. */
  indexer?: RecordIndexer;
  logger: Logger;
  metrics?: CollectorMetrics;
  clock?: Clock;
}

/** Progress and health of one tenant × content type. */
export interface StreamSnapshot {
  tenantId: string;
  tenantName: string | undefined;
  contentType: string;
  cursor: string | null;
  /** Windows of the current catch-up (the back-fill on a first run) done and planned. */
  windowsDone: number;
  windowsTotal: number;
  records: number;
  duplicates: number;
  invalid: number;
  blobsPending: number;
  blobsDelivered: number;
  blobsDropped: number;
  newestContentCreated: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
  /** Blob attempts that failed (and will be retried) since a blob of this stream was last delivered. */
  blobFailuresInARow: number;
  lastBlobError: string | null;
  lastBlobErrorAt: string | null;
}

/**
 * Blob attempts failing in a row, with none delivered between, that make a stream degraded. One retry is
 * routine (5xx, throttling); a run of them means blobs are not arriving at all (expired token, a proxy, a
 * dead API host), which listing alone would not show.
 */
export const BLOB_FAILURES_DEGRADED = 3;

/** Due blobs the blob pool reads from the store at once, per content type. */
const READ_AHEAD_BLOBS = 64;

export interface HealthReport {
  status: 'ok' | 'degraded';
  tenants: Array<{
    tenantId: string;
    name: string | undefined;
    status: 'ok' | 'degraded';
    lastError: string | null;
    lastErrorAt: string | null;
    contentTypes: Array<{
      contentType: string;
      status: 'ok' | 'degraded';
      cursor: string | null;
      lagSeconds: number | null;
      lastError: string | null;
      lastErrorAt: string | null;
    }>;
  }>;
}

export interface Collector {
  /** Ensures subscriptions and starts the loops; resolves once they run. */
  start(): Promise<void>;
  /** Stops the loops, lets in-flight blobs finish or abandons them after a grace period. */
  stop(): Promise<void>;
  snapshot(): StreamSnapshot[];
  health(): HealthReport;
}

interface Stream extends StreamSnapshot {
  tenant: CollectorTenant;
  needsSubscription: boolean;
  nextSweepAt: number;
}

/** Thrown inside a listing when stop() was called; never escapes the collector. */
class Stopped extends Error {}

/**
 * Creates the collector.
 * @example const c = createCollector({ store, tenants, settings, extractIndex, logger }); await c.start(); … await c.stop();
 */
export function createCollector(options: CollectorOptions): Collector {
  const { store, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const settings = options.settings;
  const abort = new AbortController();
  const tasks: Promise<void>[] = [];
  const inflight = new Map<string, Promise<void>>();
  const wakeups = new Map<string, Wakeup>();
  const streams: Stream[] = [];
  let stopping = false;

  for (const tenant of options.tenants) {
    wakeups.set(tenant.tenantId, new Wakeup(clock));
    for (const contentType of tenant.contentTypes) {
      streams.push({
        tenant,
        tenantId: tenant.tenantId,
        tenantName: tenant.name,
        contentType,
        cursor: null,
        windowsDone: 0,
        windowsTotal: 0,
        records: 0,
        duplicates: 0,
        invalid: 0,
        blobsPending: 0,
        blobsDelivered: 0,
        blobsDropped: 0,
        newestContentCreated: null,
        lastError: null,
        lastErrorAt: null,
        lastSuccessAt: null,
        blobFailuresInARow: 0,
        lastBlobError: null,
        lastBlobErrorAt: null,
        needsSubscription: false,
        nextSweepAt: 0,
      });
    }
  }
  const streamOf = (tenantId: string, contentType: string): Stream | undefined =>
    streams.find((s) => s.tenantId === tenantId && s.contentType === contentType);
  const labels = (s: Stream) => ({ tenant: s.tenantId, content_type: s.contentType });
  const serverNow = (client: SourceApiClient): Date => new Date(clock.now() + client.clockSkewMs());

  function updateLag(s: Stream): void {
    if (!metrics || !s.newestContentCreated) return;
    const lag = (serverNow(s.tenant.client).getTime() - Date.parse(s.newestContentCreated)) / 1000;
    metrics.lagSeconds.set(labels(s), Math.max(0, lag));
  }

  async function noteError(s: Stream, err: unknown, what: string): Promise<void> {
    const facts = errorFacts(err);
    const text = `${what}: ${facts.code}${facts.afCode ? ` ${facts.afCode}` : ''}: ${facts.message}`;
    s.lastError = text;
    s.lastErrorAt = new Date(clock.now()).toISOString();
    if (isSubscriptionLost(facts)) s.needsSubscription = true;
    logger.warn(
      { err: facts, tenant: s.tenantId, contentType: s.contentType },
      `${what[0]?.toUpperCase()}${what.slice(1)} failed; will try again.`,
    );
    await store.setLastError(s.tenantId, s.contentType, text, s.lastErrorAt).catch(() => undefined);
  }

  async function noteSuccess(s: Stream): Promise<void> {
    const hadError = s.lastError !== null;
    s.lastSuccessAt = new Date(clock.now()).toISOString();
    if (hadError) {
      s.lastError = null;
      s.lastErrorAt = null;
      logger.info({ tenant: s.tenantId, contentType: s.contentType }, 'Listing recovered.');
      await store.setLastError(s.tenantId, s.contentType, null, s.lastSuccessAt).catch(() => undefined);
    }
  }

  /** All pages of one window; only a complete listing is ever recorded. */
  async function listWindow(s: Stream, window: TimeWindow): Promise<BlobRef[]> {
    const blobs: BlobRef[] = [];
    for await (const page of s.tenant.client.listContent(s.contentType, window.start, window.end)) {
      if (stopping) throw new Stopped();
      for (const item of page) blobs.push(toRef(s.tenantId, s.contentType, item));
    }
    return blobs;
  }

  async function repairSubscription(s: Stream): Promise<void> {
    if (!s.needsSubscription) return;
    logger.info({ tenant: s.tenantId, contentType: s.contentType }, 'Starting the subscription again.');
    await s.tenant.client.ensureSubscriptions([s.contentType]);
    s.needsSubscription = false;
  }

  /** Lists from the cursor up to now, window by window, moving the cursor after each. */
  async function catchUp(s: Stream): Promise<void> {
    const cursor = await store.getCursor(s.tenantId, s.contentType);
    s.cursor = cursor;
    const plan = planWindows({
      cursor: cursor ? new Date(cursor) : null,
      serverNow: serverNow(s.tenant.client),
      settleMs: settings.settleMs,
    });
    if (plan.unreachable) {
      logger.error(
        {
          tenant: s.tenantId,
          contentType: s.contentType,
          from: plan.unreachable.from.toISOString(),
          to: plan.unreachable.to.toISOString(),
        },
        'Content older than the API keeps (7 days) was never listed and is lost.',
      );
    }
    if (plan.windows.length === 0) return;
    if (plan.windows.length > 1 || s.windowsDone >= s.windowsTotal) {
      s.windowsDone = 0;
      s.windowsTotal = plan.windows.length;
    }
    for (const window of plan.windows) {
      if (stopping) return;
      const blobs = await listWindow(s, window);
      const end = window.end.toISOString();
      const added = await store.recordListing(s.tenantId, s.contentType, blobs, end);
      s.cursor = end;
      s.windowsDone = Math.min(s.windowsDone + 1, s.windowsTotal);
      s.blobsPending += added;
      metrics?.windowsListed.inc({ ...labels(s), kind: 'cursor' });
      if (added > 0) metrics?.blobsListed.inc({ ...labels(s), kind: 'cursor' }, added);
      logger.debug(
        { tenant: s.tenantId, contentType: s.contentType, end, listed: blobs.length, added },
        'Window listed.',
      );
      if (added > 0) wakeups.get(s.tenantId)?.wake();
    }
  }

  /** Re-lists the trailing windows before the cursor for blobs that became visible after their window was listed. */
  async function sweep(s: Stream): Promise<void> {
    if (!s.cursor) return;
    const now = serverNow(s.tenant.client);
    const windows = sweepWindows({
      from: new Date(now.getTime() - settings.stragglerWindowMs),
      to: new Date(s.cursor),
      serverNow: now,
    });
    let added = 0;
    for (const window of windows) {
      if (stopping) return;
      const blobs = await listWindow(s, window);
      const n = await store.addBlobs(blobs);
      added += n;
      s.blobsPending += n;
      metrics?.windowsListed.inc({ ...labels(s), kind: 'straggler' });
      if (n > 0) {
        metrics?.blobsListed.inc({ ...labels(s), kind: 'straggler' }, n);
        wakeups.get(s.tenantId)?.wake();
      }
    }
    if (added > 0)
      logger.info({ tenant: s.tenantId, contentType: s.contentType, added }, 'Straggler blobs found.');
  }

  async function listingLoop(s: Stream): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        await repairSubscription(s);
        await catchUp(s);
        if (!stopping && clock.now() >= s.nextSweepAt) {
          await sweep(s);
          s.nextSweepAt = clock.now() + settings.stragglerIntervalMs;
        }
        failures = 0;
        await noteSuccess(s);
      } catch (err) {
        if (err instanceof Stopped || stopping) return;
        failures += 1;
        await noteError(s, err, 'listing');
      }
      updateLag(s);
      // After a failure, try again sooner than a full poll interval (but never hammer).
      const wait =
        failures > 0
          ? Math.min(settings.pollIntervalMs, 1_000 * 2 ** Math.min(failures, 6))
          : settings.pollIntervalMs;
      await clock.sleep(wait, abort.signal);
    }
  }

  function account(s: Stream, outcome: BlobOutcome, blob: BlobRef): void {
    const r = outcome.result;
    s.records += r.inserted;
    s.duplicates += r.duplicates;
    s.invalid += r.invalid;
    metrics?.recordsStored.inc(labels(s), r.inserted);
    metrics?.duplicatesSkipped.inc(labels(s), r.duplicates);
    metrics?.invalidRecords.inc(labels(s), r.invalid);
    switch (outcome.kind) {
      case 'delivered':
        s.blobsDelivered += 1;
        s.blobsPending = Math.max(0, s.blobsPending - 1);
        s.blobFailuresInARow = 0;
        s.lastBlobError = null;
        s.lastBlobErrorAt = null;
        metrics?.blobsDelivered.inc(labels(s));
        if (!s.newestContentCreated || blob.contentCreated > s.newestContentCreated) {
          s.newestContentCreated = blob.contentCreated;
        }
        updateLag(s);
        break;
      case 'dropped':
        s.blobsDropped += 1;
        s.blobsPending = Math.max(0, s.blobsPending - 1);
        metrics?.blobsDropped.inc({ ...labels(s), reason: outcome.reason });
        logger.warn(
          {
            tenant: s.tenantId,
            contentType: s.contentType,
            contentId: blob.contentId,
            reason: outcome.reason,
          },
          `Blob dropped: ${outcome.detail}`,
        );
        break;
      case 'retry':
        s.blobFailuresInARow += 1;
        s.lastBlobError = `blob fetch: ${outcome.error}`;
        s.lastBlobErrorAt = new Date(clock.now()).toISOString();
        metrics?.blobsRetried.inc(labels(s));
        logger.debug(
          {
            tenant: s.tenantId,
            contentType: s.contentType,
            contentId: blob.contentId,
            next: outcome.nextAttemptAt,
          },
          'Blob fetch failed; will retry.',
        );
        break;
      case 'abandoned':
        break;
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${String(never)}`);
      }
    }
  }

  /** Feeds the tenant's pending blobs, oldest first, to at most blobConcurrency workers. */
  async function blobPool(tenant: CollectorTenant): Promise<void> {
    const wakeup = wakeups.get(tenant.tenantId) as Wakeup;
    const mine = new Set<string>();
    const limit = Math.max(1, settings.blobConcurrency);
    // Due blobs read ahead per content type, so that a freed slot starts the next blob without a store
    // round trip (behind the store thread's queued commits, that wait left slots idle). Blobs in flight
    // when the queue is read are left out of it (still pending, they would start a second time once done);
    // a blob leaves the queue when it starts, and only this pool starts the tenant's blobs, so no entry
    // can have been delivered meanwhile. Blobs listed since are read once the queue is empty.
    const queued = new Map<string, PendingBlob[]>();
    let rotate = 0;
    while (!stopping) {
      let started = 0;
      try {
        const types = tenant.contentTypes;
        for (let i = 0; i < types.length && mine.size < limit; i++) {
          const contentType = types[(i + rotate) % types.length] as string;
          let due = queued.get(contentType) ?? [];
          if (due.length === 0) {
            due = (
              await store.pendingBlobs(
                tenant.tenantId,
                contentType,
                new Date(clock.now()).toISOString(),
                READ_AHEAD_BLOBS + mine.size,
              )
            ).filter((blob) => !mine.has(blob.contentId));
            queued.set(contentType, due);
          }
          while (due.length > 0) {
            if (stopping || mine.size >= limit) break;
            const blob = due.shift() as PendingBlob;
            if (mine.has(blob.contentId)) continue;
            const s = streamOf(tenant.tenantId, contentType);
            if (!s) continue;
            mine.add(blob.contentId);
            started += 1;
            const work = processBlob(blob, {
              store,
              client: tenant.client,
              extractIndex: options.extractIndex,
              indexer: options.indexer,
              clock,
              stopping: () => stopping,
              retryBaseMs: settings.retryBaseMs,
              retryMaxMs: settings.retryMaxMs,
              onSubscriptionLost: () => {
                s.needsSubscription = true;
              },
            })
              .then((outcome) => account(s, outcome, blob))
              .catch((err: unknown) => {
                // The store itself failed: nothing was committed for this attempt; the blob stays pending.
                if (!stopping)
                  logger.error({ err, contentId: blob.contentId }, 'Blob attempt failed in the store.');
              })
              .finally(() => {
                mine.delete(blob.contentId);
                inflight.delete(`${tenant.tenantId}/${blob.contentId}`);
                wakeup.wake();
              });
            inflight.set(`${tenant.tenantId}/${blob.contentId}`, work);
          }
        }
      } catch (err) {
        if (stopping) return;
        logger.error({ err, tenant: tenant.tenantId }, 'Reading pending blobs failed.');
      }
      rotate += 1;
      if (started === 0 || mine.size >= limit) await wakeup.wait(settings.idleCheckMs ?? 500, abort.signal);
    }
  }

  async function loadInitialState(): Promise<void> {
    const rows = await store.status();
    for (const row of rows) {
      const s = streamOf(row.tenantId, row.contentType);
      if (!s) continue;
      s.cursor = row.cursor;
      s.newestContentCreated = row.newestContentCreated;
      s.blobsPending = row.blobsPending;
    }
  }

  return {
    async start() {
      await loadInitialState();
      for (const tenant of options.tenants) {
        try {
          await tenant.client.ensureSubscriptions(tenant.contentTypes);
        } catch (err) {
          // Not fatal: the listing loop repairs subscriptions when the API says they are missing.
          for (const s of streams.filter((x) => x.tenantId === tenant.tenantId)) {
            await noteError(s, err, 'starting subscriptions');
            s.needsSubscription = true;
          }
        }
      }
      for (const s of streams) tasks.push(listingLoop(s));
      for (const tenant of options.tenants) tasks.push(blobPool(tenant));
      logger.info(
        {
          tenants: options.tenants.length,
          streams: streams.length,
          blobConcurrency: settings.blobConcurrency,
        },
        'Collector started.',
      );
    },

    async stop() {
      if (stopping) return;
      stopping = true;
      abort.abort();
      for (const w of wakeups.values()) w.wake();
      const all = Promise.allSettled([...tasks, ...inflight.values()]);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), settings.stopGraceMs ?? 10_000);
      });
      const result = await Promise.race([all.then(() => 'done' as const), grace]);
      clearTimeout(timer);
      if (result === 'timeout') {
        logger.warn(
          { inflight: inflight.size },
          'Leaving in-flight blobs pending; they are fetched again next run.',
        );
      }
      logger.info('Collector stopped.');
    },

    snapshot() {
      return streams.map(({ tenant: _t, needsSubscription: _n, nextSweepAt: _s, ...rest }) => ({ ...rest }));
    },

    health() {
      const tenants = options.tenants.map((tenant) => {
        const own = streams.filter((s) => s.tenantId === tenant.tenantId);
        // A listing error, or blobs failing in a row: the newer of the two is the one reported.
        const problem = (s: Stream): { error: string; at: string | null } | null => {
          const blobs =
            s.blobFailuresInARow >= BLOB_FAILURES_DEGRADED && s.lastBlobError
              ? { error: s.lastBlobError, at: s.lastBlobErrorAt }
              : null;
          const listing = s.lastError ? { error: s.lastError, at: s.lastErrorAt } : null;
          if (!blobs || !listing) return blobs ?? listing;
          return String(blobs.at) > String(listing.at) ? blobs : listing;
        };
        const contentTypes = own.map((s) => {
          const lag = s.newestContentCreated
            ? Math.max(0, (serverNow(tenant.client).getTime() - Date.parse(s.newestContentCreated)) / 1000)
            : null;
          const p = problem(s);
          return {
            contentType: s.contentType,
            status: (p ? 'degraded' : 'ok') as 'ok' | 'degraded',
            cursor: s.cursor,
            lagSeconds: lag === null ? null : Math.round(lag),
            lastError: p?.error ?? null,
            lastErrorAt: p?.at ?? null,
          };
        });
        const worst = contentTypes
          .filter((c) => c.lastError)
          .sort((a, b) => String(b.lastErrorAt).localeCompare(String(a.lastErrorAt)))[0];
        return {
          tenantId: tenant.tenantId,
          name: tenant.name,
          status: (worst ? 'degraded' : 'ok') as 'ok' | 'degraded',
          lastError: worst?.lastError ?? null,
          lastErrorAt: worst?.lastErrorAt ?? null,
          contentTypes,
        };
      });
      return { status: tenants.some((t) => t.status === 'degraded') ? 'degraded' : 'ok', tenants };
    },
  };
}

function toRef(tenantId: string, contentType: string, item: ContentItem): BlobRef {
  return {
    tenantId,
    // The ledger is per subscription: file the blob under the content type it was listed for.
    contentType,
    contentId: item.contentId,
    contentUri: item.contentUri,
    contentCreated: item.contentCreated,
    contentExpiration: item.contentExpiration,
  };
}
