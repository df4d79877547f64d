/**
 * What an answer of the Logs Ingestion API, or a failed token request, means
 * for the rows of one request (spec siem-sentinel-syslog.md §1.5), with a
 * reason that says what to fix.
 */
import { clip, ConnectorError, isConnectorError } from '../../api/errors.js';
import { classifyHttpStatus, type HttpResult } from '../http.js';
import type { SentinelSinkConfig } from './config.js';
import type { Stop } from './requests.js';

const WHAT = 'Logs Ingestion';

/** What one request's answer means for its rows. */
export type RequestOutcome =
  | { kind: 'delivered' }
  /** 401: the token may have expired or been revoked. */
  | { kind: 'unauthorized'; reason: string }
  /** 413: too large; split, or refuse one row. */
  | { kind: 'too-large'; reason: string }
  /** 400 about the data: bisect, or refuse one row. */
  | { kind: 'data'; reason: string }
  /** Stop sending: the rest of the batch is to be sent again (blocked when an operator must act). */
  | { kind: 'stop'; stop: Stop };

interface ServiceError {
  code: string | undefined;
  message: string | undefined;
}

/** `{"error":{"code","message"}}` and the `x-ms-error-code` header; both optional. */
function serviceError(headers: Record<string, string>, body: string): ServiceError {
  let code = headers['x-ms-error-code'];
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } } | null;
    if (typeof parsed?.error?.code === 'string') code ??= parsed.error.code;
    if (typeof parsed?.error?.message === 'string') message = parsed.error.message;
  } catch {
    message = body.trim() === '' ? undefined : body;
  }
  return { code, message };
}

function describeAnswer(status: number, e: ServiceError, requestId: string): string {
  const detail = [e.code, e.message === undefined ? undefined : clip(e.message)].filter(Boolean).join(': ');
  return `${WHAT} answered HTTP ${status}${detail ? ` ${detail}` : ''} (request ${requestId})`;
}

/**
 * The meaning of one answer for the rows of its request.
 * @example classifyAnswer(await httpSend(agent, url, post), requestId, config) // { kind: 'delivered' }
 */
export function classifyAnswer(res: HttpResult, requestId: string, c: SentinelSinkConfig): RequestOutcome {
  if (res.kind === 'network') {
    return { kind: 'stop', stop: { reason: `${WHAT} at ${c.endpoint}: ${res.reason}` } };
  }
  const { status, headers, body } = res;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const e = serviceError(headers, body);
  const reason = describeAnswer(status, e, requestId);
  switch (status) {
    case 401:
      return { kind: 'unauthorized', reason };
    case 403:
      return {
        kind: 'stop',
        stop: {
          reason:
            `${reason}. Fix: assign the role "Monitoring Metrics Publisher" on data collection rule ` +
            `${c.dcrImmutableId} to the service principal of client_id ${c.clientId}; a new role ` +
            `assignment takes up to 30 minutes to apply`,
          blocked: true,
        },
      };
    case 404:
      return {
        kind: 'stop',
        stop: {
          reason:
            `${reason}. Fix: check dcr_immutable_id (the rule's immutableId, ${c.dcrImmutableId}) and ` +
            `endpoint (${c.endpoint}: the DCE linked to the rule, or the rule's own logs ingestion endpoint)`,
          blocked: true,
        },
      };
    case 413:
      return { kind: 'too-large', reason };
    case 400:
      // The code for an undeclared stream is not documented (spec §8): a 400 naming the stream is read
      // as configuration, which blocks instead of dead-lettering every event as bad data.
      if (/stream/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
        return {
          kind: 'stop',
          stop: {
            reason: `${reason}. Fix: set stream to a stream the rule declares (${c.stream} is configured)`,
            blocked: true,
          },
        };
      }
      return { kind: 'data', reason };
    default:
      break;
  }
  const shared = classifyHttpStatus(status, headers, body, WHAT);
  if (shared?.outcome === 'retryable') {
    const stop: Stop = { reason, ...(shared.blocked ? { blocked: true } : {}) };
    if (shared.retryAfterMs !== undefined) stop.retryAfterMs = shared.retryAfterMs;
    return { kind: 'stop', stop };
  }
  // Any other 4xx is about the request we built, not about a row: keep the data, ask for an operator.
  return { kind: 'stop', stop: { reason: `${reason}; the request was refused as a whole`, blocked: true } };
}

/**
 * Why a send stops when no token could be had: blocked when the credential or trust is wrong, retryable
 * when the login host is down or slow.
 * @example tokenStop(err, signal, config) // { reason: 'Entra ID (…) refused the token request: …', blocked: true }
 */
export function tokenStop(err: unknown, signal: AbortSignal, c: SentinelSinkConfig): Stop {
  if (signal.aborted) return { reason: 'timed out (no token within the sink timeout)' };
  const authority = c.authority;
  const message = clip(err instanceof Error ? err.message : String(err));
  if (isConnectorError(err, 'AUTH_FAILED'))
    return {
      reason:
        `Entra ID (${authority}) refused the token request: ${message}. Fix: check tenant_id, client_id ` +
        `and the client_secret or certificate of the app, and authority`,
      blocked: true,
    };
  if (isConnectorError(err, 'TLS_UNTRUSTED')) {
    const code = /\(([A-Z_]+)\)$/.exec(message)?.[1] ?? 'untrusted certificate';
    return {
      reason: `the certificate of ${authority} is not trusted (${code}). Fix: set tls.ca_file to the CA that signed it`,
      blocked: true,
    };
  }
  const reason = `token request to ${authority} failed: ${message}`;
  if (err instanceof ConnectorError && err.retryable) {
    return err.retryAfterMs === undefined ? { reason } : { reason, retryAfterMs: err.retryAfterMs };
  }
  return { reason, blocked: true };
}
