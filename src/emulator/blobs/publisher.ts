/**
 * Decides what content exists and when it becomes visible: a backlog of
 * history at start, live blobs at `rate` records per wall-clock second, and
 * the awkward cases real tenants produce (spec §5.3): back-filled blobs whose
 * contentCreated falls in an already-polled window, blobs carrying events
 * days older than ones already delivered, duplicate blobs, and blobs that
 * expire before anyone fetches them.
 */
import { createRecordGenerator, type RecordGenerator } from '../generator/index.js';
import { ALL_CONTENT_TYPES, CONTENT_TYPE_WEIGHTS, type ContentType } from '../content-types.js';
import type { EmulatorClock } from '../clock.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../duration.js';
import type { FaultInjector } from '../faults.js';
import type { GroundTruth } from '../ground-truth.js';
import type { Random } from '../random.js';
import type { Subscriptions } from '../subscriptions.js';
import type { BlobStore } from './blob-store.js';
import { type Blob, type BlobRecordMeta } from './blob-store.js';
import { makeContentId } from './content-id.js';

export const RETENTION_MS = 7 * DAY_MS;

export interface PublisherOptions {
  seed: number;
  historyMs: number;
  historyRecords: number;
  /** Live records per wall-clock second, per tenant. */
  rate: number;
  recordsPerBlob: number;
  /** Wall ms after which a partly filled live blob is published anyway. */
  blobIntervalMs: number;
  /** Share of blobs published already expiring (fetch answers AF20051). */
  expireRate: number;
  /** Blobs published with less than this (wall ms) left before expiry are flagged in the ground truth. */
  expiryMarginWallMs: number;
}

interface TenantFeed {
  tenantId: string;
  region: string;
  generator: RecordGenerator;
  /** Fractional records owed per content type. */
  owed: Map<ContentType, number>;
  pendingSince: Map<ContentType, number>;
  recent: Map<ContentType, Blob[]>;
}

export class Publisher {
  private seq = 0;
  private readonly feeds: TenantFeed[] = [];
  private lastTickWall = Date.now();

  constructor(
    private readonly deps: {
      store: BlobStore;
      subscriptions: Subscriptions;
      groundTruth: GroundTruth;
      clock: EmulatorClock;
      random: Random;
      faults: FaultInjector;
      options: PublisherOptions;
      /** Told about every blob as it becomes visible (webhook push). */
      onPublished?: (blob: Blob) => void;
    },
  ) {}

  addTenant(tenantId: string, index: number): void {
    this.feeds.push({
      tenantId,
      region: `emu${String(index + 1).padStart(4, '0')}`,
      generator: createRecordGenerator({
        seed: this.deps.options.seed + index * 7919,
        tenantId,
        duplicateRate: this.deps.faults.rate('duplicate') / 2,
      }),
      owed: new Map(),
      pendingSince: new Map(),
      recent: new Map(),
    });
  }

  /** Spreads `historyRecords` per tenant over the history span, oldest first. */
  publishBacklog(): void {
    const { historyMs, historyRecords, recordsPerBlob } = this.deps.options;
    if (historyMs <= 0 || historyRecords <= 0) return;
    const now = this.deps.clock.now();
    for (const feed of this.feeds) {
      const plan: { ct: ContentType; created: number; count: number }[] = [];
      for (const ct of ALL_CONTENT_TYPES) {
        let left = Math.round(historyRecords * CONTENT_TYPE_WEIGHTS[ct]);
        const blobs = Math.ceil(left / recordsPerBlob);
        for (let i = 0; i < blobs; i++) {
          const count = Math.min(recordsPerBlob, left);
          left -= count;
          const slot = historyMs / blobs;
          plan.push({
            ct,
            created: Math.floor(now - historyMs + slot * i + this.deps.random.next() * slot),
            count,
          });
        }
      }
      plan.sort((a, b) => a.created - b.created);
      for (const p of plan) this.publishGenerated(feed, p.ct, p.count, p.created);
    }
  }

  /** Called on a timer: accrues live records and publishes full or aged blobs. */
  tick(): void {
    const wall = Date.now();
    const dtSec = (wall - this.lastTickWall) / 1000;
    this.lastTickWall = wall;
    const { rate, recordsPerBlob, blobIntervalMs } = this.deps.options;
    for (const feed of this.feeds) {
      for (const ct of ALL_CONTENT_TYPES) {
        if (!this.deps.subscriptions.isProducing(feed.tenantId, ct)) continue;
        const owed = (feed.owed.get(ct) ?? 0) + rate * dtSec * CONTENT_TYPE_WEIGHTS[ct];
        feed.owed.set(ct, owed);
        if (owed < 1) continue;
        if (!feed.pendingSince.has(ct)) feed.pendingSince.set(ct, wall);
        const aged = wall - (feed.pendingSince.get(ct) ?? wall) >= blobIntervalMs;
        if (owed < recordsPerBlob && !aged) continue;
        let count = Math.floor(owed);
        feed.owed.set(ct, owed - count);
        feed.pendingSince.delete(ct);
        while (count > 0) {
          const n = Math.min(count, recordsPerBlob);
          count -= n;
          this.publishGenerated(feed, ct, n, this.deps.clock.now());
        }
      }
    }
  }

  /** Releases expired bodies and reports blobs nobody fetched in time. */
  sweepExpired(): void {
    const now = this.deps.clock.now();
    for (const blob of this.deps.store.all()) {
      if (blob.records && blob.expiresAt <= now) {
        blob.records = null;
        if (!blob.fetched && !blob.withdrawn) this.deps.groundTruth.expiredUnfetched(blob);
      }
    }
  }

  /** Hides content created before a restart (spec §3.3: the gap is lost). */
  withdrawBefore(tenantId: string, ct: ContentType, visibleFrom: number): void {
    for (const blob of this.deps.store.list(tenantId, ct)) {
      if (blob.contentCreated < visibleFrom && !blob.withdrawn) {
        blob.withdrawn = true;
        if (!blob.fetched && blob.records) this.deps.groundTruth.withdrawn(blob);
      }
    }
  }

  /**
   * Publishes serialised records as one blob, visible now. Used by replay
   * too; `created` may lie in the past (back-fill).
   */
  publish(args: {
    tenantId: string;
    contentType: ContentType;
    records: Buffer[];
    meta: BlobRecordMeta[];
    created?: number;
    region?: string;
  }): Blob {
    const now = this.deps.clock.now();
    const created = Math.min(args.created ?? now, now);
    const expiresEarly = this.deps.random.chance(this.deps.options.expireRate);
    const seq = ++this.seq;
    const blob: Blob = {
      seq,
      tenantId: args.tenantId,
      contentType: args.contentType,
      contentId: makeContentId({
        createdMs: created,
        seq,
        contentType: args.contentType,
        region: args.region ?? 'emu0001',
      }),
      contentCreated: created,
      visibleAt: now,
      expiresAt: expiresEarly ? now : created + RETENTION_MS,
      expiresEarly,
      records: args.records,
      meta: args.meta,
      fetched: false,
      withdrawn: false,
    };
    this.deps.store.add(blob);
    this.deps.onPublished?.(blob);
    const marginMs = this.deps.options.expiryMarginWallMs * this.deps.clock.speed;
    this.deps.groundTruth.published(blob, expiresEarly || blob.expiresAt - now < marginMs);
    const sub = this.deps.subscriptions.get(blob.tenantId, blob.contentType);
    if (sub && created < sub.visibleFrom) {
      // Created inside a gap a restart already gave up: never reachable, and said so.
      blob.withdrawn = true;
      this.deps.groundTruth.withdrawn(blob);
    }
    return blob;
  }

  private publishGenerated(feed: TenantFeed, ct: ContentType, count: number, created: number): void {
    const { random, faults } = this.deps;
    let eventsTo = created - MINUTE_MS;
    let eventsFrom = created - 90 * MINUTE_MS;
    let contentCreated = created;
    if (faults.publishes('late')) {
      if (random.chance(0.5)) {
        // Events days older than what was already delivered (OBS, api-management-developer-portal #1063).
        eventsTo = created - random.between(1, 5) * DAY_MS;
        eventsFrom = eventsTo - HOUR_MS;
      } else {
        // Back-fill: created in a window a client may already have polled.
        contentCreated = created - random.between(2 * MINUTE_MS, 2 * HOUR_MS);
        // Not into a gap lost by a stop and restart: that content would be unreachable.
        const visibleFrom = this.deps.subscriptions.get(feed.tenantId, ct)?.visibleFrom ?? 0;
        contentCreated = Math.max(contentCreated, Math.min(created, visibleFrom));
      }
    }
    const records = feed.generator.records(ct, count, new Date(eventsFrom), new Date(eventsTo));
    const blob = this.publish({
      tenantId: feed.tenantId,
      contentType: ct,
      records: records.map((r) => Buffer.from(JSON.stringify(r))),
      meta: records.map(metaOf),
      created: contentCreated,
      region: feed.region,
    });
    const recent = feed.recent.get(ct) ?? [];
    if (faults.publishes('duplicate') && recent.length > 0) {
      // The service retries internally and may publish the same records again under a new id.
      const earlier = random.pick(recent);
      if (earlier.records) {
        this.publish({
          tenantId: feed.tenantId,
          contentType: ct,
          records: earlier.records,
          meta: earlier.meta,
          created,
          region: feed.region,
        });
      }
    }
    recent.push(blob);
    if (recent.length > 50) recent.shift();
    feed.recent.set(ct, recent);
  }
}

export function metaOf(record: Record<string, unknown>): BlobRecordMeta {
  const id = record.Id;
  const type = record.RecordType;
  return {
    id: typeof id === 'string' ? id : null,
    recordType:
      typeof type === 'number' ? type : typeof type === 'string' && /^\d+$/.test(type) ? Number(type) : null,
  };
}
