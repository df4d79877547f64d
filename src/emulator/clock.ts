/**
 * The emulated service clock. Emulated time runs `speed` times faster than the
 * wall clock from the moment the emulator starts, and is shifted by `skewMs`, so
 * a client has to read the `Date` header to know the service's idea of "now"
 * (Filebeat corrects its clock from it). Token lifetimes stay on the wall clock
 * (plus skew) so a compressed run does not expire tokens faster than
 * `expires_in` announces.
 */
export interface EmulatorClock {
  /** Emulated service time, epoch ms. */
  now(): number;
  /** Wall-clock time shifted by the skew, epoch ms: used for tokens. */
  authNow(): number;
  /** Converts an emulated duration to wall-clock ms (for timers). */
  toWallMs(emulatedMs: number): number;
  readonly speed: number;
}

export function createClock(options: {
  speed?: number;
  skewMs?: number;
  wallNow?: () => number;
  /** Emulated time at start; defaults to the wall clock. */
  startAt?: number;
}): EmulatorClock {
  const wallNow = options.wallNow ?? Date.now;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be a positive number, got ${speed}`);
  const skew = options.skewMs ?? 0;
  const wallStart = wallNow();
  const emulatedStart = options.startAt ?? wallStart;
  return {
    speed,
    now: () => Math.floor(emulatedStart + (wallNow() - wallStart) * speed + skew),
    authNow: () => wallNow() + skew,
    toWallMs: (ms) => ms / speed,
  };
}

/** `2015-05-23T17:35:00.000Z`: the content timestamps' format (ms + Z). */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
