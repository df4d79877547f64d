/**
 * App-only tokens with the client-credentials grant through msal-node
 * (secret or certificate; msal signs the certificate assertion).
 *
 * msal accepts only https authorities and would look the authority up on
 * Microsoft's instance-discovery service. We hand it the authority metadata
 * and known authority so it never does, and give it a network client that
 * sends every request to the configured login base URL: this is how it
 * reaches a plain-http loopback emulator (msal sees https://127.0.0.1:PORT,
 * the request goes to http://127.0.0.1:PORT) and how an extra CA is trusted.
 * Tokens never reach a log line or an error message.
 */
import {
  AuthError,
  ConfidentialClientApplication,
  LogLevel,
  ServerError,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { randomUUID, sign } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { TenantConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { clip, ConnectorError, ERROR_CODES, errorFromResponse, toConnectorError } from './errors.js';
import { flatHeaders, readTextCapped } from './http.js';

export interface TokenSource {
  /** A valid access token; `forceRefresh` skips every cache (after a 401 from the API). */
  getToken(forceRefresh?: boolean): Promise<string>;
}

export interface RequestEvent {
  method: string;
  operation: string;
  status: number;
  afCode?: string;
  ms: number;
}

/** Renew this long before expiry, so that a token never runs out mid-request. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** The authority msal sees: https, same host and port as the configured login base. */
function msalOrigin(loginBase: string): string {
  const url = new URL(loginBase);
  return `https://${url.host}`;
}

/**
 * msal's network module: maps msal's https origin onto the configured login
 * base and refuses anything else, so msal cannot call out to Microsoft.
 */
class LoginNetwork implements INetworkModule {
  /** The transport failure behind msal's generic "network_error", kept so the caller sees the real one. */
  lastFailure: ConnectorError | undefined;
  lastStatus: number | undefined;

  constructor(
    private readonly msalBase: string,
    private readonly loginBase: string,
    private readonly dispatcher: Dispatcher,
    private readonly onRequest?: (e: RequestEvent) => void,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  async #send<T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    if (!url.toLowerCase().startsWith(`${this.msalBase.toLowerCase()}/`)) {
      this.lastFailure = new ConnectorError(
        'URL_REFUSED',
        `Token client tried to reach a host other than the configured login endpoint.`,
        {
          stage: 'auth',
        },
      );
      throw this.lastFailure;
    }
    const target = this.loginBase + url.slice(this.msalBase.length);
    const started = performance.now();
    try {
      const res = await request(target, {
        method,
        headers: options?.headers,
        body: options?.body,
        dispatcher: this.dispatcher,
      });
      const text = await readTextCapped(res.body, 1024 * 1024);
      this.lastStatus = res.statusCode;
      this.onRequest?.({
        method,
        operation: 'token',
        status: res.statusCode,
        ms: performance.now() - started,
      });
      // Outages and throttling are ours to retry: msal would otherwise refuse every
      // token request for a minute after one 5xx (its own throttling cache).
      if (res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408) {
        throw errorFromResponse({
          status: res.statusCode,
          body: text,
          operation: 'token',
          retryAfter: flatHeaders(res.headers)['retry-after'],
          nowMs: Date.now(),
        });
      }
      let body: unknown = {};
      try {
        body = JSON.parse(text);
      } catch {
        // msal reports a non-JSON answer by its status; keep the body an object.
      }
      return { status: res.statusCode, headers: flatHeaders(res.headers), body: body as T };
    } catch (err) {
      this.lastFailure = toConnectorError(err, 'token');
      throw this.lastFailure;
    }
  }
}

/**
 * The certificate credential's JWT (spec §2.3): RS256 with `x5t`, aud = the
 * token endpoint, iss = sub = client id, a fresh jti, valid for 10 minutes.
 */
export function signClientAssertion(args: {
  clientId: string;
  audience: string;
  privateKeyPem: string;
  thumbprintSha1: string;
  nowMs?: number;
}): string {
  const now = Math.floor((args.nowMs ?? Date.now()) / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    x5t: Buffer.from(args.thumbprintSha1, 'hex').toString('base64url'),
  };
  const claims = {
    aud: args.audience,
    iss: args.clientId,
    sub: args.clientId,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
  };
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), args.privateKeyPem).toString('base64url')}`;
}

/** "AADSTS7000215: Invalid client secret provided. Ensure … Trace ID: …" → the first sentence, code included. */
function aadstsSummary(text: string | undefined): string {
  if (!text) return '';
  const firstLine = text.split(/\r?\n/)[0] ?? '';
  return clip(/^(.*?\.)(\s|$)/.exec(firstLine)?.[1] ?? firstLine);
}

/**
 * Creates the token source of one tenant.
 * @example const tokens = createTokenSource(tenant, { dispatcher: agent, logger }); await tokens.getToken();
 */
export function createTokenSource(
  tenant: TenantConfig,
  deps: { dispatcher: Dispatcher; logger: Logger; onRequest?: (e: RequestEvent) => void },
): TokenSource {
  const loginBase = tenant.endpoints.login;
  const msalBase = msalOrigin(loginBase);
  const host = new URL(msalBase).host;
  const authority = `${msalBase}/${tenant.tenantId}`;
  const network = new LoginNetwork(msalBase, loginBase, deps.dispatcher, deps.onRequest);
  const credential = tenant.credential;
  const auth: Configuration['auth'] = {
    clientId: tenant.clientId,
    authority,
    knownAuthorities: [host],
    authorityMetadata: JSON.stringify({
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      issuer: `${authority}/v2.0`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    }),
    cloudDiscoveryMetadata: JSON.stringify({
      tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    }),
  };
  if (credential.kind === 'secret') auth.clientSecret = credential.secret.reveal();
  else if (loginBase !== msalBase) {
    // Plain-http loopback login (the emulator): msal would sign for the https
    // URL it sees, but the assertion's aud must be the real token endpoint.
    auth.clientAssertion = async ({ tokenEndpoint }) =>
      signClientAssertion({
        clientId: tenant.clientId,
        audience: loginBase + (tokenEndpoint ?? `${authority}/oauth2/v2.0/token`).slice(msalBase.length),
        privateKeyPem: credential.privateKey.reveal(),
        thumbprintSha1: credential.thumbprintSha1,
      });
  } else {
    auth.clientCertificate = {
      thumbprintSha256: credential.thumbprintSha256,
      privateKey: credential.privateKey.reveal(),
      x5c: credential.certificatePem,
    };
  }
  const app = new ConfidentialClientApplication({
    auth,
    system: {
      networkClient: network,
      // One retry policy: ours (the API client retries a failed token request).
      disableInternalRetries: true,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (_level, message, containsPii) => {
          if (!containsPii) deps.logger.debug({ msal: message }, 'Token library message.');
        },
      },
    },
  });
  const scope = `${tenant.endpoints.resource}/.default`;
  let cached: { token: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function acquire(forceRefresh: boolean): Promise<string> {
    network.lastFailure = undefined;
    network.lastStatus = undefined;
    try {
      const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: forceRefresh });
      if (!result?.accessToken)
        throw new ConnectorError('AUTH_FAILED', 'The token endpoint returned no access token.', {
          stage: 'auth',
        });
      const expiresAt = result.expiresOn?.getTime() ?? Date.now() + 10 * 60_000;
      cached = { token: result.accessToken, expiresAt };
      deps.logger.debug(
        { tenant: tenant.name, expiresAt: new Date(expiresAt).toISOString() },
        'Access token acquired.',
      );
      return result.accessToken;
    } catch (err) {
      throw tokenError(err, network.lastFailure, network.lastStatus);
    }
  }

  return {
    getToken(forceRefresh = false): Promise<string> {
      if (!forceRefresh && cached && Date.now() < cached.expiresAt - RENEW_BEFORE_MS)
        return Promise.resolve(cached.token);
      if (forceRefresh) cached = undefined;
      // One acquisition at a time; concurrent callers share it.
      inFlight ??= acquire(forceRefresh).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

function tokenError(
  err: unknown,
  transport: ConnectorError | undefined,
  status: number | undefined,
): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (transport) return transport;
  if (err instanceof ServerError) {
    const summary = aadstsSummary(err.errorMessage);
    return new ConnectorError(
      'AUTH_FAILED',
      `token request failed, ${ERROR_CODES.AUTH_FAILED.summary}: ${err.errorCode}${summary ? ` (${summary})` : ''}`,
      {
        stage: 'auth',
        httpStatus: status,
      },
    );
  }
  if (err instanceof AuthError) {
    return new ConnectorError(
      'AUTH_FAILED',
      `token request failed: ${err.errorCode} (${aadstsSummary(err.errorMessage)})`,
      {
        stage: 'auth',
        httpStatus: status,
      },
    );
  }
  return toConnectorError(err, 'token');
}
