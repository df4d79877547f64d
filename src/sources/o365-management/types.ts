/**
 * What the polling source needs from its neighbours. Data flows api → sources,
 * so the client's types come from src/api; the record indexer is stated
 * structurally (src/schema's extractIndex satisfies it) so tests can inject one.
 */
import type { IndexedFields } from '../../store/types.js';

/** The per-tenant Management Activity API client (src/api), with its item and record shapes. */
export type { ApiClient as SourceApiClient, BlobRecord, ContentItem } from '../../api/index.js';

export type ExtractIndex = (record: unknown) => IndexedFields;

/** Injected time, so the loops run under a fake clock in tests. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** The facts about an error the source branches on (src/api ConnectorError has them). */
export interface ErrorFacts {
  code: string;
  retryable: boolean;
  afCode: string | null;
  retryAfterMs: number | null;
  message: string;
}

/** Reads the branching facts from anything thrown, tolerant of plain errors. */
export function errorFacts(err: unknown): ErrorFacts {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
    // Unknown failures (sockets, bugs in a dependency) are treated as transient: retrying costs little, dropping loses data.
    retryable: typeof e.retryable === 'boolean' ? e.retryable : true,
    afCode: typeof e.afCode === 'string' ? e.afCode : null,
    retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : null,
    message,
  };
}

/** AF20022 (no subscription) or AF20023 (disabled): start the subscription again, then retry. */
export function isSubscriptionLost(facts: ErrorFacts): boolean {
  return (
    facts.code === 'SUBSCRIPTION_MISSING' ||
    facts.code === 'SUBSCRIPTION_DISABLED' ||
    facts.afCode === 'AF20022' ||
    facts.afCode === 'AF20023'
  );
}
