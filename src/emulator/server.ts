/**
 * The HTTP(S) server: one port for the Entra ID token endpoints and the
 * Activity API under their real paths. Every response carries a `Date` header
 * from the emulated (possibly skewed) clock; each request is logged at debug.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { API_PATH_RE, handleApiRequest, type RequestInfo } from './api.js';
import { handleTokenRequest } from './auth/token-endpoint.js';
import type { ServerContext } from './context.js';
import { AfError } from './errors.js';
import { sendJson } from './http.js';

const TOKEN_PATH_RE = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/i;
const OIDC_PATH_RE = /^\/([^/]+)(\/v2\.0)?\/\.well-known\/openid-configuration$/i;

export interface RequestStats {
  requests: number;
  byStatus: Record<string, number>;
  faults: Record<string, number>;
}

export function createEmulatorServer(
  ctx: ServerContext,
  tls: { cert: string | Buffer; key: string | Buffer } | undefined,
  stats: RequestStats,
): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    res.setHeader('Date', new Date(ctx.clock.now()).toUTCString());
    const url = new URL(req.url ?? '/', ctx.baseUrl());
    const info: RequestInfo = {};
    route(ctx, req, res, url, info)
      .catch((err: unknown) => {
        if (err instanceof AfError) {
          if (!res.headersSent) sendJson(res, err.status, err.body(), err.headers);
          return;
        }
        ctx.log.error({ err, path: url.pathname }, 'Emulator request failed.');
        if (!res.headersSent) sendJson(res, 500, new AfError('AF50000').body());
        else res.destroy();
      })
      .finally(() => {
        const status = res.headersSent ? res.statusCode : 0;
        stats.requests++;
        stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
        if (info.fault) stats.faults[info.fault] = (stats.faults[info.fault] ?? 0) + 1;
        ctx.log.debug(
          {
            method: req.method,
            path: url.pathname,
            status,
            ms: Date.now() - started,
            tenant: info.tenantId,
            fault: info.fault,
          },
          'Emulator request.',
        );
      });
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  info: RequestInfo,
): Promise<void> {
  const api = API_PATH_RE.exec(url.pathname);
  if (api) return handleApiRequest(ctx, req, res, url, api, info);
  const token = TOKEN_PATH_RE.exec(url.pathname);
  if (token?.[1]) {
    const tenant = decodeURIComponent(token[1]);
    info.tenantId = ctx.directory.resolveTenant(tenant)?.id;
    return handleTokenRequest(ctx, req, res, { tenant, version: token[2] ? 'v2' : 'v1' });
  }
  const oidc = OIDC_PATH_RE.exec(url.pathname);
  if (oidc?.[1] && req.method === 'GET') {
    return sendOpenIdConfiguration(ctx, res, decodeURIComponent(oidc[1]), Boolean(oidc[2]));
  }
  sendJson(res, 404, { Message: `No HTTP resource was found that matches the request URI '${url.href}'.` });
}

/** Discovery documents, for OAuth libraries that look the token endpoint up. */
function sendOpenIdConfiguration(
  ctx: ServerContext,
  res: ServerResponse,
  tenantSegment: string,
  v2: boolean,
): void {
  const tenant = ctx.directory.resolveTenant(tenantSegment);
  if (!tenant) {
    sendJson(res, 400, {
      error: 'invalid_tenant',
      error_description: `AADSTS90002: Tenant '${tenantSegment}' not found.`,
    });
    return;
  }
  const base = ctx.baseUrl();
  sendJson(res, 200, {
    token_endpoint: `${base}/${tenant.id}/oauth2${v2 ? '/v2.0' : ''}/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    issuer: v2 ? `${base}/${tenant.id}/v2.0` : `https://sts.windows.net/${tenant.id}/`,
    authorization_endpoint: `${base}/${tenant.id}/oauth2${v2 ? '/v2.0' : ''}/authorize`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    tenant_region_scope: 'EU',
  });
}
