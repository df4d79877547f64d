/**
 * Content ids in the shape the service uses (spec §3.8):
 * `20200702020621634014687$20200702020621634014687$audit_exchange$Audit_Exchange$emea0036`
 * — a 23-digit creation stamp twice, the content type in two spellings and a
 * region. Clients must treat them as opaque and never re-encode the `$`.
 */
import type { ContentType } from '../content-types.js';

export function makeContentId(options: {
  createdMs: number;
  seq: number;
  contentType: ContentType;
  region: string;
}): string {
  const d = new Date(options.createdMs);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}` +
    p(options.seq % 1_000_000, 6);
  const title = options.contentType.replace('.', '_');
  return `${stamp}$${stamp}$${title.toLowerCase()}$${title}$${options.region}`;
}

/**
 * What the emulator rejects as malformed (AF20052): anything outside the
 * characters real ids use, or without the `$` separators. Well-formed ids that
 * were never issued are AF20050 instead.
 */
export function isWellFormedContentId(id: string): boolean {
  return /^[A-Za-z0-9_.-]+(\$[A-Za-z0-9_.-]+){2,}$/.test(id) && id.length <= 512;
}
