/**
 * Access tokens: issued by the token endpoint as RS256 JWTs carrying the
 * app-only claims of spec §2.4, and checked on every API call. An unusable
 * token yields the ASP.NET 401, never the AF envelope (spec §2.6).
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';
import type { EmulatorClock } from '../clock.js';
import type { ClientApp, Tenant } from '../directory.js';
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js';

export interface IssuedToken {
  accessToken: string;
  issuedAt: number;
  notBefore: number;
  expiresOn: number;
  lifetimeSec: number;
}

export interface TokenIdentity {
  tenantId: string;
  appId: string;
  roles: string[];
}

/** Accepted leeway for token times, as resource servers commonly allow. */
const LEEWAY_SEC = 0;

export class TokenService {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid: string;

  constructor(private readonly options: { resource: string; lifetimeSec: number; clock: EmulatorClock }) {
    const pair = signingKeyPair();
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.kid = createHash('sha1')
      .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  get resource(): string {
    return this.options.resource;
  }

  issue(tenant: Tenant, client: ClientApp, how: { viaCertificate: boolean; audience: string }): IssuedToken {
    const now = Math.floor(this.options.clock.authNow() / 1000);
    const lifetime = this.options.lifetimeSec;
    const iss = `https://sts.windows.net/${tenant.id}/`;
    // The service principal's object id differs per tenant; derive a stable one.
    const oid = guidFrom(`${tenant.id}/${client.clientId}`);
    const claims = {
      aud: how.audience,
      iss,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      aio: randomUUID().replace(/-/g, ''),
      appid: client.clientId,
      appidacr: how.viaCertificate ? '2' : '1',
      idp: iss,
      oid,
      rh: '0.emulated.',
      roles: [...client.roles],
      sub: oid,
      tid: tenant.id,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    };
    return {
      accessToken: signJwt({ x5t: this.kid, kid: this.kid }, claims, this.privateKey),
      issuedAt: now,
      notBefore: now,
      expiresOn: now + lifetime,
      lifetimeSec: lifetime,
    };
  }

  /** Checks an `Authorization` header; throws UnauthorizedError when the token cannot be used. */
  authenticate(authorization: string | undefined): TokenIdentity {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new UnauthorizedError(authorization ? 'malformed authorization header' : 'no token');
    const jwt = decodeJwt(m[1]);
    if (!jwt || jwt.header.alg !== 'RS256') throw new UnauthorizedError('malformed token');
    if (!verifyJwtSignature(jwt, this.publicKey)) throw new UnauthorizedError('bad signature');
    const c = jwt.claims;
    if (!audienceMatches(c.aud, this.options.resource)) throw new UnauthorizedError('wrong audience');
    const now = Math.floor(this.options.clock.authNow() / 1000);
    if (typeof c.exp !== 'number' || c.exp + LEEWAY_SEC <= now) throw new UnauthorizedError('token expired');
    if (typeof c.nbf === 'number' && c.nbf - LEEWAY_SEC > now)
      throw new UnauthorizedError('token not yet valid');
    if (typeof c.tid !== 'string' || typeof c.appid !== 'string')
      throw new UnauthorizedError('missing claims');
    const roles = Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [];
    return { tenantId: c.tid, appId: c.appid, roles };
  }
}

let sharedPair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

/**
 * RSA key generation costs up to a second, so one signing key serves every
 * emulator in a process (tests start many); tokens carry no secret beyond it.
 */
function signingKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  sharedPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return sharedPair;
}

/** The API accepts its resource URI with or without a trailing slash. */
export function audienceMatches(aud: unknown, resource: string): boolean {
  const norm = (s: string): string => s.replace(/\/+$/, '').toLowerCase();
  return typeof aud === 'string' && norm(aud) === norm(resource);
}

function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
