/**
 * The Management Activity API client of one tenant: subscriptions, content
 * listing with pagination, streamed blobs. Every call waits on the tenant's
 * request budget, carries PublisherIdentifier, and goes through the one
 * retry policy. Only URLs on the configured API host are followed.
 */
import { request, type Dispatcher } from 'undici';
import type { TenantConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { createTokenSource, type RequestEvent, type TokenSource } from './auth.js';
import {
  ConnectorError,
  errorFromResponse,
  isConnectorError,
  toConnectorError,
  type ApiOperation,
} from './errors.js';
import { createAgent, flatHeaders, readTextCapped } from './http.js';
import { splitJsonArray, type BlobRecord } from './json-array-splitter.js';
import { DEFAULT_RETRY_POLICY, RequestBudget, withRetry, type Clock, type RetryPolicy } from './retry.js';

export type { BlobRecord } from './json-array-splitter.js';

/** One item of /subscriptions/content (spec §5.1). */
export interface ContentItem {
  contentType: string;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration: string;
}

/** One element of /subscriptions/list (spec §3.4); `status` may be missing on the wire. */
export interface SubscriptionState {
  contentType: string;
  status: string | undefined;
  webhook: unknown;
}

export interface ApiClient {
  readonly tenantId: string;
  /** Starts missing/disabled subscriptions (AF20022/AF20023 → start); AF20024 counts as success. */
  ensureSubscriptions(contentTypes: string[]): Promise<void>;
  /** Pages of content items with contentCreated in [start, end); follows NextPageUri/NextPageUrl (any case); AF20022/23 → ensure subscription and retry once. */
  listContent(contentType: string, start: Date, end: Date): AsyncGenerator<ContentItem[]>;
  /** Streams the records of a blob one at a time with bounded memory. Throws ConnectorError BLOB_EXPIRED/BLOB_NOT_FOUND/BLOB_INVALID_ID/BLOB_MALFORMED/... */
  fetchBlob(contentUri: string): AsyncGenerator<BlobRecord>;
  /** Server clock minus local clock in ms, from the Date header of recent responses. */
  clockSkewMs(): number;
  close(): Promise<void>;
}

/** What `doctor` needs beyond the collector's interface. */
export interface DiagnosableApiClient extends ApiClient {
  /** Acquires a token (forced), proving the credentials. */
  checkToken(): Promise<void>;
  listSubscriptions(): Promise<SubscriptionState[]>;
  /** One /subscriptions/content call for the last hour, without starting anything; returns the items on its first page. */
  probeContent(contentType: string): Promise<number>;
}

export interface ApiClientDeps {
  logger: Logger;
  now?: () => number;
  onRequest?: (e: RequestEvent) => void;
  budgetPerMinute?: number;
  /** For tests: a fake clock (sleeps of backoff and budget) and a shorter policy. */
  clock?: Clock;
  retryPolicy?: RetryPolicy;
  random?: () => number;
}

/** Follow at most this many pages of one window: a server that loops must not hold us forever. */
const MAX_PAGES = 10_000;
const SKEW_SAMPLES = 7;

/** `YYYY-MM-DDTHH:MM:SS`, UTC, the documented format (spec §3.5). Sub-seconds are cut; consecutive windows stay contiguous. */
export function formatApiTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** Header lookup that accepts NextPageUri, NextPageUrl and any case of them (spec §3.5). */
function nextPageHeader(headers: Record<string, string>): string | undefined {
  const value = headers.nextpageuri ?? headers.nextpageurl;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseContentItems(text: string, contentType: string): ContentItem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConnectorError('API_BAD_RESPONSE', 'content.list answered with a body that is not JSON.');
  }
  if (!Array.isArray(value))
    throw new ConnectorError('API_BAD_RESPONSE', 'content.list answered with JSON that is not an array.');
  const items: ContentItem[] = [];
  for (const element of value) {
    const e = (typeof element === 'object' && element !== null ? element : {}) as Record<string, unknown>;
    const contentUri = asString(e.contentUri);
    const contentId = asString(e.contentId);
    if (contentUri === undefined || contentId === undefined) {
      throw new ConnectorError(
        'API_BAD_RESPONSE',
        'content.list returned an item without contentUri or contentId.',
      );
    }
    items.push({
      contentType: asString(e.contentType) ?? contentType,
      contentId,
      contentUri,
      contentCreated: asString(e.contentCreated) ?? '',
      contentExpiration: asString(e.contentExpiration) ?? '',
    });
  }
  return items;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Creates the API client of one tenant.
 * @example
 * const api = createApiClient(config.tenants[0], { logger });
 * await api.ensureSubscriptions(['Audit.General']);
 * for await (const page of api.listContent('Audit.General', start, end))
 *   for (const item of page) for await (const record of api.fetchBlob(item.contentUri)) store(record.raw);
 */
export function createApiClient(tenant: TenantConfig, deps: ApiClientDeps): DiagnosableApiClient {
  const now = deps.now ?? (() => Date.now());
  // close() ends pending backoff and budget waits at once, so a stopping collector is not held by a timer.
  const closing = new AbortController();
  const clock: Clock = deps.clock ?? { now, sleep: (ms) => abortableSleep(ms, closing.signal) };
  const logger = deps.logger.child({ tenantName: tenant.name });
  const agent = createAgent({ ca: tenant.endpoints.ca });
  const tokens: TokenSource = createTokenSource(tenant, {
    dispatcher: agent,
    logger,
    onRequest: deps.onRequest,
  });
  const budget = new RequestBudget(deps.budgetPerMinute ?? 1800, clock);
  const policy = deps.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const apiBase = new URL(tenant.endpoints.api);
  const root = `${tenant.endpoints.api}/api/v1.0/${tenant.tenantId}/activity/feed`;
  const skews: number[] = [];

  /** Refuses URLs off the API host, and adds PublisherIdentifier when the URL has none (in any case). */
  function prepareUrl(text: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConnectorError('URL_REFUSED', `The ${what} is not a URL.`);
    }
    if (url.protocol !== apiBase.protocol || url.host !== apiBase.host) {
      throw new ConnectorError(
        'URL_REFUSED',
        `Refusing to follow a ${what} on ${url.protocol}//${url.host}: only ${apiBase.protocol}//${apiBase.host} (the configured API endpoint) is trusted.`,
      );
    }
    const hasPublisher = [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'publisheridentifier');
    // Appended as text: going through searchParams would re-encode the opaque nextPage token.
    if (!hasPublisher) {
      const param = `PublisherIdentifier=${encodeURIComponent(tenant.publisherId)}`;
      url.search = url.search.length > 1 ? `${url.search}&${param}` : `?${param}`;
    }
    return url;
  }

  function noteDate(dateHeader: string | undefined, sentAt: number, receivedAt: number): void {
    if (dateHeader === undefined) return;
    const server = Date.parse(dateHeader);
    if (Number.isNaN(server)) return;
    // The header has whole seconds: compare against the middle of the exchange, plus half a second.
    skews.push(server + 500 - (sentAt + receivedAt) / 2);
    if (skews.length > SKEW_SAMPLES) skews.shift();
  }

  /** One HTTP exchange with budget, token, one forced refresh on 401, and the retry policy. Returns 2xx only. */
  async function call(
    operation: ApiOperation,
    method: 'GET' | 'POST',
    url: URL,
    body?: string,
  ): Promise<RawResponse> {
    return withRetry(
      async () => {
        let refreshed = false;
        for (;;) {
          await budget.take();
          const token = await tokens.getToken(refreshed);
          const sentAt = now();
          const started = performance.now();
          const report = (status: number, afCode?: string) => {
            const e = { method, operation, status, afCode, ms: Math.round(performance.now() - started) };
            logger.debug(e, 'API request done.');
            deps.onRequest?.(e);
          };
          let res: Dispatcher.ResponseData;
          try {
            res = await request(url, {
              method,
              headers: {
                authorization: `Bearer ${token}`,
                accept: 'application/json',
                ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
              },
              body,
              dispatcher: agent,
            });
          } catch (err) {
            report(0);
            throw toConnectorError(err, operation);
          }
          const headers = flatHeaders(res.headers);
          noteDate(headers.date, sentAt, now());
          if (res.statusCode >= 200 && res.statusCode < 300) {
            report(res.statusCode);
            return { status: res.statusCode, headers, body: res.body };
          }
          const text = await readTextCapped(res.body);
          const err = errorFromResponse({
            status: res.statusCode,
            body: text,
            operation,
            retryAfter: headers['retry-after'],
            nowMs: now(),
          });
          report(res.statusCode, err.afCode);
          // An expired or revoked token: get a fresh one once, then give up.
          if (err.code === 'AUTH_DENIED' && !refreshed) {
            refreshed = true;
            logger.info({ operation }, 'API rejected the token; acquiring a new one.');
            continue;
          }
          throw err;
        }
      },
      {
        policy,
        clock,
        random: deps.random,
        onRetry: ({ err, attempt, delayMs }) =>
          logger.warn(
            { operation, code: err.code, afCode: err.afCode, attempt, delayMs },
            'API call failed; retrying.',
          ),
      },
    );
  }

  async function readJson(operation: ApiOperation, res: RawResponse): Promise<string> {
    try {
      return await res.body.text();
    } catch (err) {
      throw toConnectorError(err, operation);
    }
  }

  async function listSubscriptions(): Promise<SubscriptionState[]> {
    const res = await call(
      'subscriptions.list',
      'GET',
      prepareUrl(`${root}/subscriptions/list`, 'subscription URL'),
    );
    const text = await readJson('subscriptions.list', res);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ConnectorError(
        'API_BAD_RESPONSE',
        'subscriptions.list answered with a body that is not JSON.',
      );
    }
    if (!Array.isArray(value))
      throw new ConnectorError(
        'API_BAD_RESPONSE',
        'subscriptions.list answered with JSON that is not an array.',
      );
    return value.map((element: unknown) => {
      const e = (typeof element === 'object' && element !== null ? element : {}) as Record<string, unknown>;
      return {
        contentType: asString(e.contentType) ?? '',
        status: asString(e.status),
        webhook: e.webhook ?? null,
      };
    });
  }

  async function startSubscription(contentType: string): Promise<void> {
    const url = prepareUrl(
      `${root}/subscriptions/start?contentType=${encodeURIComponent(contentType)}`,
      'subscription URL',
    );
    let text: string;
    try {
      text = await readJson('subscriptions.start', await call('subscriptions.start', 'POST', url));
    } catch (err) {
      // Already enabled with nothing to change: 400 AF20024, which is success (spec §3.1).
      if (isConnectorError(err, 'SUBSCRIPTION_ALREADY_ENABLED')) return;
      throw err;
    }
    const status = statusOf(text);
    if (status !== undefined && status.toLowerCase() !== 'enabled') {
      throw new ConnectorError(
        'SUBSCRIPTION_DISABLED',
        `Starting the ${contentType} subscription left it "${status}", not enabled.`,
      );
    }
    logger.info({ contentType }, 'Subscription started.');
  }

  async function ensureSubscriptions(contentTypes: string[]): Promise<void> {
    const current = await listSubscriptions();
    for (const contentType of contentTypes) {
      const found = current.find((s) => s.contentType.toLowerCase() === contentType.toLowerCase());
      // The docs' own sample omits status: a listed subscription without one counts as enabled.
      if (found && (found.status === undefined || found.status.toLowerCase() === 'enabled')) continue;
      await startSubscription(contentType);
    }
  }

  function contentUrl(contentType: string, start: Date, end: Date): URL {
    return prepareUrl(
      `${root}/subscriptions/content?contentType=${encodeURIComponent(contentType)}&startTime=${formatApiTime(start)}&endTime=${formatApiTime(end)}`,
      'content URL',
    );
  }

  async function probeContent(contentType: string): Promise<number> {
    const end = new Date(now());
    const res = await call(
      'content.list',
      'GET',
      contentUrl(contentType, new Date(end.getTime() - 3_600_000), end),
    );
    return parseContentItems(await readJson('content.list', res), contentType).length;
  }

  async function* listContent(contentType: string, start: Date, end: Date): AsyncGenerator<ContentItem[]> {
    const first = contentUrl(contentType, start, end);
    let url: URL | undefined = first;
    let resubscribed = false;
    const seen = new Set<string>();
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= MAX_PAGES || seen.has(url.href)) {
        throw new ConnectorError(
          'API_BAD_RESPONSE',
          `content.list pagination for ${contentType} does not end (a NextPageUri repeats).`,
        );
      }
      seen.add(url.href);
      let res: RawResponse;
      try {
        res = await call('content.list', 'GET', url);
      } catch (err) {
        if (!resubscribed && isConnectorError(err, 'SUBSCRIPTION_MISSING', 'SUBSCRIPTION_DISABLED')) {
          resubscribed = true;
          logger.warn({ contentType, code: err.code }, 'Subscription missing or disabled; starting it.');
          await startSubscription(contentType);
          seen.delete(url.href);
          pages--;
          continue;
        }
        throw err;
      }
      const items = parseContentItems(await readJson('content.list', res), contentType);
      if (items.length > 0) yield items;
      const next = nextPageHeader(res.headers);
      // The next-page URL is taken verbatim (it may say /api/v1/), but only on the API host.
      url = next === undefined ? undefined : prepareUrl(next, 'NextPageUri');
    }
  }

  async function* fetchBlob(contentUri: string): AsyncGenerator<BlobRecord> {
    let url: URL | undefined = prepareUrl(contentUri, 'contentUri');
    const seen = new Set<string>();
    // Paging is documented only for list calls; Filebeat still follows NextPageUri on blobs, and so do we.
    while (url !== undefined) {
      if (seen.has(url.href)) throw new ConnectorError('API_BAD_RESPONSE', 'blob.fetch NextPageUri repeats.');
      seen.add(url.href);
      const res = await call('blob.fetch', 'GET', url);
      try {
        yield* splitJsonArray(res.body as AsyncIterable<Buffer>);
      } catch (err) {
        res.body.destroy();
        throw toConnectorError(err, 'blob.fetch');
      }
      const next = nextPageHeader(res.headers);
      url = next === undefined ? undefined : prepareUrl(next, 'NextPageUri');
    }
  }

  return {
    tenantId: tenant.tenantId,
    ensureSubscriptions,
    listContent,
    fetchBlob,
    listSubscriptions,
    probeContent,
    async checkToken() {
      await withRetry(() => tokens.getToken(true), { policy, clock, random: deps.random });
    },
    clockSkewMs() {
      if (skews.length === 0) return 0;
      const sorted = [...skews].sort((a, b) => a - b);
      return Math.round(sorted[Math.floor(sorted.length / 2)] as number);
    },
    async close() {
      closing.abort();
      await agent.destroy();
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(new ConnectorError('CLOSED', 'The API client was closed.'));
    if (signal.aborted) return closed();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      closed();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function statusOf(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? asString((value as Record<string, unknown>).status)
      : undefined;
  } catch {
    return undefined;
  }
}
