/**
 * Subscription state per tenant × content type (spec §3.1–3.4): start,
 * repeated start (AF20024), stop, admin disable (AF20023), the optional start
 * cooldown, and what a restart after a stop hides (the gap is lost for good).
 */
import type { ContentType } from './content-types.js';

export interface Webhook {
  status: 'enabled' | 'disabled' | 'expired';
  address: string;
  authId: string | null;
  expiration: string | null;
}

export interface Subscription {
  contentType: ContentType;
  status: 'enabled' | 'disabled';
  /** Who disabled it: the client (stop), "a tenant admin" or "a service admin". */
  disabledBy?: 'client' | 'a tenant admin' | 'a service admin';
  webhook: Webhook | null;
  /** Content created before this (emulated ms) is unreachable: set on a restart after a stop. */
  visibleFrom: number;
  /** No content is listed before this (emulated ms): the "first content takes a while" delay. */
  firstContentAt: number;
  lastStartAt: number;
  /** The application that started it: `clientId` in webhook notifications. */
  clientId: string;
}

export type StartOutcome =
  | { kind: 'started'; subscription: Subscription; restarted: boolean }
  | { kind: 'updated'; subscription: Subscription }
  | { kind: 'unchanged' }
  | { kind: 'cooldown' };

export class Subscriptions {
  private readonly subs = new Map<string, Map<ContentType, Subscription>>();

  constructor(private readonly options: { firstContentDelayMs: number; startCooldownMs: number }) {}

  get(tenantId: string, contentType: ContentType): Subscription | undefined {
    return this.subs.get(tenantId.toLowerCase())?.get(contentType);
  }

  list(tenantId: string): Subscription[] {
    return [...(this.subs.get(tenantId.toLowerCase())?.values() ?? [])];
  }

  /** Whether live content should be produced: not while the subscription is off. */
  isProducing(tenantId: string, contentType: ContentType): boolean {
    const sub = this.get(tenantId, contentType);
    return !sub || sub.status === 'enabled';
  }

  start(
    tenantId: string,
    contentType: ContentType,
    webhook: Webhook | null | undefined,
    now: number,
    clientId: string,
  ): StartOutcome {
    const existing = this.get(tenantId, contentType);
    if (existing?.status === 'enabled') {
      if (webhook === undefined || sameWebhook(existing.webhook, webhook)) return { kind: 'unchanged' };
      existing.webhook = webhook;
      existing.clientId = clientId;
      return { kind: 'updated', subscription: existing };
    }
    if (
      existing &&
      this.options.startCooldownMs > 0 &&
      now - existing.lastStartAt < this.options.startCooldownMs
    ) {
      return { kind: 'cooldown' };
    }
    if (existing) {
      existing.status = 'enabled';
      delete existing.disabledBy;
      existing.webhook = webhook ?? null;
      existing.visibleFrom = now;
      existing.lastStartAt = now;
      existing.clientId = clientId;
      return { kind: 'started', subscription: existing, restarted: true };
    }
    const sub: Subscription = {
      contentType,
      status: 'enabled',
      webhook: webhook ?? null,
      // The first start exposes the emulated backlog, as if the tenant had
      // been subscribed all along (real: up to 12 h until anything appears).
      visibleFrom: 0,
      firstContentAt: now + this.options.firstContentDelayMs,
      lastStartAt: now,
      clientId,
    };
    let perTenant = this.subs.get(tenantId.toLowerCase());
    if (!perTenant) this.subs.set(tenantId.toLowerCase(), (perTenant = new Map()));
    perTenant.set(contentType, sub);
    return { kind: 'started', subscription: sub, restarted: false };
  }

  /** Client stop, or an admin switching it off. Returns false when there was nothing to disable. */
  disable(tenantId: string, contentType: ContentType, by: NonNullable<Subscription['disabledBy']>): boolean {
    const sub = this.get(tenantId, contentType);
    if (!sub) return false;
    sub.status = 'disabled';
    sub.disabledBy = by;
    return true;
  }
}

function sameWebhook(a: Webhook | null, b: Webhook | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.address === b.address &&
    a.authId === b.authId &&
    a.expiration === b.expiration &&
    a.status === 'enabled'
  );
}

/** The wire shape of a subscription in start and list responses. */
export function subscriptionJson(sub: Subscription): Record<string, unknown> {
  return { contentType: sub.contentType, status: sub.status, webhook: sub.webhook };
}
