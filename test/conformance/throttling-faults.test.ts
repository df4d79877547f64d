/**
 * Throttling and fault injection (spec §6, §7, §10 "Throttling / faults"):
 * AF429 budgets, 5xx and bare 503/408, resets, slow answers, broken blob
 * bodies (all transient: a retry gets through), and the skewed Date header.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { api, emulator, startSubscription, token } from './helpers.js';

const ZERO = '00000000-0000-0000-0000-000000000000';

describe('throttling', () => {
  it('answers AF429 with HTTP 403 and PublisherId of zeros once the shared budget is spent', async () => {
    const emu = await emulator({ throttle: { sharedPerMinute: 3 } });
    const bearer = await token(emu);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await api(emu, 'subscriptions/list', { token: bearer }));
    expect(results.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results[3]!.status).toBe(403);
    expect(results[3]!.json()).toEqual({
      error: { code: 'AF429', message: `Too many requests. Method=ListSubscriptions, PublisherId=${ZERO}` },
    });
    expect(results[3]!.headers.get('retry-after')).toBeNull();
  });

  it('gives calls with PublisherIdentifier (any case) their own per-tenant budget', async () => {
    const emu = await emulator({ throttle: { sharedPerMinute: 1, perTenantPerMinute: 3 } });
    const bearer = await token(emu);
    const pub = emu.tenants[0]!;
    expect((await api(emu, 'subscriptions/list', { token: bearer })).status).toBe(200);
    expect((await api(emu, 'subscriptions/list', { token: bearer })).code()).toBe('AF429');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const name = i % 2 ? 'publisherIdentifier' : 'PublisherIdentifier';
      statuses.push((await api(emu, `subscriptions/list?${name}=${pub}`, { token: bearer })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 403]);
    const over = await api(emu, `subscriptions/list?PublisherIdentifier=${pub}`, { token: bearer });
    expect(over.text).toContain(`PublisherId=${pub}`);
  });

  it('answers AF429 with HTTP 429 and Retry-After when configured so', async () => {
    const emu = await emulator({ throttle: { sharedPerMinute: 1, status: 429, retryAfter: 'window' } });
    const bearer = await token(emu);
    await api(emu, 'subscriptions/list', { token: bearer });
    const res = await api(emu, 'subscriptions/list', { token: bearer });
    expect(res.status).toBe(429);
    expect(res.code()).toBe('AF429');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

async function withFault(
  kind: string,
  extra: Parameters<typeof emulator>[0] = {},
): Promise<{ emu: Emulator; bearer: string; blobPath: string }> {
  const emu = await emulator({ faults: { [kind]: 1 }, faultMaxConsecutive: 1, ...extra });
  const bearer = await token(emu);
  // Start before any fault can hit it: start is retried until it answers.
  for (let i = 0; i < 3; i++) {
    const r = await startSubscription(emu, 'Audit.General', undefined, bearer).catch(() => undefined);
    if (r?.status === 200) break;
  }
  const id = emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 5 });
  return { emu, bearer, blobPath: `audit/${id}` };
}

describe('faults are injected and transient', () => {
  it('answers AF50000-family errors with 5xx, then succeeds on retry', async () => {
    const { emu, bearer, blobPath } = await withFault('server-error', { seed: 3 });
    const first = await api(emu, blobPath, { token: bearer });
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(['AF50000', 'AF50005', 'AF50006']).toContain(first.code());
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(200);
  });

  it('answers a bare 503, then succeeds on retry', async () => {
    const { emu, bearer, blobPath } = await withFault('unavailable');
    const first = await api(emu, blobPath, { token: bearer });
    expect(first.status).toBe(503);
    expect(first.text).toBe('');
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(200);
  });

  it('answers a bare 408, then succeeds on retry', async () => {
    const { emu, bearer, blobPath } = await withFault('timeout');
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(408);
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(200);
  });

  it('resets the connection, then succeeds on retry', async () => {
    const { emu, bearer, blobPath } = await withFault('reset');
    await expect(api(emu, blobPath, { token: bearer })).rejects.toThrow();
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(200);
  });

  it('answers slowly when the slow fault hits', async () => {
    const { emu, bearer, blobPath } = await withFault('slow', { slowMs: 400 });
    const started = Date.now();
    expect((await api(emu, blobPath, { token: bearer })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  it('injects AF429 throttling at its rate', async () => {
    const { emu, bearer, blobPath } = await withFault('throttle');
    const res = await api(emu, blobPath, { token: bearer });
    expect(res.status).toBe(403);
    expect(res.text).toContain('Method=GetBlob');
  });

  it('truncates a blob body (200, cut JSON), then serves it whole', async () => {
    const { emu, bearer, blobPath } = await withFault('truncated');
    const cut = await api(emu, blobPath, { token: bearer });
    expect(cut.status).toBe(200);
    expect(() => cut.json()).toThrow();
    const whole = await api(emu, blobPath, { token: bearer });
    expect(whole.json()).toHaveLength(5);
  });

  it('garbles a blob body (200, not JSON), then serves it whole', async () => {
    const { emu, bearer, blobPath } = await withFault('malformed');
    const bad = await api(emu, blobPath, { token: bearer });
    expect(bad.status).toBe(200);
    expect(() => bad.json()).toThrow();
    expect((await api(emu, blobPath, { token: bearer })).json()).toHaveLength(5);
  });

  it('with --fault-rate, a client that retries each request collects every blob whole', async () => {
    const emu = await emulator({ faultRate: 0.5, slowMs: 20, seed: 11 });
    const bearer = await token(emu);
    const retry = async (path: string) => {
      for (let i = 0; i < 10; i++) {
        const res = await api(emu, path, { token: bearer }).catch(() => undefined);
        if (res && res.status === 200) {
          try {
            return res.json();
          } catch {
            continue;
          }
        }
      }
      throw new Error(`no success for ${path}`);
    };
    for (let i = 0; i < 10; i++) {
      const r = await startSubscription(emu, 'Audit.General', undefined, bearer).catch(() => undefined);
      if (r?.status === 200) break;
    }
    const ids = Array.from({ length: 6 }, () =>
      emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: 3 }),
    );
    for (const id of ids) expect(await retry(`audit/${id}`)).toHaveLength(3);
    expect(Object.keys(emu.stats().faults).length).toBeGreaterThan(1);
  });
});

describe('Date header', () => {
  it('sends a Date header on every response, from the skewed service clock', async () => {
    const emu = await emulator({ clockSkewMs: 5 * 60_000 });
    for (const path of [`${emu.url}/nowhere`, emu.tokenUrl(emu.tenants[0]!)]) {
      const date = await new Promise<string | undefined>((resolve, reject) => {
        request(path, { method: 'GET' }, (res) => {
          res.resume();
          resolve(res.headers.date);
        })
          .on('error', reject)
          .end();
      });
      const skew = Date.parse(date!) - Date.now();
      expect(skew).toBeGreaterThan(4 * 60_000);
      expect(skew).toBeLessThan(6 * 60_000);
    }
    const res = await api(emu, 'subscriptions/list', { token: null });
    expect(Date.parse(res.headers.get('date')!) - Date.now()).toBeGreaterThan(4 * 60_000);
  });
});
