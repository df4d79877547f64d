/**
 * Request budgets per minute (spec §7): each tenant has its own budget for
 * calls that carry PublisherIdentifier; calls without it share one smaller
 * pool across all tenants. Over budget → AF429 (HTTP 403 as in Microsoft's
 * sample, or 429), `PublisherId` all zeros when the parameter was missing.
 */
import { AfError } from './errors.js';
import { MINUTE_MS } from './duration.js';

export interface ThrottleOptions {
  perTenantPerMinute: number;
  sharedPerMinute: number;
  status: 403 | 429;
  /** Seconds to announce in Retry-After (undefined: no header, as observed). */
  retryAfter: 'none' | 'window';
}

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export class Throttle {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly options: ThrottleOptions,
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** Counts one call; throws AF429 when its bucket is exhausted. */
  admit(tenantId: string, publisherId: string | undefined, method: string): void {
    const now = this.wallNow();
    if (now - this.windowStart >= MINUTE_MS) {
      this.windowStart = now - (now % MINUTE_MS);
      this.counts.clear();
    }
    const bucket = publisherId ? `tenant:${tenantId.toLowerCase()}` : 'shared';
    const limit = publisherId ? this.options.perTenantPerMinute : this.options.sharedPerMinute;
    const used = (this.counts.get(bucket) ?? 0) + 1;
    this.counts.set(bucket, used);
    if (used > limit) throw this.error(publisherId, method, this.windowStart + MINUTE_MS - now);
  }

  /** The AF429 answer, also used when throttling is injected as a fault. */
  error(publisherId: string | undefined, method: string, retryInMs = 1000): AfError {
    const headers: Record<string, string> = {};
    if (this.options.retryAfter === 'window')
      headers['Retry-After'] = String(Math.max(1, Math.ceil(retryInMs / 1000)));
    return new AfError('AF429', [method, publisherId || ZERO_GUID], { status: this.options.status, headers });
  }
}
