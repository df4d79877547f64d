/**
 * The dashboard's projector: tails the store like a sink does (from its own offset, in offset order), turns
 * each Defender record into the narrow row the reports read (src/store/dashboard.ts), and writes a batch
 * with its new offset in one transaction. It runs after ingest, never on the collector's path, so a report
 * cannot slow collection; how far behind it is goes into every answer's `meta`.
 */
import type { DashboardRow, DashboardStore } from '../store/dashboard.js';
import type { Store, StoredRecord } from '../store/types.js';
import type { NormalizedEvent } from '../schema/index.js';
import { dispositionOfLocation, normalize, urlParts } from '../schema/index.js';
import { startWorkerPool, type WorkerPool } from '../pipeline/worker-pool.js';

/**
 * Records read per step: one step keeps the event loop busy for only a few ms, and its records and garbage stay
 * small beside a collector storing a 200 MB blob (1,000 measured +65 MB of peak RSS there, 250 +30 MB).
 */
const BATCH = 250;

/** Verdict class of a mail or file detection, from Microsoft's verdict text. */
export function verdictClass(verdict: string | null): string | null {
  if (verdict === null) return null;
  const v = verdict.toLowerCase().replace(/[\s_-]/g, '');
  if (v.includes('malware')) return 'malware';
  if (v.includes('phish')) return v.includes('highconf') ? 'hcphish' : 'phish';
  if (v.includes('spam')) return 'spam';
  if (v.includes('bulk')) return 'bulk';
  return 'other';
}

function domainOf(address: string | null): string | null {
  if (address === null) return null;
  const at = address.lastIndexOf('@');
  return at < 0 ? null : address.slice(at + 1).toLowerCase();
}

/** The SharePoint or OneDrive site of a file URL: scheme, host and `/sites/<name>` or `/personal/<name>`. */
export function siteOf(path: string | null): string | null {
  if (path === null) return null;
  const parts = urlParts(path);
  if (parts === null) return null;
  const m = /^\/(sites|teams|personal)\/[^/]+/i.exec(parts.path);
  return `${parts.domain}${m ? m[0] : ''}`;
}

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The one user an investigation concerns (its mailboxes and mail recipients), or null for none or several. */
function investigationUser(ev: NormalizedEvent): string | null {
  const evidence = ev.investigation?.evidence;
  if (!evidence) return null;
  const users = new Set(
    [...evidence.mailboxes.map((m) => m.address ?? m.upn), ...evidence.mails.map((m) => m.recipient)]
      .filter((u): u is string => u !== null && u !== '')
      .map((u) => u.toLowerCase()),
  );
  return users.size === 1 ? ([...users][0] ?? null) : null;
}

const KINDS = new Set(['email', 'url-click', 'file', 'investigation']);

/** One line for a timeline: what happened, in plain text (escaped where it is shown). */
function summarize(ev: NormalizedEvent, row: Omit<DashboardRow, 'summary'>): string {
  switch (row.kind) {
    case 'email': {
      const verdict = row.verdictRaw ?? 'threat';
      const where =
        row.action === 'remediated'
          ? `removed after delivery to ${row.latestLocation ?? 'an unknown location'}`
          : `${row.deliveryAction ?? 'seen'} to ${row.originalLocation ?? 'an unknown location'}`;
      return `${verdict} mail from ${row.sender ?? 'an unknown sender'} to ${row.recipient ?? 'unknown'}: ${where}`;
    }
    case 'url-click':
      return `${row.user ?? 'A user'} clicked ${row.url ?? 'a URL'} (${row.clickAction ?? 'no action'}, ${row.app ?? 'unknown app'})`;
    case 'file':
      return `${row.family ?? 'Malware'} in ${row.fileName ?? 'a file'} on ${row.workload ?? 'a site'}`;
    case 'investigation': {
      const inv = row.investigation;
      return `Investigation ${inv?.name ?? inv?.id ?? ''}: ${inv?.status ?? 'updated'}${
        inv && inv.pendingActions > 0 ? `, ${inv.pendingActions} action(s) pending approval` : ''
      }`;
    }
  }
  return ev.operation ?? 'event';
}

/** The report row of a stored record, or null when it is not a Defender record (28, 41, 47, 64). */
export function projectRecord(record: StoredRecord): DashboardRow | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.raw);
  } catch {
    return null;
  }
  const ev = normalize(parsed).event;
  if (!KINDS.has(ev.kind)) return null;
  const kind = ev.kind as DashboardRow['kind'];
  const t = ms(ev.time) ?? ms(record.storedAt) ?? 0;
  const email = ev.email;
  const file = ev.files[0] ?? null;
  const sender = ev.actors.from ?? ev.actors.mailFrom;
  const recipient = ev.actors.recipients[0] ?? null;
  const url =
    kind === 'url-click' ? (ev.urlClick?.url ?? null) : kind === 'email' ? (ev.urls[0] ?? null) : null;
  const override =
    email?.systemOverrides.map((o) => o.source ?? o.details).find((s): s is string => s !== null) ?? null;
  const inv = ev.investigation;
  let investigation: DashboardRow['investigation'] = null;
  if (inv !== null && kind === 'investigation') {
    const pending = inv.actions.filter((a) => a.status !== null && /pending/i.test(a.status));
    const starts = pending.map((a) => ms(a.startTime)).filter((x): x is number => x !== null);
    let pendingActions = pending.length;
    let pendingSince = starts.length > 0 ? Math.min(...starts) : pending.length > 0 ? t : null;
    if (pendingActions === 0 && inv.status !== null && /pending/i.test(inv.status)) {
      pendingActions = 1;
      pendingSince = t;
    }
    const remediated: { networkMessageId: string; t: number }[] = [];
    for (const a of inv.actions) {
      if (a.status === null || !/completed|success|remediated/i.test(a.status)) continue;
      for (const id of a.networkMessageIds) {
        remediated.push({ networkMessageId: id.toLowerCase(), t: ms(a.endTime) ?? t });
      }
    }
    investigation = {
      id: inv.id ?? record.id,
      name: inv.name,
      type: inv.type,
      status: inv.status,
      startT: ms(inv.startTime),
      pendingActions,
      pendingSince,
      actions: inv.actions.length,
      networkMessageIds: ev.networkMessageIds,
      remediated,
    };
  }
  const verdictRaw = kind === 'file' ? (file?.verdict?.name ?? 'Malware') : (ev.threat?.verdict ?? null);
  const row: Omit<DashboardRow, 'summary'> = {
    offset: record.offset,
    tenantId: record.tenantId,
    t,
    messageT: kind === 'email' ? ms(email?.messageTime ?? null) : null,
    kind,
    action: ev.action,
    verdict: kind === 'email' || kind === 'file' ? verdictClass(verdictRaw) : null,
    verdictRaw,
    technologies: ev.threat?.detectionTechnologies ?? [],
    deliveryAction: email?.deliveryAction ?? null,
    originalLocation: email?.originalDeliveryLocation ?? null,
    latestLocation: email?.latestDeliveryLocation ?? null,
    originalClass: dispositionOfLocation(email?.originalDeliveryLocation ?? null),
    latestClass: dispositionOfLocation(email?.latestDeliveryLocation ?? null),
    detectionType: ev.threat?.detectionType?.name ?? null,
    policy: ev.threat?.policy?.name ?? null,
    direction: email?.direction ?? null,
    override,
    sender,
    senderDomain: domainOf(sender),
    senderIp: ev.actors.senderIp,
    recipient,
    subject: email?.subject ?? null,
    networkMessageId: kind === 'investigation' ? null : (ev.networkMessageIds[0] ?? null),
    url,
    urlDomain: url === null ? null : (urlParts(url)?.domain ?? null),
    urls: kind === 'email' ? ev.urls : [],
    clickAction: ev.urlClick?.clickAction?.name ?? null,
    app: ev.urlClick?.appName ?? null,
    clickThrough: ev.action === 'clicked-through-warning',
    fileName: kind === 'file' ? (file?.name ?? null) : null,
    site: kind === 'file' ? siteOf(file?.path ?? null) : null,
    path: kind === 'file' ? (file?.path ?? null) : null,
    family: kind === 'file' ? (file?.malwareFamily ?? null) : (ev.threat?.families[0] ?? null),
    sha256:
      kind === 'file' ? (file?.sha256 ?? null) : (ev.files.find((f) => f.sha256 !== null)?.sha256 ?? null),
    attachments: kind === 'email' ? ev.files.map((f) => ({ name: f.name, sha256: f.sha256 })) : [],
    lastModifiedBy: kind === 'file' ? (file?.lastModifiedBy ?? null) : null,
    workload: kind === 'file' ? (file?.sourceWorkload?.name ?? ev.workload) : null,
    user:
      kind === 'email'
        ? recipient
        : kind === 'file'
          ? (file?.lastModifiedBy ?? ev.actors.user?.id ?? null)
          : kind === 'url-click'
            ? (ev.actors.user?.id ?? null)
            : investigationUser(ev),
    investigation,
  };
  return { ...row, summary: summarize(ev, row) };
}

export interface ProjectorOptions {
  store: Store;
  dashboard: DashboardStore;
  /** How long to wait when caught up (ms). */
  idleMs?: number;
  /**
   * Worker threads that normalize records while the main thread writes the previous batch (0: inline).
   * A worker that cannot start or dies leaves the work to the main thread.
   */
  workers?: number;
  /**
   * While the store grows (the collector is ingesting), the share of the time the projector works: after a
   * batch that took t, it waits t × (1 / share − 1). Collection comes first; the reports catch up when it
   * idles, and say meanwhile how far behind they are. 1: never waits. Default 0.25.
   */
  busyShare?: number;
  onError?: (err: unknown) => void;
}

interface Projected {
  /** The last offset read (whether or not it was a Defender record), or null at the end of the store. */
  upto: number | null;
  count: number;
  rows: DashboardRow[];
}

/** Runs the projection until stopped. */
export class Projector {
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private wakePause: (() => void) | null = null;
  private pool: Promise<WorkerPool<StoredRecord[], (DashboardRow | null)[]> | null> | null = null;

  constructor(private readonly options: ProjectorOptions) {}

  private workers(): Promise<WorkerPool<StoredRecord[], (DashboardRow | null)[]> | null> {
    const count = this.options.workers ?? 0;
    if (count <= 0) return Promise.resolve(null);
    this.pool ??= startWorkerPool<StoredRecord[], (DashboardRow | null)[]>({
      module: 'projection-worker',
      from: import.meta.url,
      workers: count,
      readyMs: 15_000,
      what: 'dashboard projection',
      unref: true,
    }).catch((err: unknown) => {
      this.options.onError?.(err);
      return null;
    });
    return this.pool;
  }

  /** Reads the batch after `offset` and projects it (in a worker when there is one). */
  private async read(offset: number): Promise<Projected> {
    const records = await this.options.store.readFrom(offset, BATCH);
    if (records.length === 0) return { upto: null, count: 0, rows: [] };
    const pool = await this.workers();
    let projected: (DashboardRow | null)[];
    try {
      projected = (await pool?.run(records, records.length)) ?? records.map(projectRecord);
    } catch {
      projected = records.map(projectRecord);
    }
    return {
      upto: records[records.length - 1]?.offset ?? offset,
      count: records.length,
      rows: projected.filter((r): r is DashboardRow => r !== null),
    };
  }

  /** Projects everything stored so far; resolves with how many records it read when caught up. */
  async catchUp(): Promise<number> {
    let done = 0;
    const share = Math.min(1, Math.max(0.01, this.options.busyShare ?? 0.25));
    let last = await this.options.store.lastOffset();
    let started = performance.now();
    let next = this.read((await this.options.dashboard.progress()).offset);
    for (;;) {
      const batch = await next;
      if (batch.upto === null) return done;
      // The next batch is read and normalized while this one is written.
      next = this.read(batch.upto);
      await this.options.dashboard.apply(batch.rows, batch.upto);
      done += batch.count;
      const now = await this.options.store.lastOffset();
      const elapsed = performance.now() - started;
      if (now > last && share < 1 && !this.stopped) {
        // The collector is storing records: leave it the cores.
        await this.pause(elapsed * (1 / share - 1));
      } else {
        // Give the collector and the HTTP server a turn between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      last = now;
      started = performance.now();
      if (this.stopped) {
        await next.catch(() => undefined);
        return done;
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakePause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  start(): void {
    const idle = this.options.idleMs ?? 1_000;
    const loop = async (): Promise<void> => {
      while (!this.stopped) {
        try {
          await this.catchUp();
        } catch (err) {
          this.options.onError?.(err);
        }
        if (this.stopped) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, idle);
        });
      }
    };
    this.running = loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.wakePause?.();
    await this.running;
    const pool = await this.pool;
    await pool?.close();
  }
}
