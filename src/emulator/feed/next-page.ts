/**
 * Opaque `nextPage` ids and the `NextPageUri` URL built around them (spec
 * §3.5). The id looks like the documented `2015101900R022885001761` with an
 * authentication tag, so an altered or foreign id is AF20031 rather than a
 * silent jump in the listing.
 */
import { createHmac } from 'node:crypto';

export interface PageCursor {
  /** First blob `seq` of the page. */
  seq: number;
}

export interface CursorScope {
  tenantId: string;
  contentType: string;
  start: number;
  end: number;
}

export class NextPageCodec {
  constructor(private readonly secret: Buffer) {}

  encode(cursor: PageCursor, scope: CursorScope, now: number, nonce: number): string {
    const d = new Date(now).toISOString();
    const prefix = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}`;
    const body = `${prefix}R${String(cursor.seq).padStart(12, '0')}${String(nonce % 100).padStart(2, '0')}`;
    return `${body}${this.tag(body, scope)}`;
  }

  /** The cursor of a nextPage id, or undefined when it was not issued for this scope. */
  decode(id: string, scope: CursorScope): PageCursor | undefined {
    const m = /^(\d{10}R(\d{12})\d{2})([0-9a-f]{12})$/.exec(id);
    if (!m?.[1] || !m[2] || !m[3]) return undefined;
    if (this.tag(m[1], scope) !== m[3]) return undefined;
    return { seq: Number(m[2]) };
  }

  private tag(body: string, scope: CursorScope): string {
    return createHmac('sha256', this.secret)
      .update(`${body}|${scope.tenantId.toLowerCase()}|${scope.contentType}|${scope.start}|${scope.end}`)
      .digest('hex')
      .slice(0, 12);
  }
}

/** Adversarial shapes of the next-page link, each seen or documented somewhere. */
export interface NextPageQuirks {
  /** Header spelling: the real `NextPageUri`, the documented `NextPageUrl`, or lower-case. */
  headerName: 'NextPageUri' | 'NextPageUrl' | 'nextpageuri';
  /** Put `/api/v1/` instead of `/api/v1.0/` in the link, as the docs' sample does. */
  v1Path: boolean;
  /** Leave PublisherIdentifier out of the link even when the request had it. */
  dropPublisher: boolean;
}

export function buildNextPageUri(options: {
  baseUrl: string;
  tenantSegment: string;
  operation: string;
  contentType: string;
  start: string;
  end: string;
  nextPage: string;
  publisherId: string | undefined;
  quirks: NextPageQuirks;
}): string {
  const q = options.quirks;
  const version = q.v1Path ? 'v1' : 'v1.0';
  const params = new URLSearchParams({
    contentType: options.contentType,
    startTime: options.start,
    endTime: options.end,
  });
  if (options.publisherId !== undefined && !q.dropPublisher)
    params.set('PublisherIdentifier', options.publisherId);
  params.set('nextPage', options.nextPage);
  return `${options.baseUrl}/api/${version}/${options.tenantSegment}/activity/feed/subscriptions/${options.operation}?${params.toString()}`;
}
