/**
 * Webhook notification push (spec §3.7): each published blob is announced to
 * the subscription's webhook as an array of content items with tenantId and
 * clientId; a non-200 answer is retried with growing intervals and, after
 * `maxFailures` failures in a row, the webhook is disabled. Every attempt is
 * kept for `/subscriptions/notifications`.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { Logger } from '../../telemetry/logger.js';
import type { Blob } from '../blobs/blob-store.js';
import { isoMs, type EmulatorClock } from '../clock.js';
import type { Subscriptions } from '../subscriptions.js';
import { contentItem } from './content-item.js';

export interface NotificationAttempt {
  seq: number;
  blob: Blob;
  sentAt: number;
  status: 'success' | 'failed';
}

interface Pending {
  tenantId: string;
  blobs: Blob[];
  failures: number;
  nextAttemptWall: number;
}

export interface NotifierOptions {
  maxFailures: number;
  /** First retry interval (wall ms); doubles per failure. */
  retryMs: number;
  ca?: string | Buffer;
}

export class WebhookNotifier {
  private readonly pending = new Map<string, Pending>();
  private readonly attempts = new Map<string, NotificationAttempt[]>();
  private seq = 0;
  private busy = false;
  private readonly dispatcher: Agent | undefined;

  constructor(
    private readonly deps: {
      subscriptions: Subscriptions;
      clock: EmulatorClock;
      log: Logger;
      baseUrl: () => string;
      options: NotifierOptions;
    },
  ) {
    this.dispatcher = deps.options.ca ? new Agent({ connect: { ca: deps.options.ca } }) : undefined;
  }

  /** Queues a newly visible blob for its subscription's webhook, if it has a live one. */
  published(blob: Blob): void {
    const sub = this.deps.subscriptions.get(blob.tenantId, blob.contentType);
    if (sub?.status !== 'enabled' || sub.webhook?.status !== 'enabled') return;
    const key = keyOf(blob.tenantId, blob.contentType);
    let p = this.pending.get(key);
    if (!p)
      this.pending.set(key, (p = { tenantId: blob.tenantId, blobs: [], failures: 0, nextAttemptWall: 0 }));
    p.blobs.push(blob);
  }

  history(tenantId: string, contentType: string): readonly NotificationAttempt[] {
    return this.attempts.get(keyOf(tenantId, contentType)) ?? [];
  }

  /** Sends what is due; called on the publish timer. */
  async flush(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const [key, p] of [...this.pending]) {
        if (p.blobs.length === 0 || Date.now() < p.nextAttemptWall) continue;
        await this.send(key, p);
      }
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }

  private async send(key: string, p: Pending): Promise<void> {
    const ct = p.blobs[0]!.contentType;
    const sub = this.deps.subscriptions.get(p.tenantId, ct);
    const hook = sub?.webhook;
    if (!sub || sub.status !== 'enabled' || !hook || hook.status !== 'enabled') {
      this.pending.delete(key);
      return;
    }
    if (hook.expiration !== null && Date.parse(hook.expiration) <= this.deps.clock.now()) {
      hook.status = 'expired';
      this.pending.delete(key);
      return;
    }
    const blobs = p.blobs.splice(0, 100);
    const body = blobs.map((b) => ({
      tenantId: b.tenantId,
      clientId: sub.clientId,
      ...contentItem(this.deps.baseUrl(), b),
    }));
    const headers: Record<string, string> = { 'Content-Type': 'application/json; utf-8' };
    if (hook.authId !== null) headers['Webhook-AuthID'] = hook.authId;
    let status = 0;
    try {
      const res = await undiciFetch(hook.address, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(10_000),
        redirect: 'manual',
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      this.deps.log.debug(
        { address: hook.address, err: (err as Error).message },
        'Webhook notification failed.',
      );
    }
    const ok = status === 200;
    const list = this.attempts.get(key) ?? [];
    for (const blob of blobs)
      list.push({ seq: ++this.seq, blob, sentAt: this.deps.clock.now(), status: ok ? 'success' : 'failed' });
    this.attempts.set(key, list);
    if (ok) {
      p.failures = 0;
      p.nextAttemptWall = 0;
      return;
    }
    p.blobs.unshift(...blobs);
    p.failures++;
    if (p.failures >= this.deps.options.maxFailures) {
      // Sustained failure disables the webhook; a new start re-enables it.
      hook.status = 'disabled';
      this.pending.delete(key);
      this.deps.log.warn(
        { address: hook.address, tenant: p.tenantId, contentType: ct },
        'Webhook disabled after repeated failures.',
      );
      return;
    }
    p.nextAttemptWall = Date.now() + this.deps.options.retryMs * 2 ** (p.failures - 1);
  }
}

function keyOf(tenantId: string, contentType: string): string {
  return `${tenantId.toLowerCase()}|${contentType}`;
}

/** The history item shape: the content item plus when and how it was sent. */
export function notificationJson(baseUrl: string, a: NotificationAttempt): Record<string, string> {
  return { ...contentItem(baseUrl, a.blob), notificationSent: isoMs(a.sentAt), notificationStatus: a.status };
}
