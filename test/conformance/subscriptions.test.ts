/**
 * Subscriptions (spec §3.1–3.4, §10 "Subscriptions"): start, repeated start,
 * cooldown, stop and the lost gap, admin disable, webhook validation and the
 * first-content delay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  emulator,
  eventually,
  iso,
  listAll,
  makeCertificate,
  startSubscription,
  token,
} from './helpers.js';

describe('start, list, stop', () => {
  it('start answers 200 with contentType, status "enabled" and webhook null', async () => {
    const emu = await emulator();
    const res = await startSubscription(emu, 'Audit.General');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ contentType: 'Audit.General', status: 'enabled', webhook: null });
  });

  it('a repeated start with no change answers 400 AF20024 with the exact message', async () => {
    const emu = await emulator();
    await startSubscription(emu, 'Audit.Exchange');
    const again = await startSubscription(emu, 'Audit.Exchange');
    expect(again.status).toBe(400);
    expect(again.json()).toEqual({
      error: { code: 'AF20024', message: 'The subscription is already enabled. No property change.' },
    });
  });

  it('an unknown content type answers AF20020', async () => {
    const emu = await emulator();
    const res = await startSubscription(emu, 'Audit.Everything');
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20020');
  });

  it('list shows every subscription with its status and webhook', async () => {
    const emu = await emulator();
    await startSubscription(emu, 'Audit.General');
    await startSubscription(emu, 'DLP.All');
    await api(emu, 'subscriptions/stop?contentType=DLP.All', { method: 'POST' });
    const list = await api(emu, 'subscriptions/list');
    expect(list.json()).toEqual([
      { contentType: 'Audit.General', status: 'enabled', webhook: null },
      { contentType: 'DLP.All', status: 'disabled', webhook: null },
    ]);
  });

  it('content for a content type never started answers AF20022', async () => {
    const emu = await emulator();
    const res = await api(emu, 'subscriptions/content?contentType=Audit.SharePoint');
    expect(res.code()).toBe('AF20022');
  });

  it('after an admin disables a subscription, content answers AF20023 until it is started again', async () => {
    const emu = await emulator();
    await startSubscription(emu, 'Audit.General');
    emu.disableSubscription(emu.tenants[0]!, 'Audit.General', 'a service admin');
    const res = await api(emu, 'subscriptions/content?contentType=Audit.General');
    expect(res.json()).toEqual({
      error: { code: 'AF20023', message: 'The subscription was disabled by a service admin.' },
    });
    expect((await startSubscription(emu, 'Audit.General')).status).toBe(200);
    expect((await api(emu, 'subscriptions/content?contentType=Audit.General')).status).toBe(200);
  });

  it('stop answers 200 with an empty body; a later start loses the gap for good', async () => {
    const emu = await emulator();
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General');
    const before = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 3 });
    const stop = await api(emu, 'subscriptions/stop?contentType=Audit.General', {
      method: 'POST',
      token: bearer,
    });
    expect(stop.status).toBe(200);
    expect(stop.text).toBe('');
    expect(
      (await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer })).code(),
    ).toBe('AF20023');
    await new Promise((r) => setTimeout(r, 5));
    expect((await startSubscription(emu, 'Audit.General', undefined, bearer)).status).toBe(200);
    const now = emu.now();
    const after = emu.publishRecords({
      tenant: emu.tenants[0]!,
      contentType: 'Audit.General',
      count: 3,
      createdAt: new Date(now),
    });
    const window = `&startTime=${iso(now - 3_600_000)}&endTime=${iso(now + 3_600_000)}`;
    const { items } = await listAll(emu, `subscriptions/content?contentType=Audit.General${window}`, bearer);
    expect(items.map((i) => i.contentId)).toEqual([after]);
    const old = await api(emu, `audit/${before}`, { token: bearer });
    expect(old.code()).toBe('AF20050');
  });

  it('enforces the start cooldown when configured, and lets the next start through after it', async () => {
    // 15 emulated minutes pass in a quarter of a second at speed 3600.
    const emu = await emulator({ startCooldownMs: 15 * 60_000, speed: 3600 });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    await api(emu, 'subscriptions/stop?contentType=Audit.General', { method: 'POST', token: bearer });
    const tooSoon = await startSubscription(emu, 'Audit.General', undefined, bearer);
    if (tooSoon.status !== 200) {
      expect(tooSoon.status).toBe(403);
      expect(tooSoon.code()).toBe('AF429');
    }
    await eventually(async () =>
      (await startSubscription(emu, 'Audit.General', undefined, bearer)).status === 200 ? true : undefined,
    );
  });

  it('answers AF429 for a start within the cooldown at normal speed', async () => {
    const emu = await emulator({ startCooldownMs: 15 * 60_000 });
    await startSubscription(emu, 'Audit.General');
    await api(emu, 'subscriptions/stop?contentType=Audit.General', { method: 'POST' });
    const res = await startSubscription(emu, 'Audit.General');
    expect(res.status).toBe(403);
    expect(res.code()).toBe('AF429');
  });

  it('lists no content until the first-content delay has passed', async () => {
    // Two emulated hours pass in two wall seconds.
    const emu = await emulator({ firstContentDelayMs: 2 * 3_600_000, speed: 3600 });
    const bearer = await token(emu);
    await startSubscription(emu, 'Audit.General', undefined, bearer);
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 1 });
    const first = await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer });
    expect(first.json()).toEqual([]);
    await eventually(async () => {
      const res = await api(emu, 'subscriptions/content?contentType=Audit.General', { token: bearer });
      return (res.json() as unknown[]).length === 1 ? true : undefined;
    }, 8000);
  });
});

describe('webhook validation', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let hook: Server | undefined;
  const seen: { headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atp-emu-hook-'));
    ({ cert, key } = makeCertificate(dir, 'hook'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    seen.length = 0;
    if (hook) await new Promise((r) => hook!.close(r));
    hook = undefined;
  });

  /** A webhook on loopback answering validations with `status` and notifications with `pushStatus`. */
  async function listener(status: number, pushStatus = status): Promise<string> {
    hook = createServer({ cert, key }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(req.headers['webhook-validationcode'] ? status : pushStatus).end();
      });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
    return `https://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  }

  const start = (emu: Awaited<ReturnType<typeof emulator>>, webhook: Record<string, unknown>) =>
    api(emu, 'subscriptions/start?contentType=Audit.SharePoint', {
      method: 'POST',
      body: JSON.stringify({ webhook }),
    });

  it('POSTs Webhook-ValidationCode and Webhook-AuthID, and enables the webhook on 200', async () => {
    const emu = await emulator({ webhookCa: cert });
    const address = await listener(200);
    const res = await start(emu, { address, authId: 'o365activityapinotification', expiration: '' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      contentType: 'Audit.SharePoint',
      status: 'enabled',
      webhook: { status: 'enabled', address, authId: 'o365activityapinotification', expiration: null },
    });
    expect(seen).toHaveLength(1);
    const code = seen[0]!.headers['webhook-validationcode'];
    expect(typeof code).toBe('string');
    expect(seen[0]!.headers['webhook-authid']).toBe('o365activityapinotification');
    expect(JSON.parse(seen[0]!.body)).toEqual({ validationCode: code });
  });

  it('fails the start with AF20021 when the endpoint does not answer 200, and creates no subscription', async () => {
    const emu = await emulator({ webhookCa: cert });
    const address = await listener(500);
    const res = await start(emu, { address });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20021');
    expect(res.text).toContain('The endpoint did not return HTTP 200.');
    expect((await api(emu, 'subscriptions/list')).json()).toEqual([]);
  });

  it('fails the start with AF20021 for an address that is not HTTPS', async () => {
    const emu = await emulator();
    const res = await start(emu, { address: 'http://127.0.0.1:9/hook' });
    expect(res.code()).toBe('AF20021');
    expect(res.text).toContain('The address must begin with HTTPS.');
  });

  it('answers AF20003 for a webhook expiration in the past', async () => {
    const emu = await emulator();
    const res = await start(emu, { address: 'https://127.0.0.1:9/hook', expiration: '2020-01-01T00:00:00Z' });
    expect(res.code()).toBe('AF20003');
  });

  it('pushes each new blob to the webhook with tenantId and clientId, and lists the attempt in /notifications', async () => {
    const emu = await emulator({ webhookCa: cert, publishIntervalMs: 50 });
    const address = await listener(200);
    expect((await start(emu, { address, authId: 'secret-auth-id' })).status).toBe(200);
    const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.SharePoint', count: 2 });
    const push = await eventually(() => seen.find((r) => !r.headers['webhook-validationcode']));
    expect(push.headers['content-type']).toBe('application/json; utf-8');
    expect(push.headers['webhook-authid']).toBe('secret-auth-id');
    const items = JSON.parse(push.body) as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      tenantId: emu.tenants[0],
      clientId: emu.clientId,
      contentType: 'Audit.SharePoint',
      contentId: id,
      contentUri: `${emu.apiRoot(emu.tenants[0]!)}/audit/${id}`,
    });
    const history = await eventually(async () => {
      const res = await api(emu, 'subscriptions/notifications?contentType=Audit.SharePoint');
      const list = res.json() as Record<string, unknown>[];
      return list.length > 0 ? list : undefined;
    });
    expect(history[0]).toMatchObject({ contentId: id, notificationStatus: 'success' });
    expect(String(history[0]!.notificationSent)).toMatch(/Z$/);
  });

  it('retries a failing webhook, then disables it; a new start enables it again', async () => {
    const emu = await emulator({
      webhookCa: cert,
      publishIntervalMs: 20,
      webhookMaxFailures: 3,
      webhookRetryMs: 20,
    });
    const address = await listener(200, 500);
    await start(emu, { address });
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.SharePoint', count: 1 });
    await eventually(async () => {
      const list = (await api(emu, 'subscriptions/list')).json() as { webhook: { status: string } }[];
      return list[0]!.webhook.status === 'disabled' ? true : undefined;
    });
    expect(seen.filter((r) => !r.headers['webhook-validationcode'])).toHaveLength(3);
    const history = (
      await api(emu, 'subscriptions/notifications?contentType=Audit.SharePoint')
    ).json() as Record<string, unknown>[];
    expect(history.map((h) => h.notificationStatus)).toEqual(['failed', 'failed', 'failed']);
    const again = await start(emu, { address });
    expect(again.json()).toMatchObject({ webhook: { status: 'enabled' } });
  });

  it('marks a webhook expired once its expiration passes, and stops notifying', async () => {
    // One emulated hour per wall second; the webhook expires an emulated hour after start.
    const emu = await emulator({ webhookCa: cert, speed: 3600, publishIntervalMs: 20 });
    const address = await listener(200);
    await start(emu, { address, expiration: new Date(emu.now() + 3_600_000).toISOString() });
    await new Promise((r) => setTimeout(r, 1200));
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.SharePoint', count: 1 });
    await eventually(async () => {
      const list = (await api(emu, 'subscriptions/list')).json() as { webhook: { status: string } }[];
      return list[0]!.webhook.status === 'expired' ? true : undefined;
    });
    expect(seen.filter((r) => !r.headers['webhook-validationcode'])).toHaveLength(0);
  });
});
