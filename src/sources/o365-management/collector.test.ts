import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../telemetry/logger.js';
import { createMetrics } from '../../telemetry/metrics.js';
import { createCollector, type Collector, type CollectorSettings } from './collector.js';
import { MemoryStore, ScriptedClient, apiError, records } from './fakes.test-util.js';
import { fallbackExtractIndex } from './fallback-index.js';
import type { ContentItem } from './types.js';

const T = '22222222-2222-2222-2222-222222222222';
const CT = 'Audit.General';
const HOUR = 3_600_000;
const logger = createLogger({ level: 'silent' });
const settings: CollectorSettings = {
  pollIntervalMs: 20,
  stragglerWindowMs: 48 * HOUR,
  stragglerIntervalMs: 50,
  blobConcurrency: 3,
  settleMs: 0,
  retryBaseMs: 10,
  retryMaxMs: 50,
  idleCheckMs: 10,
};

function item(id: string, ageMs: number): ContentItem {
  const created = Date.now() - ageMs;
  return {
    contentType: CT,
    contentId: id,
    contentUri: `http://127.0.0.1/audit/${id}`,
    contentCreated: new Date(created).toISOString(),
    contentExpiration: new Date(created + 7 * 24 * HOUR).toISOString(),
  };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('collector', () => {
  let collector: Collector | undefined;
  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
  });

  function start(
    store: MemoryStore,
    client: ScriptedClient,
    extra: Partial<CollectorSettings> = {},
  ): Collector {
    collector = createCollector({
      store,
      tenants: [{ tenantId: T, contentTypes: [CT], client }],
      settings: { ...settings, ...extra },
      extractIndex: fallbackExtractIndex,
      logger,
      metrics: createMetrics(),
    });
    return collector;
  }

  it('back-fills the week in windows of at most 24 h and delivers every listed blob', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    const ages = [1, 20, 30, 70, 100, 150, 166];
    ages.forEach((h, i) => {
      client.items.push(item(`b${i}`, h * HOUR));
      client.blobs.set(`http://127.0.0.1/audit/b${i}`, records([`r${i}a`, `r${i}b`]));
    });
    await start(store, client).start();
    await until(() => store.records.size === ages.length * 2);
    await until(() => [...store.ledger.values()].every((b) => b.state === 'delivered'));
    for (const call of client.listCalls) {
      expect(call.end.getTime() - call.start.getTime()).toBeLessThanOrEqual(24 * HOUR);
      expect(call.end.getTime()).toBeLessThanOrEqual(Date.now());
    }
    expect(client.subscriptionCalls[0]).toEqual([CT]);
    expect(collector?.snapshot()[0]).toMatchObject({ records: 14, windowsDone: 7, windowsTotal: 7 });
  });

  it('does not move the cursor when a listing fails part-way, and reports the tenant degraded', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    client.items.push(item('x', HOUR));
    client.listError = apiError('API_UNAVAILABLE', true, 'AF50000');
    await start(store, client).start();
    await until(() => client.listCalls.length >= 2);
    expect(await store.getCursor(T, CT)).toBeNull();
    expect(collector?.health()).toMatchObject({ status: 'degraded', tenants: [{ status: 'degraded' }] });
    expect(collector?.health().tenants[0]?.lastError).toContain('AF50000');
    client.listError = null;
    await until(async () => (await store.getCursor(T, CT)) !== null);
    await until(() => collector?.health().status === 'ok');
  });

  it('reports the stream degraded while blobs keep failing, and ok again once one is delivered', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    client.items.push(item('sick', HOUR));
    let failing = true;
    client.blobs.set('http://127.0.0.1/audit/sick', () =>
      failing ? apiError('API_UNAVAILABLE', true, 'AF50005') : records(['s1']),
    );
    await start(store, client).start();
    await until(() => (client.fetches.get('http://127.0.0.1/audit/sick') ?? 0) >= 3);
    await until(() => collector?.health().status === 'degraded');
    const health = collector?.health();
    expect(health?.tenants[0]?.contentTypes[0]).toMatchObject({ contentType: CT, status: 'degraded' });
    expect(health?.tenants[0]?.lastError).toMatch(/^blob fetch: .*AF50005/);
    failing = false;
    await until(() => store.records.size === 1);
    await until(() => collector?.health().status === 'ok');
    expect(collector?.health().tenants[0]?.lastError).toBeNull();
  });

  it('one failed blob attempt is routine: health stays ok', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    client.items.push(item('once', HOUR));
    client.blobs.set('http://127.0.0.1/audit/once', (attempt) =>
      attempt === 1 ? apiError('API_UNAVAILABLE', true, 'AF50005') : records(['o1']),
    );
    await start(store, client).start();
    await until(() => store.records.size === 1);
    expect(client.fetches.get('http://127.0.0.1/audit/once')).toBe(2);
    expect(collector?.health().status).toBe('ok');
  });

  it('finds a blob that appears late in an already listed window with the straggler sweep', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    await start(store, client).start();
    await until(async () => (await store.getCursor(T, CT)) !== null);
    const late = item('late', 5 * HOUR);
    client.blobs.set(late.contentUri, records(['late-1']));
    client.items.push(late);
    await until(() => store.records.has(`${T}/late-1`));
    expect(await store.blobState('late')).toBe('delivered');
  });

  it('starts the subscription again when the API says it is missing (AF20022)', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    client.listError = apiError('SUBSCRIPTION_MISSING', false, 'AF20022');
    await start(store, client).start();
    await until(() => client.subscriptionCalls.length >= 2);
    client.listError = null;
    await until(async () => (await store.getCursor(T, CT)) !== null);
    expect(client.subscriptionCalls.at(-1)).toEqual([CT]);
  });

  it('retries a failed blob until it is delivered and never fetches more than blobConcurrency at once', async () => {
    const store = new MemoryStore();
    const client = new ScriptedClient(T);
    let active = 0;
    let peak = 0;
    const base = client.fetchBlob.bind(client);
    client.fetchBlob = async function* (uri: string) {
      active++;
      peak = Math.max(peak, active);
      try {
        await new Promise((r) => setTimeout(r, 5));
        yield* base(uri);
      } finally {
        active--;
      }
    };
    for (let i = 0; i < 12; i++) {
      client.items.push(item(`p${i}`, (i + 1) * 60_000));
      client.blobs.set(`http://127.0.0.1/audit/p${i}`, (attempt) =>
        attempt < 3 ? apiError('API_THROTTLED', true, 'AF429') : records([`p${i}`]),
      );
    }
    await start(store, client).start();
    await until(() => store.records.size === 12);
    expect(peak).toBeLessThanOrEqual(3);
    expect(client.fetches.get('http://127.0.0.1/audit/p0')).toBe(3);
  });
});
