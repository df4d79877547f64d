/**
 * Microsoft Sentinel through the Azure Monitor Logs Ingestion API (spec
 * siem-sentinel-syslog.md §1): rows of the `sentinel` format posted as JSON
 * arrays, gzip, to `{endpoint}/dataCollectionRules/{dcr}/streams/{stream}`
 * with an Entra ID app token for Azure Monitor. A batch becomes as many
 * requests of at most 1,000,000 bytes as it needs, sent one after the other;
 * their answers fold into one result (`partial` when they differ).
 *
 * The service has no idempotency key: a request that timed out may have been
 * stored, and is sent again. Rows carry `EventId` so KQL can de-duplicate.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { ConnectorError } from '../../api/errors.js';
import type { TokenSource } from '../../api/auth.js';
import { createSinkAgent, httpSend } from '../http.js';
import { tlsConnectOptions } from '../tls.js';
import type { EventResult, SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import { classifyAnswer, tokenStop, type RequestOutcome } from './answers.js';
import { sentinelConfigSchema, type SentinelSinkConfig } from './config.js';
import { combineResults, halves, planRequests, requestBody, type Stop } from './requests.js';
import { createSinkTokenSource, sinkCredential } from './token.js';

export type { SentinelSinkConfig } from './config.js';
export { MAX_REQUEST_BYTES } from './requests.js';

class SentinelSink implements Sink {
  readonly type = 'sentinel' as const;
  readonly name: string;
  readonly #config: SentinelSinkConfig;
  readonly #ctx: SinkContext;
  readonly #agent: Agent;
  readonly #loginAgent: Agent;
  readonly #tokens: TokenSource;
  readonly #url: string;
  readonly #secret: string | undefined;
  #closed: Promise<void> | undefined;

  constructor(config: SentinelSinkConfig, ctx: SinkContext) {
    this.name = config.name;
    this.#config = config;
    this.#ctx = ctx;
    const credential = sinkCredential(config, ctx.baseDir);
    this.#secret = credential.kind === 'secret' ? credential.secret.reveal() : undefined;
    this.#agent = createSinkAgent(config.tls, ctx.baseDir, config.name, config.concurrency);
    // The token library has no abort signal: its own agent bounds a silent login host, so a hung
    // token request cannot hold every later one (the token source shares one acquisition).
    this.#loginAgent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 2,
      connectTimeout: 10_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      connect: tlsConnectOptions(config.tls, ctx.baseDir, config.name),
    });
    this.#tokens = createSinkTokenSource(config, credential, {
      dispatcher: this.#loginAgent,
      logger: ctx.logger,
    });
    this.#url =
      `${config.endpoint}/dataCollectionRules/${encodeURIComponent(config.dcrImmutableId)}` +
      `/streams/${encodeURIComponent(config.stream)}?api-version=${encodeURIComponent(config.apiVersion)}`;
  }

  /** Defence in depth: no reason ever carries the client secret, whatever a server echoes. */
  #scrub(text: string): string {
    const s = this.#secret;
    return s !== undefined && s.length >= 4 ? text.split(s).join('[redacted]') : text;
  }

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> {
    if (this.#closed) return { outcome: 'retryable', reason: `sink ${this.name} is closed` };
    const plan = planRequests(batch);
    const results: (EventResult | undefined)[] = new Array<EventResult | undefined>(batch.length);
    for (const r of plan.refused) results[r.index] = { status: 'rejected', reason: r.reason };
    const queue = [...plan.requests];
    const onlyOneRequest = plan.refused.length === 0 && queue.length === 1;
    let stop: Stop | undefined;
    let refreshed = false;
    let token: string | undefined;
    let sent = 0;

    while (queue.length > 0 && stop === undefined) {
      const indices = queue.shift()!;
      if (signal.aborted) {
        queue.unshift(indices);
        stop = { reason: 'timed out (no answer within the sink timeout)' };
        break;
      }
      if (token === undefined) {
        try {
          token = await abortable(this.#tokens.getToken(refreshed), signal);
        } catch (err) {
          queue.unshift(indices);
          stop = tokenStop(err, signal, this.#config);
          break;
        }
      }
      sent += 1;
      const outcome = await this.#post(requestBody(batch, indices), token, signal);
      switch (outcome.kind) {
        case 'delivered':
          for (const i of indices) results[i] = { status: 'delivered' };
          break;
        case 'unauthorized':
          queue.unshift(indices);
          if (refreshed) {
            stop = {
              reason:
                `${outcome.reason}, also with a newly issued token. Fix: the token's audience must match the ` +
                `endpoint's cloud (scope ${this.#config.scope}) and tenant_id must be the tenant of the rule`,
              blocked: true,
            };
          } else {
            // An expired or revoked token: one fresh token, then the same request once more.
            refreshed = true;
            token = undefined;
          }
          break;
        case 'too-large':
        case 'data':
          if (outcome.kind === 'data' && onlyOneRequest && sent === 1) {
            // The whole batch was this one request: the driver bisects it (spec §1.5: 400 → reject).
            return { outcome: 'rejected', reason: this.#scrub(outcome.reason) };
          } else if (indices.length === 1) {
            results[indices[0]!] = { status: 'rejected', reason: this.#scrub(outcome.reason) };
          } else {
            // One request among several, or too large: narrow it down here so that the rows
            // of the other requests keep their own answers.
            queue.unshift(...halves(indices));
          }
          break;
        case 'stop':
          queue.unshift(indices);
          stop = outcome.stop;
          break;
      }
    }
    if (stop !== undefined) {
      stop = { ...stop, reason: this.#scrub(stop.reason) };
      for (const indices of queue)
        for (const i of indices) results[i] = { status: 'retry', reason: stop.reason };
    }
    this.#ctx.logger.debug(
      { sink: this.name, rows: batch.length, requests: sent, stopped: stop !== undefined },
      'Batch sent to Logs Ingestion.',
    );
    return combineResults(results as EventResult[], stop);
  }

  async #post(body: string, token: string, signal: AbortSignal): Promise<RequestOutcome> {
    const requestId = randomUUID();
    const res = await httpSend(this.#agent, this.#url, {
      body,
      gzip: this.#config.gzip,
      signal,
      maxResponseBytes: 64 * 1024,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'x-ms-client-request-id': requestId,
        'user-agent': 'atp-siem',
      },
    });
    return classifyAnswer(res, requestId, this.#config);
  }

  async healthcheck(signal: AbortSignal): Promise<void> {
    try {
      await abortable(this.#tokens.getToken(), signal);
    } catch (err) {
      const stop = tokenStop(err, signal, this.#config);
      throw new ConnectorError(
        stop.blocked ? 'CONFIG_INVALID' : 'SINK_UNAVAILABLE',
        `sink ${this.name}: ${stop.reason}`,
        {
          stage: 'auth',
          cause: err,
        },
      );
    }
    // Nothing can be asked of the ingestion endpoint without sending rows; reaching it over TLS is what
    // is left to check (any HTTP answer will do).
    const res = await httpSend(this.#agent, new URL('/', this.#config.endpoint), { method: 'GET', signal });
    if (res.kind === 'network') {
      const untrusted = /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY/i.test(res.reason);
      throw new ConnectorError(
        untrusted ? 'CONFIG_INVALID' : 'SINK_UNAVAILABLE',
        `sink ${this.name}: cannot reach ${this.#config.endpoint}: ${res.reason}` +
          (untrusted ? '. Fix: set tls.ca_file to the CA that signed the endpoint certificate' : ''),
        { stage: 'sending' },
      );
    }
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all([this.#agent.close(), this.#loginAgent.close()]).then(() => undefined);
    return this.#closed;
  }
}

/** Resolves with `promise`, or rejects when `signal` aborts first (the promise is left to settle alone). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * The Microsoft Sentinel sink.
 * @example const sink = await sentinelSink.create(sentinelSink.configSchema.parse(entry), ctx);
 */
export const sentinelSink: SinkDefinition<SentinelSinkConfig> = {
  type: 'sentinel',
  defaultFormat: 'sentinel',
  formats: ['sentinel'],
  configSchema: sentinelConfigSchema,
  create: (config, ctx) => new SentinelSink(config, ctx),
};
