/**
 * The Splunk HTTP Event Collector sink (docs/sinks/splunk-hec.md). One batch is one POST of envelopes
 * back to back to `/services/collector/event` (spec §1.3), gzip on the wire, `Authorization: Splunk
 * <token>` and a channel GUID on every request; with indexer acknowledgement on, a batch counts as delivered
 * only once `/services/collector/ack` reports its ackId true (spec §1.7).
 */
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../../api/errors.js';
import { createSinkAgent, httpSend } from '../http.js';
import type { SendResult, Sink, SinkContext, SinkDefinition, SinkEvent } from '../types.js';
import { AckPoller } from './acks.js';
import { splunkHecConfigSchema, type SplunkHecSinkConfig } from './config.js';
import { toEnvelope } from './envelope.js';
import { classifyAckReply, classifyEventReply, parseHecReply } from './replies.js';

export { splunkHecConfigSchema, defaultSourcetype, type SplunkHecSinkConfig } from './config.js';
export { toEnvelope, objectMembers } from './envelope.js';

const HEALTHY_CODES = new Set([17]);

/** Replaces the token wherever an answer echoed it (a proxy page, a misbehaving clone): it never leaves here. */
function redactor(secret: string): (result: SendResult) => SendResult {
  const scrub = (text: string) => text.split(secret).join('[redacted]');
  return (result) => {
    switch (result.outcome) {
      case 'delivered':
        return result;
      case 'retryable':
      case 'rejected':
        return { ...result, reason: scrub(result.reason) };
      case 'partial':
        return {
          ...result,
          results: result.results.map((r) =>
            r.status === 'delivered' ? r : { ...r, reason: scrub(r.reason) },
          ),
        };
      default: {
        const never: never = result;
        return never;
      }
    }
  };
}

function createSplunkHecSink(config: SplunkHecSinkConfig, ctx: SinkContext): Sink {
  const token = config.token.reveal();
  if (token.trim() === '') {
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${config.name}: token is empty; set it to the HEC token value`,
      {
        stage: 'startup',
      },
    );
  }
  const log = ctx.logger.child({ sink: config.name });
  const redact = redactor(token);
  const channel = config.channel ?? randomUUID();
  // One connection more than the driver's concurrency, for the ack poller.
  const agent = createSinkAgent(config.tls, ctx.baseDir, config.name, config.concurrency + 1);
  const headersFor = (ch: string) => ({
    authorization: `Splunk ${token}`,
    'x-splunk-request-channel': ch,
    'content-type': 'application/json',
  });
  const headers = headersFor(channel);
  const eventUrl = `${config.url}/services/collector/event`;
  const ackUrl = `${config.url}/services/collector/ack`;
  const routing = {
    index: config.index,
    sourcetype: config.sourcetype,
    source: config.source,
    host: config.host,
  };
  let warnedNoAckId = false;
  let closing: Promise<void> | undefined;

  const poller = config.ack.enabled
    ? new AckPoller(async (ids, signal) => {
        const answer = await httpSend(agent, ackUrl, {
          body: JSON.stringify({ acks: ids }),
          headers,
          signal,
          maxResponseBytes: 256 * 1024,
        });
        return classifyAckReply(answer);
      }, config.ack.pollIntervalMs)
    : undefined;

  async function send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> {
    if (closing !== undefined) return { outcome: 'retryable', reason: 'the sink is closed' };
    if (batch.length === 0) return { outcome: 'delivered' };
    const body = batch.map((event) => toEnvelope(event, routing)).join('\n');
    const answer = await httpSend(agent, eventUrl, { body, gzip: config.gzip, headers, signal });
    const reply = classifyEventReply(answer, batch.length, poller !== undefined);
    if (reply.kind === 'result') return redact(reply.result);
    if (poller === undefined) return { outcome: 'delivered' };
    if (reply.ackId === undefined) {
      // HEC took the batch without an ackId: the token has acknowledgement off, so 200 is all it will say.
      if (!warnedNoAckId) {
        warnedNoAckId = true;
        log.warn(
          'HEC answered without an ackId although ack.enabled is true: the token has indexer acknowledgement off, so delivery is counted on HEC’s 200; turn it on for the token or set ack.enabled to false.',
        );
      }
      return { outcome: 'delivered' };
    }
    const waited = await poller.wait(
      reply.ackId,
      AbortSignal.any([signal, AbortSignal.timeout(config.ack.timeoutMs)]),
    );
    if (waited.acked) return { outcome: 'delivered' };
    return redact(
      waited.blocked === true
        ? { outcome: 'retryable', reason: waited.reason, blocked: true }
        : { outcome: 'retryable', reason: waited.reason },
    );
  }

  async function healthcheck(signal: AbortSignal): Promise<void> {
    const fail = (code: 'SINK_UNAVAILABLE' | 'CONFIG_INVALID', message: string): never => {
      throw new ConnectorError(code, `sink ${config.name}: ${message.split(token).join('[redacted]')}`, {
        stage: 'sending',
      });
    };
    // 1. Is there a HEC at this URL, and is it healthy? (no token needed, spec §1.1)
    const health = await httpSend(agent, `${config.url}/services/collector/health`, {
      method: 'GET',
      signal,
      maxResponseBytes: 64 * 1024,
    });
    if (health.kind === 'network') {
      fail(
        'SINK_UNAVAILABLE',
        `cannot reach HEC at ${config.url} (${health.reason}); check url, that HEC listens there (port 8088 by default) and tls`,
      );
    } else {
      const reply = parseHecReply(health.body);
      if (health.status === 404) {
        fail(
          'CONFIG_INVALID',
          `${config.url} has no HEC (HTTP 404 on /services/collector/health); set url to the HEC base URL, such as https://splunk.example:8088, and check that HEC is enabled (Global Settings > All Tokens: Enabled)`,
        );
      }
      if (health.status !== 200 || (reply?.code !== undefined && !HEALTHY_CODES.has(reply.code))) {
        const said = reply?.text === undefined ? '' : `: ${reply.text}`;
        fail(
          'SINK_UNAVAILABLE',
          `HEC is not healthy (HTTP ${health.status}${said}); Splunk's queues may be full, try again later`,
        );
      }
    }
    // 2. Is the token good? An empty post carries no data and answers "No data" (code 5) once the token
    //    and channel passed. A throwaway channel keeps the probe away from the acks of real sends.
    const probe = await httpSend(agent, eventUrl, { body: '', headers: headersFor(randomUUID()), signal });
    if (probe.kind === 'network')
      return fail(
        'SINK_UNAVAILABLE',
        `HEC at ${config.url} did not answer the token check (${probe.reason})`,
      );
    const reply = parseHecReply(probe.body);
    if (reply?.code === 5 || reply?.code === 0) {
      if (poller !== undefined) await checkAckEnabled(signal, fail);
      return;
    }
    const outcome = classifyEventReply(probe, 1, false);
    const reason =
      outcome.kind === 'result' && 'reason' in outcome.result
        ? outcome.result.reason
        : `HTTP ${probe.status}`;
    const blocked =
      outcome.kind === 'result' && outcome.result.outcome === 'retryable' && outcome.result.blocked === true;
    fail(blocked ? 'CONFIG_INVALID' : 'SINK_UNAVAILABLE', `the token check failed: ${reason}`);
  }

  /** With ack.enabled, the token must have indexer acknowledgement on (else /ack answers code 14). */
  async function checkAckEnabled(
    signal: AbortSignal,
    fail: (code: 'SINK_UNAVAILABLE' | 'CONFIG_INVALID', message: string) => never,
  ): Promise<void> {
    // A fresh channel has no id 0 of ours, so asking for it cannot swallow a real send's `true`.
    const answer = await httpSend(agent, ackUrl, {
      body: '{"acks":[0]}',
      headers: headersFor(randomUUID()),
      signal,
    });
    const ack = classifyAckReply(answer);
    if (ack.kind === 'fatal') fail('CONFIG_INVALID', ack.reason);
    if (ack.kind === 'transient') fail('SINK_UNAVAILABLE', ack.reason);
  }

  return {
    name: config.name,
    type: 'splunk-hec',
    send,
    healthcheck,
    close() {
      closing ??= (async () => {
        poller?.close();
        await agent.close();
      })();
      return closing;
    },
  };
}

/**
 * The `splunk-hec` sink type.
 * @example sinks: [{ name: splunk, type: splunk-hec, url: https://splunk.example:8088, token: { env: HEC_TOKEN } }]
 */
export const splunkHecSink: SinkDefinition<SplunkHecSinkConfig> = {
  type: 'splunk-hec',
  defaultFormat: 'splunk',
  configSchema: splunkHecConfigSchema,
  create: createSplunkHecSink,
};
