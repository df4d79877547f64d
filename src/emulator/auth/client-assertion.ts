/**
 * Certificate credentials (spec §2.3): a JWT signed with the private key of a
 * certificate registered on the app, found by `x5t` (SHA-1, with RS256) or
 * `x5t#S256` (SHA-256, with PS256), with aud = the token endpoint URL,
 * iss = sub = client id, and a current nbf/exp window.
 */
import type { ClientApp } from '../directory.js';
import { invalidClient, OAuthError } from './aadsts.js';
import { decodeJwt, verifyJwtSignature } from './jwt.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Entra tolerates this much clock difference on assertion times. */
const SKEW_SEC = 300;

export function verifyClientAssertion(options: {
  assertion: string;
  assertionType: string | undefined;
  client: ClientApp;
  /** Every URL this token endpoint answers to (v1/v2, GUID or domain). */
  audiences: readonly string[];
  nowSec: number;
}): void {
  const { client } = options;
  if (options.assertionType !== JWT_BEARER) {
    throw new OAuthError(
      400,
      'invalid_request',
      7000219,
      `'client_assertion_type' must be '${JWT_BEARER}' when 'client_assertion' is sent.`,
    );
  }
  const jwt = decodeJwt(options.assertion);
  if (!jwt) throw invalidClient(50027, 'JWT token is invalid or malformed.');
  const alg = jwt.header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') {
    throw invalidClient(
      5002738,
      `Invalid JWT token. '${String(alg)}' is not a supported signature algorithm.`,
    );
  }
  const x5t = jwt.header.x5t;
  const x5tS256 = jwt.header['x5t#S256'];
  const cert = client.certificates.find((c) => c.sha1 === x5t || c.sha256 === x5tS256);
  if (!cert) {
    throw invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${String(x5t ?? x5tS256 ?? '')}']`,
    );
  }
  if (!verifyJwtSignature(jwt, cert.publicKey)) {
    throw invalidClient(700027, 'Client assertion failed signature validation.');
  }
  const c = jwt.claims;
  if (!sameId(c.iss, client.clientId) || !sameId(c.sub, client.clientId)) {
    throw invalidClient(
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    );
  }
  const auds = Array.isArray(c.aud) ? c.aud : [c.aud];
  const norm = (s: unknown): string => (typeof s === 'string' ? s.replace(/\/+$/, '').toLowerCase() : '');
  if (!auds.some((a) => options.audiences.some((expected) => norm(expected) === norm(a)))) {
    throw invalidClient(
      700212,
      `The client assertion audience '${String(c.aud)}' does not match the token endpoint.`,
    );
  }
  const now = options.nowSec;
  const nbf = typeof c.nbf === 'number' ? c.nbf : undefined;
  if (typeof c.exp !== 'number' || c.exp + SKEW_SEC < now || (nbf !== undefined && nbf - SKEW_SEC > now)) {
    throw invalidClient(
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${typeof c.exp === 'number' ? new Date(c.exp * 1000).toISOString() : 'missing'}.`,
    );
  }
}

function sameId(value: unknown, clientId: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === clientId.toLowerCase();
}
