/**
 * The Entra ID token endpoints for the client-credentials grant:
 * v1 `/{tenant}/oauth2/token` (resource=, string `expires_in`) and
 * v2 `/{tenant}/oauth2/v2.0/token` (scope={resource}/.default, numeric
 * `expires_in`). The client authenticates with a secret (form field or HTTP
 * Basic) or a certificate assertion.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorClock } from '../clock.js';
import type { Directory, ClientApp, Tenant } from '../directory.js';
import { readBody, sendJson } from '../http.js';
import { invalidClient, missingParameter, OAuthError } from './aadsts.js';
import { verifyClientAssertion } from './client-assertion.js';
import type { TokenService } from './tokens.js';

export type TokenVersion = 'v1' | 'v2';

export interface TokenEndpointContext {
  directory: Directory;
  tokens: TokenService;
  clock: EmulatorClock;
  /** Base URL of this server, e.g. http://127.0.0.1:PORT. */
  baseUrl(): string;
}

export async function handleTokenRequest(
  ctx: TokenEndpointContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: { tenant: string; version: TokenVersion },
): Promise<void> {
  try {
    if (req.method !== 'POST') {
      throw new OAuthError(400, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    }
    const form = new URLSearchParams(await readBody(req));
    const tenant = ctx.directory.resolveTenant(route.tenant);
    if (!tenant) {
      throw new OAuthError(
        400,
        'invalid_request',
        90002,
        `Tenant '${route.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const grant = form.get('grant_type');
    if (!grant) throw missingParameter('grant_type');
    if (grant !== 'client_credentials') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
      );
    }
    const basic = parseBasic(req.headers.authorization);
    const clientId = form.get('client_id') ?? basic?.id;
    if (!clientId) throw missingParameter('client_id');
    const client = ctx.directory.client(clientId);
    if (!client) {
      throw new OAuthError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${route.tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    const resource = checkResource(ctx, form, route.version, tenant);
    const viaCertificate = authenticateClient(ctx, {
      form,
      basicSecret: basic?.secret,
      client,
      route,
      tenant,
    });
    const issued = ctx.tokens.issue(tenant, client, { viaCertificate, audience: resource });
    if (route.version === 'v1') {
      // v1 sends every number as a string (spec §2.4); clients must cope.
      sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: String(issued.lifetimeSec),
        ext_expires_in: String(issued.lifetimeSec),
        expires_on: String(issued.expiresOn),
        not_before: String(issued.notBefore),
        resource,
        access_token: issued.accessToken,
      });
    } else {
      sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: issued.lifetimeSec,
        ext_expires_in: issued.lifetimeSec,
        access_token: issued.accessToken,
      });
    }
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    sendJson(res, err.status, err.body({ now: ctx.clock.authNow(), authorityBase: ctx.baseUrl() }));
  }
}

/**
 * Other resources Entra would happily issue tokens for; the API rejects such
 * tokens (wrong audience), which is how a misconfigured client meets a 401.
 */
const OTHER_KNOWN_RESOURCES = ['https://graph.microsoft.com', 'https://management.azure.com'];

/** Returns the resource (audience) the token is for. */
function checkResource(
  ctx: TokenEndpointContext,
  form: URLSearchParams,
  version: TokenVersion,
  tenant: Tenant,
): string {
  const norm = (s: string): string => s.replace(/\/+$/, '').toLowerCase();
  const expected = norm(ctx.tokens.resource);
  if (version === 'v1') {
    const resource = form.get('resource');
    if (!resource) throw missingParameter('resource');
    if (norm(resource) !== expected && !isOther(resource)) throw unknownResource(resource, tenant);
    return resource;
  }
  const scope = form.get('scope');
  if (!scope) throw missingParameter('scope');
  const scopes = scope.split(/\s+/).filter(Boolean);
  const defaults = scopes.filter((s) => s.endsWith('/.default'));
  if (defaults.length !== 1 || scopes.length !== 1) {
    throw new OAuthError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const resource = defaults[0]!.slice(0, -'/.default'.length);
  if (norm(resource) !== expected && !isOther(resource)) throw unknownResource(resource, tenant);
  return resource;
}

function isOther(resource: string): boolean {
  return OTHER_KNOWN_RESOURCES.includes(resource.replace(/\/+$/, '').toLowerCase());
}

function unknownResource(resource: string, tenant: Tenant): OAuthError {
  return new OAuthError(
    400,
    'invalid_resource',
    500011,
    `The resource principal named ${resource} was not found in the tenant named ${tenant.domain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
  );
}

/** Returns true when the client proved itself with a certificate, false for a secret. */
function authenticateClient(
  ctx: TokenEndpointContext,
  args: {
    form: URLSearchParams;
    basicSecret: string | undefined;
    client: ClientApp;
    route: { tenant: string; version: TokenVersion };
    tenant: Tenant;
  },
): boolean {
  const { form, client } = args;
  const assertion = form.get('client_assertion');
  const secret = form.get('client_secret') ?? args.basicSecret;
  if (assertion) {
    const base = ctx.baseUrl();
    const audiences = [args.route.tenant, args.tenant.id, args.tenant.domain].flatMap((t) => [
      `${base}/${t}/oauth2/token`,
      `${base}/${t}/oauth2/v2.0/token`,
    ]);
    verifyClientAssertion({
      assertion,
      assertionType: form.get('client_assertion_type') ?? undefined,
      client,
      audiences,
      nowSec: Math.floor(ctx.clock.authNow() / 1000),
    });
    return true;
  }
  if (secret === undefined) {
    throw invalidClient(
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!client.secrets.includes(secret)) {
    throw invalidClient(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
    );
  }
  return false;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
  const unform = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}
