/**
 * The one error type of atp-siem, and the one table that maps what the
 * Management Activity API answers (AF codes, bare HTTP statuses, the ASP.NET
 * 401 body) onto it. Callers branch on `error.code`, never on message text.
 * Messages never contain tokens or secrets.
 */

/** Every error code, whether it is worth retrying later, and what it means for an operator. */
export const ERROR_CODES = {
  API_THROTTLED: { retryable: true, summary: 'the API is throttling requests (AF429)' },
  API_UNAVAILABLE: { retryable: true, summary: 'the API had an internal error or was unavailable' },
  API_BAD_RESPONSE: {
    retryable: true,
    summary: 'the API answered with something that is not the documented shape',
  },
  NETWORK: { retryable: true, summary: 'the connection failed or timed out' },
  TLS_UNTRUSTED: {
    retryable: false,
    summary: 'the server certificate is not trusted (set endpoints.ca_file for a private CA)',
  },
  AUTH_FAILED: { retryable: false, summary: 'the token request was rejected' },
  AUTH_DENIED: { retryable: false, summary: 'the API rejected the bearer token' },
  PERMISSION_DENIED: { retryable: false, summary: 'the app lacks the permission the call needs (AF10001)' },
  TENANT_MISMATCH: {
    retryable: false,
    summary: 'the tenant in the URL is not the tenant of the token (AF20010)',
  },
  TENANT_NOT_FOUND: { retryable: false, summary: 'the tenant does not exist or was deleted (AF20011)' },
  TENANT_MISCONFIGURED: { retryable: false, summary: 'the tenant is incorrectly configured (AF20012)' },
  TENANT_INVALID: { retryable: false, summary: 'the tenant id is not a GUID (AF20013)' },
  AUDIT_DISABLED: { retryable: false, summary: 'unified audit logging is switched off for the tenant' },
  CONTENT_TYPE_INVALID: { retryable: false, summary: 'the content type is not valid (AF20020)' },
  WEBHOOK_INVALID: { retryable: false, summary: 'the webhook could not be validated (AF20021/AF20003)' },
  SUBSCRIPTION_MISSING: {
    retryable: false,
    summary: 'there is no subscription for the content type (AF20022)',
  },
  SUBSCRIPTION_DISABLED: { retryable: false, summary: 'the subscription was disabled (AF20023)' },
  SUBSCRIPTION_ALREADY_ENABLED: {
    retryable: false,
    summary: 'the subscription is already enabled (AF20024)',
  },
  BAD_REQUEST: { retryable: false, summary: 'the API rejected the request as malformed' },
  BAD_WINDOW: { retryable: false, summary: 'the time window was rejected (AF20030/AF20055)' },
  BAD_NEXT_PAGE: { retryable: false, summary: 'the nextPage token was rejected (AF20031)' },
  BLOB_NOT_FOUND: { retryable: false, summary: 'the content blob does not exist (AF20050)' },
  BLOB_EXPIRED: { retryable: false, summary: 'the content blob expired, older than 7 days (AF20051)' },
  BLOB_INVALID_ID: { retryable: false, summary: 'the content id is invalid (AF20052)' },
  // A truncated body is most often a dropped connection: worth fetching again.
  BLOB_MALFORMED: { retryable: true, summary: 'the content blob is not a complete JSON array' },
  // Only while shutting down; the work is picked up again at the next start.
  CLOSED: { retryable: true, summary: 'the client was closed' },
  URL_REFUSED: { retryable: false, summary: 'the API pointed at a URL outside the configured API host' },
  CONFIG_INVALID: { retryable: false, summary: 'the configuration is invalid' },
  SINK_REJECTED: { retryable: false, summary: 'the sink rejected the batch' },
  SINK_UNAVAILABLE: { retryable: true, summary: 'the sink is unavailable' },
  STORE_FAILED: { retryable: false, summary: 'the store failed' },
  INTERNAL: { retryable: false, summary: 'an internal error' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorStage = 'startup' | 'auth' | 'receiving' | 'processing' | 'sending';

export interface ConnectorErrorOptions {
  stage?: ErrorStage;
  afCode?: string;
  httpStatus?: number;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The one error class. `retryable` comes from {@link ERROR_CODES}.
 * @example throw new ConnectorError('BLOB_EXPIRED', 'Content abc expired.', { afCode: 'AF20051', httpStatus: 400 });
 */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly stage: ErrorStage;
  readonly afCode: string | undefined;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.stage = options.stage ?? 'receiving';
    this.afCode = options.afCode;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when `err` is a ConnectorError with one of the given codes. */
export function isConnectorError(err: unknown, ...codes: ErrorCode[]): err is ConnectorError {
  return err instanceof ConnectorError && (codes.length === 0 || codes.includes(err.code));
}

/** Microsoft AF codes (spec §6) → our codes. Unknown AF codes fall back to the HTTP status. */
export const AF_CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  AF10001: 'PERMISSION_DENIED',
  AF20001: 'BAD_REQUEST',
  AF20002: 'BAD_REQUEST',
  AF20003: 'WEBHOOK_INVALID',
  AF20010: 'TENANT_MISMATCH',
  AF20011: 'TENANT_NOT_FOUND',
  AF20012: 'TENANT_MISCONFIGURED',
  AF20013: 'TENANT_INVALID',
  AF20020: 'CONTENT_TYPE_INVALID',
  AF20021: 'WEBHOOK_INVALID',
  AF20022: 'SUBSCRIPTION_MISSING',
  AF20023: 'SUBSCRIPTION_DISABLED',
  AF20024: 'SUBSCRIPTION_ALREADY_ENABLED',
  AF20030: 'BAD_WINDOW',
  AF20031: 'BAD_NEXT_PAGE',
  AF20050: 'BLOB_NOT_FOUND',
  AF20051: 'BLOB_EXPIRED',
  AF20052: 'BLOB_INVALID_ID',
  AF20053: 'BAD_REQUEST',
  AF20054: 'BAD_REQUEST',
  AF20055: 'BAD_WINDOW',
  AF429: 'API_THROTTLED',
  AF50000: 'API_UNAVAILABLE',
  AF50005: 'API_UNAVAILABLE',
  AF50006: 'API_UNAVAILABLE',
};

/** What kind of call produced a response; only changes how a bare 404 reads. */
export type ApiOperation =
  'token' | 'subscriptions.start' | 'subscriptions.list' | 'content.list' | 'blob.fetch';

/** Bare HTTP statuses (no AF envelope) → our codes. */
function codeForStatus(status: number, operation: ApiOperation): ErrorCode {
  if (status === 401) return 'AUTH_DENIED';
  // Filebeat treats a bare 404 on a blob as "gone, skip" (spec §3.8).
  if (status === 404) return operation === 'blob.fetch' ? 'BLOB_NOT_FOUND' : 'BAD_REQUEST';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 408 || status === 429 || status >= 500)
    return status === 429 ? 'API_THROTTLED' : 'API_UNAVAILABLE';
  if (status >= 400) return 'BAD_REQUEST';
  return 'API_BAD_RESPONSE';
}

/** Parses a `Retry-After` header (delta seconds or HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The AF envelope `{"error":{"code","message"}}`, or the ASP.NET `{"Message":…}` of a 401. */
export interface ParsedErrorBody {
  afCode?: string;
  message?: string;
}

/** Reads an error body without trusting its shape. */
export function parseErrorBody(text: string): ParsedErrorBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'object' && inner !== null) {
    const e = inner as Record<string, unknown>;
    return {
      afCode: typeof e.code === 'string' ? e.code : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
    };
  }
  if (typeof record.Message === 'string') return { message: record.Message };
  return {};
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** Keeps server text short, on one line and free of control characters: it goes into logs and status output. */
export function clip(text: string): string {
  // Server text is untrusted: no control characters (terminal escapes) reach a log or a terminal.
  const line = Array.from(text.replace(/\s+/g, ' '), (ch) => (isControl(ch.charCodeAt(0)) ? '?' : ch))
    .join('')
    .trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Recognises the "audit logging switched off" answer (spec §2.6), which has no code of its own. */
const AUDIT_DISABLED_PATTERN = /DataServiceException: Tenant .* does not exist/;

/**
 * Turns an error response into a ConnectorError: AF code first, then the bare
 * status. The 401 ASP.NET body ("Authorization has been denied…") maps to AUTH_DENIED.
 * @example errorFromResponse({ status: 403, body: '{"error":{"code":"AF429","message":"…"}}', operation: 'blob.fetch', nowMs: Date.now() }).code // 'API_THROTTLED'
 */
export function errorFromResponse(input: {
  status: number;
  body: string;
  operation: ApiOperation;
  retryAfter?: string | null;
  nowMs: number;
}): ConnectorError {
  const parsed = parseErrorBody(input.body);
  const afCode = parsed.afCode?.toUpperCase();
  let code: ErrorCode | undefined = afCode === undefined ? undefined : AF_CODE_MAP[afCode];
  if (code === undefined && afCode?.startsWith('AF5')) code = 'API_UNAVAILABLE';
  if (code === undefined && parsed.message !== undefined && AUDIT_DISABLED_PATTERN.test(parsed.message)) {
    code = 'AUDIT_DISABLED';
  }
  code ??= codeForStatus(input.status, input.operation);
  const detail = parsed.message === undefined ? '' : `: ${clip(parsed.message)}`;
  const tag = afCode === undefined ? `HTTP ${input.status}` : `HTTP ${input.status} ${afCode}`;
  return new ConnectorError(
    code,
    `${input.operation} failed, ${ERROR_CODES[code].summary} (${tag})${detail}`,
    {
      stage: input.operation === 'token' ? 'auth' : 'receiving',
      afCode,
      httpStatus: input.status,
      retryAfterMs: parseRetryAfter(input.retryAfter, input.nowMs),
    },
  );
}

/** Node/undici error codes that mean "the connection failed; trying again may work". */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** undici's answer for a request cut by closing the client. */
const CLOSED_ERROR_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_ABORTED']);

/**
 * Turns anything thrown at an edge into a ConnectorError (network failures become NETWORK).
 * @example toConnectorError(new Error('boom'), 'content.list').code // 'INTERNAL'
 */
export function toConnectorError(err: unknown, operation: ApiOperation): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const tls = findCode(err, (c) => TLS_ERROR_PATTERN.test(c));
  if (tls !== undefined) {
    return new ConnectorError(
      'TLS_UNTRUSTED',
      `${operation} failed, ${ERROR_CODES.TLS_UNTRUSTED.summary} (${tls})`,
      {
        stage: operation === 'token' ? 'auth' : 'receiving',
        cause: err,
      },
    );
  }
  if (findCode(err, (c) => CLOSED_ERROR_CODES.has(c)) !== undefined) {
    return new ConnectorError('CLOSED', `${operation} stopped: ${ERROR_CODES.CLOSED.summary}`, {
      cause: err,
    });
  }
  const code = findCode(err, (c) => NETWORK_ERROR_CODES.has(c));
  if (code !== undefined) {
    return new ConnectorError('NETWORK', `${operation} failed, ${ERROR_CODES.NETWORK.summary} (${code})`, {
      stage: operation === 'token' ? 'auth' : 'receiving',
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectorError('INTERNAL', `${operation} failed: ${clip(message)}`, { cause: err });
}

/** OpenSSL verification failures: retrying cannot help, the operator must fix trust. */
const TLS_ERROR_PATTERN = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME_INVALID/;

/** The first `code` along the cause chain (undici wraps the socket error one or two deep) that `accept` takes. */
export function findCode(err: unknown, accept: (code: string) => boolean): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && accept(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
