/**
 * Link keys: strings that two records share when they concern the same
 * thing, so the store can answer "what else is about this mail". An AIR
 * investigation (64) names the mails and URLs of its entities; a mail (28)
 * its NetworkMessageId; a click (41) its URL and the NetworkMessageId of the
 * mail that carried it; a file (47) or attachment its hash.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for GUID text such as a NetworkMessageId. */
export function isGuid(s: string): boolean {
  return GUID.test(s.trim());
}

/** `nmid:<NetworkMessageId lower-case>`. */
export function nmidLink(networkMessageId: string): string {
  return `nmid:${networkMessageId.trim().toLowerCase()}`;
}

/**
 * Canonical form of a URL for matching: scheme and host lower-cased (they are
 * case-insensitive), path and query kept as they are. Text that does not parse
 * as an absolute URL is only trimmed.
 */
export function canonicalUrl(url: string): string {
  const t = url.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(t);
  if (!m) return t;
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  const host =
    at >= 0 ? authority.slice(0, at + 1) + authority.slice(at + 1).toLowerCase() : authority.toLowerCase();
  return `${scheme.toLowerCase()}://${host}${rest === '' ? '/' : rest}`;
}

/** `url:<canonical url>`. */
export function urlLink(url: string): string {
  return `url:${canonicalUrl(url)}`;
}

/** `sha256:<lower-case hex>`. */
export function sha256Link(hex: string): string {
  return `sha256:${hex.toLowerCase()}`;
}

/** The link keys of a set of objects, de-duplicated and sorted for stable output. */
export function buildLinks(objects: {
  networkMessageIds: string[];
  urls: string[];
  sha256s: string[];
}): string[] {
  const keys = new Set<string>();
  for (const id of objects.networkMessageIds) keys.add(nmidLink(id));
  for (const u of objects.urls) keys.add(urlLink(u));
  for (const h of objects.sha256s) keys.add(sha256Link(h));
  return [...keys].sort();
}

/** The parts of an absolute URL as ECS `url.*` and OCSF `url` name them; null when it does not parse. */
export interface UrlParts {
  original: string;
  scheme: string;
  domain: string;
  port: number | null;
  path: string;
  query: string | null;
  fragment: string | null;
}

/**
 * Splits a URL with the WHATWG parser. The original text is kept as received;
 * the other parts are the parser's (host lower-cased, percent-encoding kept).
 *
 * @example
 * urlParts('https://Evil.example/a?b=1').domain; // 'evil.example'
 */
export function urlParts(url: string): UrlParts | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  return {
    original: url,
    scheme: u.protocol.replace(/:$/, ''),
    domain: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? null : Number(u.port),
    path: u.pathname,
    query: u.search === '' ? null : u.search.slice(1),
    fragment: u.hash === '' ? null : u.hash.slice(1),
  };
}

/**
 * The bare address in a header value such as `IT Support <it@x.example>`;
 * the text itself when it has no angle brackets.
 */
export function emailAddress(value: string): string {
  const m = /<([^<>]+)>\s*$/.exec(value);
  return (m?.[1] ?? value).trim();
}
