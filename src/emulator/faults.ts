/**
 * Fault injection. Request faults are decided per call at their rates but are
 * always transient: the same request (method + URL) is never failed more than
 * `maxConsecutive` times in a row, so a retrying client can always get through
 * and exactly-once collection stays possible.
 */
import type { Random } from './random.js';

export const REQUEST_FAULTS = [
  'server-error', // AF50000 500 (also AF50005 / AF50006)
  'unavailable', // bare 503, no AF body
  'timeout', // bare 408
  'reset', // socket destroyed before any response
  'slow', // answer after a delay
  'throttle', // AF429
  'truncated', // blob body cut short
  'malformed', // blob body not JSON
  'empty-page', // empty content page that still carries NextPageUri
] as const;
export type RequestFault = (typeof REQUEST_FAULTS)[number];

export const PUBLISH_FAULTS = ['late', 'duplicate'] as const;
export type PublishFault = (typeof PUBLISH_FAULTS)[number];

export type FaultKind = RequestFault | PublishFault;
export const FAULT_KINDS: readonly FaultKind[] = [...REQUEST_FAULTS, ...PUBLISH_FAULTS];

export type FaultRates = Partial<Record<FaultKind, number>>;

/**
 * `--fault-rate R`: every request fails with probability R in total, the kind
 * spread evenly over the request faults that apply; late and duplicate blobs
 * each at R. Per-kind rates override.
 */
export function expandFaultRates(total: number | undefined, perKind: FaultRates): FaultRates {
  const rates: FaultRates = {};
  if (total !== undefined && total > 0) {
    for (const k of REQUEST_FAULTS) rates[k] = total;
    for (const k of PUBLISH_FAULTS) rates[k] = total;
  }
  for (const [k, v] of Object.entries(perKind) as [FaultKind, number][]) rates[k] = v;
  for (const [k, v] of Object.entries(rates) as [FaultKind, number][]) {
    if (!(v >= 0 && v <= 1)) throw new Error(`fault rate for ${k} must be between 0 and 1, got ${v}`);
  }
  return rates;
}

export class FaultInjector {
  private readonly streak = new Map<string, number>();

  constructor(
    private readonly rates: FaultRates,
    private readonly random: Random,
    private readonly options: { maxConsecutive: number; totalRate: number | undefined },
  ) {}

  rate(kind: FaultKind): number {
    return this.rates[kind] ?? 0;
  }

  /** Picks the fault for one request among the kinds that apply to it, or none. */
  pick(requestKey: string, applicable: readonly RequestFault[]): RequestFault | undefined {
    const kinds = applicable.filter((k) => this.rate(k) > 0);
    if (kinds.length === 0) return this.clear(requestKey);
    const streak = this.streak.get(requestKey) ?? 0;
    if (streak >= this.options.maxConsecutive) return this.clear(requestKey);
    let chosen: RequestFault | undefined;
    if (this.options.totalRate !== undefined && kinds.every((k) => this.rate(k) === this.options.totalRate)) {
      // One draw at the total rate, then an even choice of kind.
      if (this.random.chance(this.options.totalRate)) chosen = this.random.pick(kinds);
    } else {
      chosen = kinds.find((k) => this.random.chance(this.rate(k)));
    }
    if (!chosen) return this.clear(requestKey);
    if (this.streak.size > 50_000) this.streak.clear();
    this.streak.set(requestKey, streak + 1);
    return chosen;
  }

  /** Publication-time faults (late or duplicate blobs). */
  publishes(kind: PublishFault): boolean {
    return this.random.chance(this.rate(kind));
  }

  private clear(requestKey: string): undefined {
    this.streak.delete(requestKey);
    return undefined;
  }
}
