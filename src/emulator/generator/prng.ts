/**
 * A small seeded PRNG (mulberry32) and the draws the generator needs. Never
 * Math.random: the emulator must replay the same records for the same seed
 * and call sequence, so every random choice goes through one `Rng`.
 */

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_BYTE_UPPER: readonly string[] = HEX_BYTE.map((h) => h.toUpperCase());

/**
 * Seeded random source.
 *
 * @example
 * const rng = new Rng(42);
 * rng.guid(); // the same GUID for seed 42 every time
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so that nearby seeds (1, 2, 3) give unrelated streams.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** `n` distinct-ish elements (repeats allowed only when the list is shorter than n). */
  pickSome<T>(items: readonly T[], n: number): T[] {
    if (n >= items.length) return items.slice();
    const out: T[] = [];
    const start = this.int(items.length);
    const step = 1 + this.int(items.length - 1);
    // A stride walk visits distinct indexes whenever step and length are coprime; good enough variety.
    for (let i = 0; out.length < n && i < items.length * 2; i++) {
      const item = items[(start + i * step) % items.length] as T;
      if (!out.includes(item)) out.push(item);
    }
    return out;
  }

  /** Weighted choice; `table` is built once with `weightedTable`. */
  weighted<T>(table: WeightedTable<T>): T {
    const r = this.float() * table.total;
    const { cumulative, values } = table;
    for (let i = 0; i < cumulative.length; i++) {
      if (r < (cumulative[i] as number)) return values[i] as T;
    }
    return values[values.length - 1] as T;
  }

  /** `bytes` random bytes as lower-case (or upper-case) hex. */
  hex(bytes: number, upper = false): string {
    const table = upper ? HEX_BYTE_UPPER : HEX_BYTE;
    let s = '';
    let word = 0;
    for (let i = 0; i < bytes; i++) {
      if ((i & 3) === 0) word = this.u32();
      s += table[(word >>> ((i & 3) * 8)) & 0xff];
    }
    return s;
  }

  /** Random version-4-shaped GUID, lower case: `8-4-4-4-12`. */
  guid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    return (
      hex32(a) +
      '-' +
      hex16(b >>> 16) +
      '-4' +
      hex16(b & 0x0fff).slice(1) +
      '-' +
      hex16(((c >>> 16) & 0x3fff) | 0x8000) +
      '-' +
      hex16(c & 0xffff) +
      hex32(d)
    );
  }

  /** `bytes` random bytes, base64-encoded. */
  base64(bytes: number): string {
    const buf = Buffer.allocUnsafe(bytes);
    for (let i = 0; i < bytes; i += 4) {
      const w = this.u32();
      for (let j = 0; j < 4 && i + j < bytes; j++) buf[i + j] = (w >>> (j * 8)) & 0xff;
    }
    return buf.toString('base64');
  }
}

function hex16(v: number): string {
  return (HEX_BYTE[(v >>> 8) & 0xff] as string) + (HEX_BYTE[v & 0xff] as string);
}

function hex32(v: number): string {
  return hex16(v >>> 16) + hex16(v & 0xffff);
}

export interface WeightedTable<T> {
  values: readonly T[];
  cumulative: readonly number[];
  total: number;
}

/** Build a table for `Rng.weighted` from `[value, weight]` pairs. */
export function weightedTable<T>(pairs: readonly (readonly [T, number])[]): WeightedTable<T> {
  const values: T[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [value, weight] of pairs) {
    total += weight;
    values.push(value);
    cumulative.push(total);
  }
  return { values, cumulative, total };
}
