import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Secret } from '../config/secret.js';
import { createApiClient, type DiagnosableApiClient } from './client.js';
import { failure } from './testing/expect-failure.js';
import { FakeClock } from './testing/fake-clock.js';
import {
  CLIENT_SECRET,
  feedRoot,
  sendAfError,
  sendJson,
  startFakeApi,
  TENANT_ID,
  type FakeApi,
} from './testing/fake-api.js';

const silent = pino({ level: 'silent' });
const START = new Date('2026-11-20T10:00:00Z');
const END = new Date('2026-11-20T11:00:00Z');

function item(n: number, base: string) {
  return {
    contentType: 'Audit.General',
    contentId: `2026112010${n}$2026112010${n}$audit_general$Audit_General$emea0036`,
    contentUri: `${feedRoot(base)}/audit/2026112010${n}$2026112010${n}$audit_general$Audit_General$emea0036`,
    contentCreated: '2026-11-20T10:15:00.000Z',
    contentExpiration: '2026-11-27T10:15:00.000Z',
  };
}

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('createApiClient over loopback HTTP', () => {
  let fake: FakeApi;
  let client: DiagnosableApiClient;
  let clock: FakeClock;

  beforeEach(async () => {
    fake = await startFakeApi();
    clock = new FakeClock({ autoAdvance: true });
    client = createApiClient(fake.tenant(), {
      logger: silent,
      clock,
      random: () => 0.5,
      retryPolicy: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 },
    });
  });

  afterEach(async () => {
    await client.close();
    await fake.close();
  });

  it('gets a token from the configured login endpoint and sends PublisherIdentifier on every call, blob included', async () => {
    fake.handle = (req, res) => {
      if (req.url.pathname.endsWith('/subscriptions/content'))
        return sendJson(res, 200, [item(1, fake.base)]);
      if (req.url.pathname.includes('/audit/')) return sendJson(res, 200, [{ Id: 'a' }, { Id: 'b' }]);
      return sendJson(res, 200, []);
    };
    const pages = await collect(client.listContent('Audit.General', START, END));
    const records = await collect(client.fetchBlob(pages[0]![0]!.contentUri));
    expect(records.map((r) => r.raw)).toEqual(['{"Id":"a"}', '{"Id":"b"}']);
    expect(fake.tokenRequests).toHaveLength(1);
    // msal made no discovery calls: everything else that reached the server was an API call.
    expect(fake.requests.every((r) => r.url.pathname.startsWith('/api/v1.0/'))).toBe(true);
    const form = new URLSearchParams(fake.tokenRequests[0]!.body);
    expect(fake.tokenRequests[0]!.url.pathname).toBe(`/${TENANT_ID}/oauth2/v2.0/token`);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('https://manage.office.com/.default');
    for (const req of fake.requests) expect(req.url.searchParams.get('PublisherIdentifier')).toBe(TENANT_ID);
    const list = fake.requests[0]!.url;
    expect(list.searchParams.get('startTime')).toBe('2026-11-20T10:00:00');
    expect(list.searchParams.get('endTime')).toBe('2026-11-20T11:00:00');
    // The contentId's "$" survive verbatim.
    expect(fake.requests[1]!.url.pathname).toContain('$audit_general$Audit_General$emea0036');
  });

  it('reuses the cached token across calls', async () => {
    fake.handle = (_req, res) => sendJson(res, 200, []);
    for (let i = 0; i < 5; i++) await collect(client.listContent('Audit.General', START, END));
    expect(fake.tokenRequests).toHaveLength(1);
    expect(fake.requests).toHaveLength(5);
  });

  it('renews a token that is within five minutes of expiry before using it', async () => {
    fake.tokenLifetimeSec = 200;
    fake.handle = (_req, res) => sendJson(res, 200, []);
    for (let i = 0; i < 3; i++) await collect(client.listContent('Audit.General', START, END));
    expect(fake.tokenRequests).toHaveLength(3);
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('starts only missing or disabled subscriptions and treats AF20024 as success', async () => {
    const started: string[] = [];
    fake.handle = (req, res) => {
      if (req.url.pathname.endsWith('/subscriptions/list')) {
        return sendJson(res, 200, [
          { contentType: 'Audit.General', status: 'enabled', webhook: null },
          { contentType: 'Audit.Exchange', status: 'disabled', webhook: null },
          { contentType: 'Audit.SharePoint', webhook: null },
        ]);
      }
      const ct = req.url.searchParams.get('contentType') ?? '';
      started.push(ct);
      if (ct === 'DLP.All')
        return sendAfError(res, 400, 'AF20024', 'The subscription is already enabled. No property change.');
      return sendJson(res, 200, { contentType: ct, status: 'enabled', webhook: null });
    };
    await client.ensureSubscriptions(['Audit.General', 'Audit.Exchange', 'Audit.SharePoint', 'DLP.All']);
    expect(started).toEqual(['Audit.Exchange', 'DLP.All']);
    expect(
      fake.requests
        .filter((r) => r.method === 'POST')
        .every((r) => r.url.pathname.endsWith('/subscriptions/start')),
    ).toBe(true);
  });

  it('follows NextPageUri, NextPageUrl and lower-case spellings, /api/v1/ paths included, adding a missing PublisherIdentifier', async () => {
    fake.handle = (req, res) => {
      const page = Number(req.url.searchParams.get('nextPage') ?? '0');
      const next = (n: number, path = 'v1.0') =>
        `${fake.base}/api/${path}/${TENANT_ID}/activity/feed/subscriptions/content?contentType=Audit.General&startTime=2026-11-20T10:00:00&endTime=2026-11-20T11:00:00&nextPage=${n}`;
      if (page === 0)
        return sendJson(res, 200, [item(1, fake.base)], {
          NextPageUri: `${next(1)}&PublisherIdentifier=${TENANT_ID}`,
        });
      if (page === 1) return sendJson(res, 200, [], { nextpageurl: next(2, 'v1') }); // empty page that still carries a next page
      if (page === 2)
        return sendJson(res, 200, [item(2, fake.base), item(3, fake.base)], { NEXTPAGEURI: next(3) });
      return sendJson(res, 200, [item(4, fake.base)]);
    };
    const pages = await collect(client.listContent('Audit.General', START, END));
    expect(pages.map((p) => p.length)).toEqual([1, 2, 1]);
    expect(fake.requests.map((r) => r.url.searchParams.get('nextPage'))).toEqual([null, '1', '2', '3']);
    expect(fake.requests[2]!.url.pathname).toContain('/api/v1/');
    for (const r of fake.requests)
      expect(r.url.searchParams.getAll('PublisherIdentifier')).toEqual([TENANT_ID]);
  });

  it('keeps the next-page URL verbatim, opaque token encoding included', async () => {
    fake.handle = (req, res) => {
      if (req.url.search.includes('nextPage=')) return sendJson(res, 200, [item(2, fake.base)]);
      return sendJson(res, 200, [item(1, fake.base)], {
        NextPageUri: `${feedRoot(fake.base)}/subscriptions/content?contentType=Audit.General&startTime=2026-11-20T10:00:00&nextPage=a%20b+c%2Fd`,
      });
    };
    await collect(client.listContent('Audit.General', START, END));
    expect(fake.requests[1]!.url.search).toBe(
      `?contentType=Audit.General&startTime=2026-11-20T10:00:00&nextPage=a%20b+c%2Fd&PublisherIdentifier=${TENANT_ID}`,
    );
  });

  it('starts a missing subscription when listing meets AF20022, then lists again once', async () => {
    let subscribed = false;
    fake.handle = (req, res) => {
      if (req.url.pathname.endsWith('/subscriptions/start')) {
        subscribed = true;
        return sendJson(res, 200, { contentType: 'Audit.General', status: 'enabled', webhook: null });
      }
      if (!subscribed)
        return sendAfError(res, 400, 'AF20022', 'No subscription found for the specified content type.');
      return sendJson(res, 200, [item(1, fake.base)]);
    };
    const pages = await collect(client.listContent('Audit.General', START, END));
    expect(pages.flat()).toHaveLength(1);
    expect(fake.requests.map((r) => r.url.pathname.split('/').pop())).toEqual([
      'content',
      'start',
      'content',
    ]);
  });

  it('gives up after one resubscription when AF20023 persists', async () => {
    fake.handle = (req, res) => {
      if (req.url.pathname.endsWith('/subscriptions/start'))
        return sendJson(res, 200, { contentType: 'Audit.General', status: 'enabled' });
      return sendAfError(res, 400, 'AF20023', 'The subscription was disabled by a tenant admin.');
    };
    const err = await failure(collect(client.listContent('Audit.General', START, END)));
    expect(err.code).toBe('SUBSCRIPTION_DISABLED');
  });

  it('refuses a NextPageUri or a contentUri on another host or scheme', async () => {
    const elsewhere = fake.base.replace('127.0.0.1', '127.0.0.2');
    fake.handle = (_req, res) =>
      sendJson(res, 200, [item(1, fake.base)], {
        NextPageUri: `${elsewhere}/api/v1.0/${TENANT_ID}/activity/feed/subscriptions/content?nextPage=1`,
      });
    const gen = client.listContent('Audit.General', START, END);
    expect((await gen.next()).value).toHaveLength(1);
    const err = await failure(gen.next());
    expect(err.code).toBe('URL_REFUSED');
    expect(err.message).toMatch(/127\.0\.0\.2/);
    for (const uri of [
      `${elsewhere}/api/v1.0/x/activity/feed/audit/1`,
      fake.base.replace('http:', 'https:') + '/audit/1',
      'not a url',
    ]) {
      expect((await failure(collect(client.fetchBlob(uri)))).code).toBe('URL_REFUSED');
    }
    expect(fake.requests).toHaveLength(1);
  });

  it('gets a new token once on a 401, and reports AUTH_DENIED if the API still refuses', async () => {
    fake.handle = (_req, res) => sendJson(res, 200, []);
    await collect(client.listContent('Audit.General', START, END));
    // The server revokes the token the client holds: it now accepts only a newer one.
    fake.tokensIssued += 100;
    await collect(client.listContent('Audit.General', START, END));
    expect(fake.tokenRequests).toHaveLength(2);

    fake.handle = (_req, res) =>
      sendJson(res, 401, { Message: 'Authorization has been denied for this request.' });
    const err = await failure(collect(client.listContent('Audit.General', START, END)));
    expect(err.code).toBe('AUTH_DENIED');
    expect(err.retryable).toBe(false);
    expect(fake.tokenRequests).toHaveLength(3);
  });

  it('backs off on AF429, honouring Retry-After, and on bare 503, then succeeds', async () => {
    const answers = [
      (res: Parameters<typeof sendJson>[0]) =>
        sendAfError(res, 403, 'AF429', `Too many requests. Method=ListContent, PublisherId=${TENANT_ID}`, {
          'retry-after': '7',
        }),
      (res: Parameters<typeof sendJson>[0]) => {
        res.writeHead(503);
        res.end();
      },
      (res: Parameters<typeof sendJson>[0]) =>
        sendAfError(res, 500, 'AF50000', 'An internal server error occurred. Retry the request.'),
    ];
    fake.handle = (_req, res) => (answers.shift() ?? ((r) => sendJson(r, 200, [item(1, fake.base)])))(res);
    const pages = await collect(client.listContent('Audit.General', START, END));
    expect(pages.flat()).toHaveLength(1);
    // Retry-After 7 s, then full jitter (random 0.5) of 2 s and 4 s.
    expect(clock.sleeps.filter((ms) => ms > 0)).toEqual([7000, 1000, 2000]);
  });

  it('throws a retryable API_THROTTLED after the bounded attempts', async () => {
    fake.handle = (_req, res) =>
      sendAfError(res, 429, 'AF429', 'Too many requests. Method=GetBlob, PublisherId=x');
    const err = await failure(collect(client.fetchBlob(item(1, fake.base).contentUri)));
    expect(err.code).toBe('API_THROTTLED');
    expect(err.retryable).toBe(true);
    expect(fake.requests).toHaveLength(4);
  });

  it.each([
    [400, 'AF20051', 'BLOB_EXPIRED'],
    [400, 'AF20050', 'BLOB_NOT_FOUND'],
    [400, 'AF20052', 'BLOB_INVALID_ID'],
    [404, undefined, 'BLOB_NOT_FOUND'],
  ])('maps a blob answer %i %s to %s without retrying', async (status, af, code) => {
    fake.handle = (_req, res) =>
      af ? sendAfError(res, status, af, 'message') : sendJson(res, status, { Message: 'not found' });
    const err = await failure(collect(client.fetchBlob(item(1, fake.base).contentUri)));
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it('yields the good records of a blob whose connection drops, then throws a retryable error', async () => {
    fake.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '1000' });
      res.write('[{"Id":"1"},{"Id":"2"},{"Id":"3","Subj');
      setTimeout(() => res.destroy(), 20);
    };
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const r of client.fetchBlob(item(1, fake.base).contentUri)) seen.push(r.raw);
      })(),
    );
    expect(seen).toEqual(['{"Id":"1"}', '{"Id":"2"}']);
    expect(err.retryable).toBe(true);
  });

  it('reports BLOB_MALFORMED for a complete body that is not a JSON array', async () => {
    fake.handle = (_req, res) => sendJson(res, 200, { not: 'an array' });
    expect((await failure(collect(client.fetchBlob(item(1, fake.base).contentUri)))).code).toBe(
      'BLOB_MALFORMED',
    );
  });

  it('follows a NextPageUri on a blob response, as Filebeat does', async () => {
    fake.handle = (req, res) => {
      if (req.url.searchParams.get('nextPage') === '2') return sendJson(res, 200, [{ Id: 'c' }]);
      return sendJson(res, 200, [{ Id: 'a' }, { Id: 'b' }], {
        NextPageUri: `${item(1, fake.base).contentUri}?nextPage=2`,
      });
    };
    const records = await collect(client.fetchBlob(item(1, fake.base).contentUri));
    expect(records.map((r) => (r.value as { Id: string }).Id)).toEqual(['a', 'b', 'c']);
  });

  it('estimates clock skew from the Date header', async () => {
    const skewed = createApiClient(fake.tenant(), { logger: silent });
    try {
      fake.handle = (_req, res) =>
        sendJson(res, 200, [], { date: new Date(Date.now() + 10 * 60_000).toUTCString() });
      expect(skewed.clockSkewMs()).toBe(0);
      await collect(skewed.listContent('Audit.General', START, END));
      expect(Math.abs(skewed.clockSkewMs() - 600_000)).toBeLessThan(3000);
    } finally {
      await skewed.close();
    }
  });

  it('reports a rejected secret as AUTH_FAILED with the AADSTS code and never the secret', async () => {
    const wrong = createApiClient(
      fake.tenant({ credential: { kind: 'secret', secret: new Secret('wrong') } }),
      { logger: silent },
    );
    try {
      const err = await failure(collect(wrong.listContent('Audit.General', START, END)));
      expect(err.code).toBe('AUTH_FAILED');
      expect(err.message).toContain('AADSTS7000215');
      expect(err.message).not.toContain('wrong');
      expect(JSON.stringify(err)).not.toContain(CLIENT_SECRET);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await wrong.close();
    }
  });

  it('retries a token endpoint outage and then proceeds', async () => {
    let outages = 2;
    fake.tokenAnswer = () =>
      outages-- > 0 ? { status: 503, body: { error: 'temporarily_unavailable' } } : undefined;
    fake.handle = (_req, res) => sendJson(res, 200, []);
    await collect(client.listContent('Audit.General', START, END));
    expect(fake.tokenRequests).toHaveLength(3);
  });

  it('ends a pending backoff at once when the client is closed', async () => {
    const real = createApiClient(fake.tenant(), {
      logger: silent,
      retryPolicy: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 0.99,
    });
    fake.handle = (_req, res) =>
      sendAfError(res, 500, 'AF50000', 'An internal server error occurred. Retry the request.');
    const pending = failure(collect(real.listContent('Audit.General', START, END)));
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    const started = Date.now();
    await real.close();
    const err = await pending;
    expect(err.code).toBe('CLOSED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('waits on the request budget before each call', async () => {
    const paced = createApiClient(fake.tenant(), { logger: silent, clock, budgetPerMinute: 6 }); // burst of 1, then one per 10 s
    try {
      fake.handle = (_req, res) => sendJson(res, 200, []);
      const before = clock.now();
      for (let i = 0; i < 3; i++) await collect(paced.listContent('Audit.General', START, END));
      expect(clock.now() - before).toBeGreaterThanOrEqual(20_000);
    } finally {
      await paced.close();
    }
  });
});
