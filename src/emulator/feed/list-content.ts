/**
 * `GET /subscriptions/content` and `GET /subscriptions/notifications`
 * (spec §3.5, §3.6): availability listing with time rules and NextPageUri
 * pagination over a seq cursor, so blobs that become visible between pages
 * are neither skipped nor repeated.
 */
import type { ServerResponse } from 'node:http';
import type { Blob } from '../blobs/blob-store.js';
import { isoMs } from '../clock.js';
import type { ContentType } from '../content-types.js';
import type { ApiCall, ServerContext } from '../context.js';
import { AfError } from '../errors.js';
import { sendJson, type Query } from '../http.js';
import { contentItem } from './content-item.js';
import { notificationJson } from './notifier.js';
import { requireSubscription } from './subscription-handlers.js';
import { buildNextPageUri } from './next-page.js';
import { resolveTimeWindow } from './time-window.js';

export function listContent(
  ctx: ServerContext,
  call: ApiCall,
  query: Query,
  res: ServerResponse,
  options: { contentType: ContentType; operation: 'content' | 'notifications'; emptyPageFault: boolean },
): void {
  const { contentType } = options;
  const sub = requireSubscription(ctx, call, contentType);
  const now = ctx.clock.now();
  const window = resolveTimeWindow(query, now, ctx.settings.timeRules);
  const scope = { tenantId: call.tenantId, contentType, start: window.start, end: window.end };
  let cursor = 0;
  const nextPageId = query.get('nextPage');
  if (nextPageId !== undefined) {
    const decoded = ctx.nextPage.decode(nextPageId, scope);
    if (!decoded) throw new AfError('AF20031', [nextPageId]);
    cursor = decoded.seq;
  }
  // Content lists blobs; notifications list webhook attempts (none without a webhook).
  const base = ctx.baseUrl();
  const candidates: Iterable<Listable> =
    options.operation === 'notifications'
      ? ctx.notifier.history(call.tenantId, contentType).map((a) => ({
          seq: a.seq,
          blob: a.blob,
          json: () => notificationJson(base, a),
        }))
      : blobsFrom(ctx.store.list(call.tenantId, contentType), cursor, base);
  const visible = now >= sub.firstContentAt;
  const page: Listable[] = [];
  let next: Listable | undefined;
  if (visible) {
    for (const entry of candidates) {
      const blob = entry.blob;
      if (entry.seq < cursor || blob.withdrawn || blob.contentCreated < sub.visibleFrom) continue;
      if (blob.contentCreated < window.start || blob.contentCreated >= window.end) continue;
      if (page.length >= ctx.settings.pageSize) {
        next = entry;
        break;
      }
      page.push(entry);
    }
  }
  const headers: Record<string, string> = {};
  let body = page;
  if (options.emptyPageFault && page.length > 0) {
    // Adversarial: an empty page that still says there is more.
    next = page[0];
    body = [];
  }
  if (next) {
    const fmt = (ms: number): string => isoMs(ms);
    const link = buildNextPageUri({
      baseUrl: ctx.baseUrl(),
      tenantSegment: call.tenantSegment,
      operation: options.operation,
      contentType,
      // The link repeats the client's own times, or the filled-in default window.
      start: window.explicit ? (query.get('startTime') ?? fmt(window.start)) : fmt(window.start),
      end: window.explicit ? (query.get('endTime') ?? fmt(window.end)) : fmt(window.end),
      nextPage: ctx.nextPage.encode({ seq: next.seq }, scope, now, ctx.random.int(100)),
      publisherId: call.publisherId,
      quirks: ctx.settings.quirks,
    });
    headers[ctx.settings.quirks.headerName] = link;
  }
  sendJson(
    res,
    200,
    body.map((b) => b.json()),
    headers,
  );
}

interface Listable {
  seq: number;
  blob: Blob;
  json(): Record<string, string>;
}

/** Blobs from the cursor on, found by binary search (lists are in seq order) and wrapped lazily. */
function* blobsFrom(list: readonly Blob[], cursor: number, base: string): Generator<Listable> {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq < cursor) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < list.length; i++) {
    const b = list[i]!;
    yield { seq: b.seq, blob: b, json: () => contentItem(base, b) };
  }
}
