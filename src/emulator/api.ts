/**
 * The Activity API under `/api/v1.0/{tenant}/activity/feed/...` (and the
 * `/api/v1/` spelling of the docs' sample). Order of checks: bearer token
 * (ASP.NET 401), tenant id shape (AF20013) and match with the token
 * (AF20010), tenant state (AF20011/AF20012/audit off), role (AF10001),
 * throttling (AF429), injected faults, then the operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findBlob, serveBlob } from './blobs/serve-blob.js';
import { asContentType, type ContentType } from './content-types.js';
import type { ApiCall, ServerContext } from './context.js';
import { AfError, UnauthorizedError } from './errors.js';
import { listContent } from './feed/list-content.js';
import { requireDlpRole, requireReadRole } from './feed/permissions.js';
import { listSubscriptions, startSubscription, stopSubscription } from './feed/subscription-handlers.js';
import type { RequestFault } from './faults.js';
import { Query, readBody, sendJson } from './http.js';
import { GUID_RE } from './random.js';

export const API_PATH_RE = /^\/api\/v1(?:\.0)?\/([^/]+)\/activity\/feed\/(.+)$/i;

interface Operation {
  /** Name used in AF429 messages (Microsoft's sample: `Method=GetBlob`). */
  name: string;
  method: 'GET' | 'POST';
  faults: readonly RequestFault[];
}

const COMMON_FAULTS: readonly RequestFault[] = [
  'server-error',
  'unavailable',
  'timeout',
  'reset',
  'slow',
  'throttle',
];

const OPERATIONS: Record<string, Operation> = {
  'subscriptions/start': { name: 'StartSubscription', method: 'POST', faults: COMMON_FAULTS },
  'subscriptions/stop': { name: 'StopSubscription', method: 'POST', faults: COMMON_FAULTS },
  'subscriptions/list': { name: 'ListSubscriptions', method: 'GET', faults: COMMON_FAULTS },
  'subscriptions/content': { name: 'ListContent', method: 'GET', faults: [...COMMON_FAULTS, 'empty-page'] },
  'subscriptions/notifications': { name: 'ListNotifications', method: 'GET', faults: COMMON_FAULTS },
  audit: { name: 'GetBlob', method: 'GET', faults: [...COMMON_FAULTS, 'truncated', 'malformed'] },
  'resources/dlpSensitiveTypes': { name: 'GetDlpSensitiveTypes', method: 'GET', faults: COMMON_FAULTS },
};

export async function handleApiRequest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  match: RegExpExecArray,
  info: RequestInfo,
): Promise<void> {
  const tenantSegment = decodeURIComponent(match[1] ?? '');
  const rest = match[2] ?? '';
  const blobMatch = /^audit\/(.+)$/i.exec(rest);
  const opKey = blobMatch
    ? 'audit'
    : Object.keys(OPERATIONS).find((k) => k.toLowerCase() === rest.toLowerCase());
  const op = opKey ? OPERATIONS[opKey] : undefined;
  if (!op || !opKey) {
    sendJson(res, 404, { Message: `No HTTP resource was found that matches the request URI '${url.href}'.` });
    return;
  }
  if (req.method !== op.method) {
    sendJson(res, 405, {
      Message: `The requested resource does not support http method '${req.method ?? ''}'.`,
    });
    return;
  }
  const query = new Query(url.searchParams);
  let call: ApiCall;
  try {
    call = authorize(ctx, req, tenantSegment, query);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      sendJson(res, 401, { Message: err.message }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    throw err;
  }
  info.tenantId = call.tenantId;
  ctx.throttle.admit(call.tenantId, call.publisherId, op.name);
  const fault = ctx.faults.pick(`${req.method} ${url.pathname.toLowerCase()}?${url.search}`, op.faults);
  info.fault = fault;
  if (fault && (await injectRequestFault(ctx, req, res, call, op, fault))) return;
  const contentType = (): ContentType => {
    const raw = query.get('contentType');
    if (raw === undefined || raw === '') throw new AfError('AF20001', ['contentType']);
    const ct = asContentType(raw);
    if (!ct) throw new AfError('AF20020');
    requireDlpRole(call, ct);
    return ct;
  };
  switch (opKey) {
    case 'subscriptions/start':
      await startSubscription(ctx, call, contentType(), await readBody(req), res);
      break;
    case 'subscriptions/stop':
      stopSubscription(ctx, call, contentType(), res);
      break;
    case 'subscriptions/list':
      listSubscriptions(ctx, call, res);
      break;
    case 'subscriptions/content':
    case 'subscriptions/notifications':
      listContent(ctx, call, query, res, {
        contentType: contentType(),
        operation: opKey === 'subscriptions/content' ? 'content' : 'notifications',
        emptyPageFault: fault === 'empty-page',
      });
      break;
    case 'audit': {
      const blob = findBlob(ctx, call, blobMatch?.[1] ?? '');
      await serveBlob(blob, res, fault === 'truncated' || fault === 'malformed' ? fault : undefined);
      break;
    }
    case 'resources/dlpSensitiveTypes':
      sendJson(res, 200, DLP_SENSITIVE_TYPES);
      break;
  }
}

/** What the request log line reports, filled in as the request is understood. */
export interface RequestInfo {
  tenantId?: string;
  fault?: RequestFault;
}

function authorize(ctx: ServerContext, req: IncomingMessage, tenantSegment: string, query: Query): ApiCall {
  const identity = ctx.tokens.authenticate(req.headers.authorization);
  if (!GUID_RE.test(tenantSegment)) throw new AfError('AF20013', [tenantSegment]);
  if (tenantSegment.toLowerCase() !== identity.tenantId.toLowerCase()) {
    throw new AfError('AF20010', [tenantSegment, identity.tenantId]);
  }
  const tenant = ctx.directory.tenant(tenantSegment);
  if (!tenant || tenant.state === 'missing') throw new AfError('AF20011', [tenantSegment]);
  if (tenant.state === 'misconfigured') throw new AfError('AF20012', [tenantSegment]);
  if (tenant.state === 'audit-disabled') {
    // Seen when unified audit logging is off; the AF code around it is undocumented.
    throw new AfError('AF20011', [tenantSegment], {
      message: `Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${tenant.id} does not exist.`,
    });
  }
  const call: ApiCall = {
    tenantId: tenant.id,
    tenantSegment,
    roles: identity.roles,
    appId: identity.appId,
    publisherId: query.get('PublisherIdentifier') || undefined,
  };
  requireReadRole(call);
  return call;
}

/** Returns true when the fault has answered (or dropped) the request. */
async function injectRequestFault(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  call: ApiCall,
  op: Operation,
  fault: RequestFault,
): Promise<boolean> {
  switch (fault) {
    case 'server-error': {
      const code = ctx.random.pick(['AF50000', 'AF50000', 'AF50005', 'AF50006'] as const);
      throw new AfError(code);
    }
    case 'unavailable':
      res.writeHead(503, { 'Content-Length': 0 });
      res.end();
      return true;
    case 'timeout':
      res.writeHead(408, { 'Content-Length': 0, Connection: 'close' });
      res.end();
      return true;
    case 'reset':
      req.socket.destroy();
      return true;
    case 'throttle':
      throw ctx.throttle.error(call.publisherId, op.name);
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, ctx.settings.slowMs));
      return false;
    default:
      return false;
  }
}

/** A few of the sensitive information types `/resources/dlpSensitiveTypes` names (spec §3.9). */
const DLP_SENSITIVE_TYPES = [
  { id: '50842eb7-edc8-4019-85dd-5a5c1f2bb085', name: 'CreditCardNumber' },
  { id: '0e9b3178-9678-47dd-a509-37222ca96b42', name: 'EUDebitCardNumber' },
  { id: 'a44669fe-0d48-453d-a9b1-2cc83f2cba77', name: 'U.S. Social Security Number (SSN)' },
  { id: 'e55e2a32-f92d-4985-a35d-a0b269eb687b', name: 'International Banking Account Number (IBAN)' },
];
