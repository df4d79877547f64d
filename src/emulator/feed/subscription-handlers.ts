/**
 * `POST /subscriptions/start`, `POST /subscriptions/stop`,
 * `GET /subscriptions/list` (spec §3.1–3.4), and the subscription check every
 * content call makes (AF20022 never started, AF20023 disabled).
 */
import type { ServerResponse } from 'node:http';
import type { ContentType } from '../content-types.js';
import type { ApiCall, ServerContext } from '../context.js';
import { AfError } from '../errors.js';
import { sendJson } from '../http.js';
import { subscriptionJson, type Subscription, type Webhook } from '../subscriptions.js';
import { validateWebhook } from './webhook.js';

export function requireSubscription(
  ctx: ServerContext,
  call: ApiCall,
  contentType: ContentType,
): Subscription {
  const sub = ctx.subscriptions.get(call.tenantId, contentType);
  if (!sub) throw new AfError('AF20022');
  if (sub.status !== 'enabled') {
    // A client's own stop reads as a tenant admin's disable: both need a new start.
    throw new AfError('AF20023', [
      sub.disabledBy === 'a service admin' ? 'a service admin' : 'a tenant admin',
    ]);
  }
  return sub;
}

export async function startSubscription(
  ctx: ServerContext,
  call: ApiCall,
  contentType: ContentType,
  bodyText: string,
  res: ServerResponse,
): Promise<void> {
  const webhook = await parseWebhook(ctx, bodyText);
  const now = ctx.clock.now();
  const outcome = ctx.subscriptions.start(call.tenantId, contentType, webhook, now, call.appId);
  switch (outcome.kind) {
    case 'unchanged':
      throw new AfError('AF20024');
    case 'cooldown':
      // The 15-minute rule's error is undocumented (spec §11.8); answered as throttling.
      throw ctx.throttle.error(call.publisherId, 'StartSubscription');
    case 'started':
      if (outcome.restarted)
        ctx.publisher.withdrawBefore(call.tenantId, contentType, outcome.subscription.visibleFrom);
      return sendJson(res, 200, subscriptionJson(outcome.subscription));
    case 'updated':
      return sendJson(res, 200, subscriptionJson(outcome.subscription));
  }
}

export function stopSubscription(
  ctx: ServerContext,
  call: ApiCall,
  contentType: ContentType,
  res: ServerResponse,
): void {
  if (!ctx.subscriptions.disable(call.tenantId, contentType, 'client')) throw new AfError('AF20022');
  res.writeHead(200, { 'Content-Length': 0 });
  res.end();
}

export function listSubscriptions(ctx: ServerContext, call: ApiCall, res: ServerResponse): void {
  sendJson(res, 200, ctx.subscriptions.list(call.tenantId).map(subscriptionJson));
}

/** undefined: no webhook in the body (nothing to change); null: explicitly none. */
async function parseWebhook(ctx: ServerContext, bodyText: string): Promise<Webhook | null | undefined> {
  if (!bodyText.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new AfError('AF20002', ['body', 'json']);
  }
  if (typeof body !== 'object' || body === null || !('webhook' in body)) return undefined;
  const hook = (body as { webhook: unknown }).webhook;
  if (hook === null) return null;
  if (typeof hook !== 'object') throw new AfError('AF20002', ['webhook', 'object']);
  const h = hook as Record<string, unknown>;
  const address = typeof h.address === 'string' ? h.address : '';
  if (!address) throw new AfError('AF20001', ['webhook.address']);
  const authId = typeof h.authId === 'string' && h.authId !== '' ? h.authId : null;
  const expiration = typeof h.expiration === 'string' && h.expiration !== '' ? h.expiration : null;
  if (expiration !== null) {
    const at = Date.parse(expiration);
    if (Number.isNaN(at)) throw new AfError('AF20002', ['expiration', 'datetime']);
    if (at <= ctx.clock.now()) throw new AfError('AF20003', [expiration]);
  }
  await validateWebhook(ctx, address, authId);
  return { status: 'enabled', address, authId, expiration };
}
