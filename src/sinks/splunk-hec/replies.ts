/**
 * What a HEC answer means for a batch (spec §1.5-1.8): HEC's `{"text","code"}` reply first, the HTTP
 * status (through the shared `classifyHttpStatus`) for anything HEC did not say in its own words.
 */
import { clip, parseRetryAfter } from '../../api/errors.js';
import { classifyHttpStatus, type HttpResult } from '../http.js';
import type { EventResult, SendResult } from '../types.js';

const WHAT = 'Splunk HEC';

/** HEC's reply body, read without trusting its shape. */
export interface HecReply {
  code: number | undefined;
  text: string | undefined;
  invalidEventNumber: number | undefined;
  ackId: number | undefined;
}

export function parseHecReply(body: string): HecReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  return {
    code: typeof r.code === 'number' && Number.isInteger(r.code) ? r.code : undefined,
    text: typeof r.text === 'string' ? r.text : undefined,
    invalidEventNumber: int(r['invalid-event-number']),
    ackId: int(r.ackId),
  };
}

/**
 * Codes that stop the stream until an operator acts: the data is kept (spec §1.8: block, never drop).
 * 21/22 are "Invalid token"/"Token disabled" in a context Splunk leaves undocumented; 28 is Splunk Cloud's
 * missing-channel answer.
 */
const BLOCKED: Readonly<Record<number, string>> = {
  1: 'the token is disabled; enable it in Splunk (Settings > Data inputs > HTTP Event Collector) or configure another token',
  2: 'HEC received no token; check that no proxy between here and Splunk strips the Authorization header',
  3: 'HEC did not accept the Authorization header; the token must hold only the token value, and no proxy may rewrite the header',
  4: 'HEC does not know this token; check token (the value shown in Settings > Data inputs > HTTP Event Collector)',
  7: "the token may not write to the index; add the index to the token's allowed indexes, or set index to one it may use",
  10: 'HEC requires a channel (the token has indexer acknowledgement on); check that no proxy strips the X-Splunk-Request-Channel header',
  11: 'HEC refused the channel; set channel to a GUID, or leave it out for a generated one',
  16: 'query-string authorization is off for the token; remove ?token= from wherever it is added (this sink sends the token in a header)',
  21: 'HEC does not know this token; check token',
  22: 'the token is disabled; enable it in Splunk or configure another token',
  28: 'Splunk Cloud requires a channel and sticky sessions for indexer acknowledgement; check that no proxy strips the X-Splunk-Request-Channel header',
};

/** Busy, internal error, unhealthy (queues full, ack service down): back off and send again. */
const RETRY = new Set([8, 9, 18, 19, 20]);

/** HEC refused object n for its content and indexed nothing after it (spec §1.6). */
const PER_EVENT = new Set([6, 12, 13, 15]);

export type EventReply =
  { kind: 'accepted'; ackId: number | undefined } | { kind: 'result'; result: SendResult };

function said(status: number, reply: HecReply): string {
  const text = reply.text === undefined ? '' : ` (${clip(reply.text)})`;
  return `${WHAT} answered HTTP ${status} code ${reply.code}${text}`;
}

/**
 * Classifies the answer to one `/services/collector/event` post of `count` events. With `acknowledged`
 * (indexer acknowledgement on), the events before a refused one are sent again instead of counted as
 * delivered: HEC gave them no ackId, and one Splunk log hints it may not index them (spec §1.6).
 * @example classifyEventReply({ kind: 'response', status: 503, headers: {}, body: '{"text":"Server is busy","code":9}' }, 10, false)
 */
export function classifyEventReply(answer: HttpResult, count: number, acknowledged: boolean): EventReply {
  if (answer.kind === 'network') {
    return {
      kind: 'result',
      result: { outcome: 'retryable', reason: `${WHAT} not reached: ${answer.reason}` },
    };
  }
  const { status, headers, body } = answer;
  const reply = parseHecReply(body);
  // 413 is the HTTP layer's answer whatever the body says: the driver splits the batch.
  if (status !== 413 && reply?.code !== undefined) {
    const code = reply.code;
    if (code === 0 && status >= 200 && status < 300) return { kind: 'accepted', ackId: reply.ackId };
    const fix = BLOCKED[code];
    if (fix !== undefined) {
      return {
        kind: 'result',
        result: { outcome: 'retryable', reason: `${said(status, reply)}: ${fix}`, blocked: true },
      };
    }
    if (RETRY.has(code)) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
      const reason = said(status, reply);
      return {
        kind: 'result',
        result:
          retryAfterMs === undefined
            ? { outcome: 'retryable', reason }
            : { outcome: 'retryable', reason, retryAfterMs },
      };
    }
    if (PER_EVENT.has(code)) {
      const n = reply.invalidEventNumber;
      if (n === undefined || n >= count) {
        return { kind: 'result', result: { outcome: 'rejected', reason: said(status, reply) } };
      }
      const results: EventResult[] = [];
      for (let i = 0; i < count; i++) {
        if (i < n) {
          results.push(
            acknowledged
              ? { status: 'retry', reason: `sent with event ${n}, which HEC refused; not acknowledged` }
              : { status: 'delivered' },
          );
        } else if (i === n) {
          results.push({ status: 'rejected', reason: `${said(status, reply)} for event ${n} of the batch` });
        } else {
          results.push({ status: 'retry', reason: `HEC stopped at event ${n}, which it refused` });
        }
      }
      return { kind: 'result', result: { outcome: 'partial', results } };
    }
    if (code === 5) {
      // "No data" for a body that holds events: HEC found no envelope it could read; split to find why.
      return { kind: 'result', result: { outcome: 'rejected', reason: said(status, reply) } };
    }
    if (status >= 200 && status < 300) {
      // A code HEC does not document, on a 2xx: it took the data (clones use such codes for warnings).
      return { kind: 'accepted', ackId: reply.ackId };
    }
  }
  const byStatus = classifyHttpStatus(status, headers, body, WHAT);
  if (byStatus !== undefined) return { kind: 'result', result: byStatus };
  return {
    kind: 'result',
    result: {
      outcome: 'retryable',
      reason: `${WHAT} answered HTTP ${status} without a HEC reply; check url (the HEC base URL, such as https://splunk.example:8088), not a proxy or the Splunk web port`,
      blocked: true,
    },
  };
}

/** What an ack poll said. */
export type AckAnswer =
  | { kind: 'acks'; acks: Record<string, unknown> }
  /** Worth polling again (network failure, busy). */
  | { kind: 'transient'; reason: string }
  /** Polling cannot succeed until an operator acts. */
  | { kind: 'fatal'; reason: string };

/**
 * Classifies the answer to one `/services/collector/ack` poll.
 * @example classifyAckReply({ kind: 'response', status: 200, headers: {}, body: '{"acks":{"0":true}}' })
 */
export function classifyAckReply(answer: HttpResult): AckAnswer {
  if (answer.kind === 'network') return { kind: 'transient', reason: `ack poll failed: ${answer.reason}` };
  if (answer.status === 200) {
    try {
      const acks = (JSON.parse(answer.body) as { acks?: unknown }).acks;
      if (typeof acks === 'object' && acks !== null && !Array.isArray(acks)) {
        return { kind: 'acks', acks: acks as Record<string, unknown> };
      }
    } catch {
      // falls through: not an ack reply
    }
  }
  const reply = parseHecReply(answer.body);
  if (reply?.code === 14) {
    return {
      kind: 'fatal',
      reason: `${said(answer.status, reply)}: indexer acknowledgement is off for the token; turn it on for the token (Enable indexer acknowledgement) or set ack.enabled to false`,
    };
  }
  const event = classifyEventReply(answer, 1, true);
  if (event.kind === 'result' && event.result.outcome === 'retryable' && event.result.blocked !== true) {
    return { kind: 'transient', reason: `ack poll: ${event.result.reason}` };
  }
  const reason =
    event.kind === 'result' && 'reason' in event.result
      ? event.result.reason
      : `${WHAT} answered the ack poll with HTTP ${answer.status}`;
  return { kind: 'fatal', reason: `ack poll: ${reason}` };
}
