/**
 * Who may use the listener (dashboard, /metrics, /healthz): anyone on loopback by default; on any other
 * address only a request with the configured token or basic-auth credentials (`listen_auth`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Secret } from '../config/secret.js';

/** Credentials the listener requires; absent on loopback by default. */
export interface ListenAuth {
  token?: Secret;
  username?: string;
  password?: Secret;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The reason the listener must not start, or null: any address other than loopback needs credentials.
 */
export function listenAuthProblem(host: string, auth: ListenAuth | undefined): string | null {
  if (isLoopback(host)) return null;
  if (auth?.token !== undefined || (auth?.username !== undefined && auth.password !== undefined)) return null;
  return (
    `listen ${host} is not a loopback address: the dashboard, /metrics and /healthz would be open to the network. ` +
    'Set listen_auth.token ({ env: VAR } or { file: path }), or listen_auth.username and listen_auth.password, ' +
    'in the configuration, or listen on 127.0.0.1'
  );
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so that the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether a request carries the configured credentials (Bearer token, or Basic user:password / any:token). */
export function authorized(req: IncomingMessage, auth: ListenAuth | undefined): boolean {
  if (auth === undefined || (auth.token === undefined && auth.password === undefined)) return true;
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer && auth.token !== undefined) return sameSecret(bearer[1] ?? '', auth.token.reveal());
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return false;
  const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (auth.token !== undefined && sameSecret(password, auth.token.reveal())) return true;
  if (auth.username !== undefined && auth.password !== undefined) {
    // Both compared, always, so that a wrong user name takes as long as a wrong password.
    const userOk = sameSecret(user, auth.username);
    const passOk = sameSecret(password, auth.password.reveal());
    return userOk && passOk;
  }
  return false;
}
