/**
 * The one delivery driver: every sink tails the store through it. It owns what the sinks do not: reading
 * from the sink's offset, the sink's filter, encoding, batching (count, bytes, time), concurrency, retries
 * with backoff and jitter (Retry-After honoured), the circuit breaker, dead letters and the offset.
 *
 * Guarantees (docs/SINKS.md, docs/GUARANTEES.md):
 * - the offset moves only after every event up to it was acknowledged by the SIEM, dead-lettered with the
 *   SIEM's reason, or left out by the filter, and in one store transaction with those counts;
 * - batches in flight at once are committed in offset order, so a crash only ever re-sends events after
 *   the committed offset (at least once; the SIEMs that deduplicate see each record once);
 * - a failing SIEM is retried for as long as it takes; nothing is skipped but what it refuses for good, and
 *   a refused request of many events is split until the events at fault are found alone.
 * - the driver only reads the store and writes its own rows: a slow or dead sink never slows the collector
 *   or another sink (the store is the buffer).
 */
import { backoffDelay, type RetryPolicy } from '../api/retry.js';
import { clip } from '../api/errors.js';
import { getFormat, toFormatInput, type Format } from '../formats/index.js';
import type { CommonSinkConfig } from '../sinks/config.js';
import type { EventResult, SendResult, Sink, SinkEvent } from '../sinks/types.js';
import { systemClock, type Clock } from '../sources/o365-management/types.js';
import type { DeadLetterInput, SinkState, Store, StoredRecord } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { SinkMetrics } from '../telemetry/metrics.js';
import type { Encoded, RecordEncoder } from './encode-pool.js';
import { recordFilter } from './filter.js';

/** Backoff of a failing sink: 1 s doubling to 5 min with full jitter; the breaker opens after 5 failures. */
export const SINK_RETRY_POLICY: RetryPolicy = {
  maxAttempts: Infinity,
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
};
const BREAKER_THRESHOLD = 5;
/** A blocked sink (bad token, missing permission) is tried again at least this far apart. */
const BLOCKED_MIN_DELAY_MS = 30_000;
/** No two attempts closer than this (full jitter can draw a delay near 0). */
const MIN_RETRY_DELAY_MS = 100;
/** How long stop() lets batches in flight finish before it aborts them (they are sent again at the next start). */
const STOP_GRACE_MS = 5_000;
const STATE_VALUE: Record<SinkState, number> = { closed: 0, 'half-open': 1, open: 2, blocked: 3 };

export interface DeliveryOptions {
  store: Store;
  sink: Sink;
  config: CommonSinkConfig;
  logger: Logger;
  metrics?: SinkMetrics;
  clock?: Clock;
  random?: () => number;
  policy?: RetryPolicy;
  /** How often an idle driver looks for new records (ms). */
  idlePollMs?: number;
  /**
   * Write the sink's delivery state to the store (default true). One-shot commands (replay, dead-letter
   * re-sends) pass false: their failures are theirs, not the live tail's, whose state they must not change.
   */
  recordState?: boolean;
  /**
   * Encodes batches off this thread (the process's encode pool, see encode-pool.ts); without it, or when
   * it fails, records are encoded inline. Either way the payloads are the same.
   */
  encoder?: RecordEncoder;
}

/** One batch's fate, counted in its commit. */
interface BatchOutcome {
  /** Offset the batch covers up to (its last read record, delivered or filtered). */
  upTo: number;
  delivered: number;
  filtered: number;
  deadLetters: DeadLetterInput[];
  /** storedAt of delivered events, for the latency histogram. */
  storedAt: string[];
}

export interface DeliverySnapshot {
  sink: string;
  state: SinkState;
  offset: number;
  inFlight: number;
  /** Events delivered since this driver started. */
  delivered: number;
  consecutiveFailures: number;
  lastError: string | null;
}

/** Thrown inside a batch's retry loop when the driver stops: the batch stays undelivered, not lost. */
class Stopped extends Error {}

/**
 * Sends events through a sink until each is delivered or refused for good, with the shared backoff and
 * breaker. Used by the tail, by replays and by dead-letter re-sends alike.
 */
export class BatchSender {
  readonly #o: DeliveryOptions;
  readonly #clock: Clock;
  readonly #policy: RetryPolicy;
  /** Aborts sends in flight. */
  readonly #stop = new AbortController();
  /** Ends backoff waits: a stopping driver starts no new attempt but lets the ones in flight finish. */
  readonly #drain = new AbortController();
  #failures = 0;
  #pauseUntil = 0;
  #state: SinkState = 'closed';
  #lastError: string | null = null;
  /**
   * Until the first answer after start, the stored state may still be the last run's (blocked, say, with its
   * error): the first success writes `closed` even though nothing failed in this run.
   */
  #stateUnknown = true;
  /** While the breaker is open, one trial batch at a time: the others wait for its answer. */
  #trial: Promise<void> | null = null;
  /** Attempts left per event list before giving up (replay and re-send give up; the tail never does). */
  readonly #maxAttempts: number;

  constructor(options: DeliveryOptions, maxAttempts = Infinity) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#policy = options.policy ?? SINK_RETRY_POLICY;
    this.#maxAttempts = maxAttempts;
  }

  get state(): SinkState {
    return this.#state;
  }
  get failures(): number {
    return this.#failures;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }
  /** Aborted once the driver drains (stops starting work): waits that should end then take it. */
  get drainSignal(): AbortSignal {
    return this.#drain.signal;
  }

  /** Starts no new attempt (waits end at once); sends in flight go on. */
  drain(): void {
    this.#drain.abort();
  }

  /** Ends waits at once; sends in flight are aborted (their events stay undelivered). */
  abort(): void {
    this.#drain.abort();
    this.#stop.abort();
  }

  /**
   * Delivers `events` (in order) until every one is delivered or rejected.
   * Throws Stopped when the driver stops, or GiveUp after maxAttempts failed attempts.
   */
  async deliver(
    events: SinkEvent[],
  ): Promise<{ delivered: SinkEvent[]; rejected: { event: SinkEvent; reason: string }[] }> {
    const delivered: SinkEvent[] = [];
    const rejected: { event: SinkEvent; reason: string }[] = [];
    // Chunks still to send, in order. A request refused as a whole is split in two, down to single events.
    const chunks: SinkEvent[][] = events.length > 0 ? [events] : [];
    let attempts = 0;
    while (chunks.length > 0) {
      const chunk = chunks[0] as SinkEvent[];
      const release = await this.#waitForTurn();
      try {
        const result = await this.#send(chunk);
        const { metrics, sink } = this.#o;
        const label = { sink: sink.name };
        switch (result.outcome) {
          case 'delivered':
            metrics?.batches.inc({ ...label, outcome: 'delivered' });
            delivered.push(...chunk);
            chunks.shift();
            await this.#succeeded();
            break;
          case 'rejected':
            metrics?.batches.inc({ ...label, outcome: 'rejected' });
            chunks.shift();
            if (chunk.length === 1) rejected.push({ event: chunk[0] as SinkEvent, reason: result.reason });
            else {
              const half = Math.ceil(chunk.length / 2);
              chunks.unshift(chunk.slice(0, half), chunk.slice(half));
            }
            // The SIEM answered: it is up, whatever it thought of the data.
            await this.#succeeded();
            break;
          case 'partial': {
            metrics?.batches.inc({ ...label, outcome: 'partial' });
            const retry: SinkEvent[] = [];
            let reason: string | null = null;
            chunk.forEach((event, i) => {
              const r: EventResult = result.results[i] ?? {
                status: 'retry',
                reason: 'the sink gave no result for this event',
              };
              if (r.status === 'delivered') delivered.push(event);
              else if (r.status === 'rejected') rejected.push({ event, reason: r.reason });
              else {
                retry.push(event);
                reason ??= r.reason;
              }
            });
            chunks.shift();
            if (retry.length > 0) {
              chunks.unshift(retry);
              attempts += 1;
              await this.#failed(
                `${retry.length} of ${chunk.length} events to send again: ${reason ?? ''}`,
                retry.length,
                {
                  retryAfterMs: result.retryAfterMs,
                },
              );
              this.#checkAttempts(attempts);
            } else await this.#succeeded();
            break;
          }
          case 'retryable':
            metrics?.batches.inc({ ...label, outcome: result.blocked ? 'blocked' : 'retryable' });
            attempts += 1;
            await this.#failed(result.reason, chunk.length, {
              retryAfterMs: result.retryAfterMs,
              blocked: result.blocked,
            });
            this.#checkAttempts(attempts);
            break;
          default: {
            const never: never = result;
            throw new Error(`unknown send result ${JSON.stringify(never)}`);
          }
        }
      } finally {
        release();
      }
    }
    return { delivered, rejected };
  }

  #checkAttempts(attempts: number): void {
    if (attempts >= this.#maxAttempts) throw new GiveUp(this.#lastError ?? 'delivery failed');
  }

  async #send(chunk: SinkEvent[]): Promise<SendResult> {
    if (this.stopped) throw new Stopped();
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#o.config.timeoutMs)]);
    let result: SendResult;
    try {
      result = await this.#o.sink.send(chunk, signal);
    } catch (err) {
      // The contract says a sink never throws for a SIEM's answer; a throw is a bug in the sink, and retrying
      // (with the reason shown) is safer than dropping the batch.
      result = {
        outcome: 'retryable',
        reason: `the sink failed: ${clip(err instanceof Error ? err.message : String(err))}`,
      };
    }
    if (this.stopped) throw new Stopped();
    return result;
  }

  /**
   * Waits out the backoff; then, while the breaker is open, takes the one trial slot. Returns the release of
   * that slot (call it once the trial's answer is handled), or a no-op when the breaker is closed.
   */
  async #waitForTurn(): Promise<() => void> {
    for (;;) {
      if (this.#drain.signal.aborted) throw new Stopped();
      const wait = this.#pauseUntil - this.#clock.now();
      if (wait > 0) {
        await this.#clock.sleep(wait, this.#drain.signal);
        continue;
      }
      const tripped = this.#failures >= BREAKER_THRESHOLD || this.#state === 'blocked';
      if (!tripped) return () => undefined;
      if (this.#trial === null) break;
      await this.#trial;
    }
    let release: () => void = () => undefined;
    this.#trial = new Promise<void>((resolve) => {
      release = () => {
        this.#trial = null;
        resolve();
      };
    });
    if (this.#state === 'open') await this.#setState('half-open', null, false);
    return release;
  }

  /** The delivery loop failed outside a send: blocked until the next delivery succeeds. */
  async interrupted(reason: string): Promise<void> {
    this.#lastError = reason;
    this.#stateUnknown = true;
    await this.#setState('blocked', reason, true);
  }

  async #succeeded(): Promise<void> {
    if (this.#failures === 0 && this.#state === 'closed' && !this.#stateUnknown) return;
    const was = this.#state;
    this.#stateUnknown = false;
    this.#failures = 0;
    // #pauseUntil stays: a Retry-After another slot was given still holds.
    this.#lastError = null;
    await this.#setState('closed', null, false);
    if (was !== 'closed') this.#o.logger.info({ sink: this.#o.sink.name }, 'Sink recovered; delivering.');
  }

  async #failed(
    reason: string,
    events: number,
    info: { retryAfterMs?: number; blocked?: boolean },
  ): Promise<void> {
    this.#failures += 1;
    this.#stateUnknown = false;
    this.#lastError = reason;
    this.#o.metrics?.eventsRetried.inc({ sink: this.#o.sink.name }, events);
    // The jittered exponential backoff, and at least the server's Retry-After: a `Retry-After: 0` (or a
    // date in the past, from a clock behind ours) must not turn the retries into a tight loop.
    const backoff = backoffDelay(Math.min(this.#failures, 30), this.#policy, undefined, this.#o.random);
    const retryAfter = Math.min(info.retryAfterMs ?? 0, this.#policy.maxDelayMs);
    let delay = Math.max(backoff, retryAfter, Math.min(MIN_RETRY_DELAY_MS, this.#policy.baseDelayMs));
    if (info.blocked) delay = Math.max(delay, Math.min(BLOCKED_MIN_DELAY_MS, this.#policy.maxDelayMs));
    this.#pauseUntil = Math.max(this.#pauseUntil, this.#clock.now() + delay);
    const state: SinkState = info.blocked
      ? 'blocked'
      : this.#failures >= BREAKER_THRESHOLD
        ? 'open'
        : this.#state === 'blocked'
          ? 'open'
          : 'closed';
    const log = info.blocked || this.#failures === BREAKER_THRESHOLD ? 'error' : 'warn';
    this.#o.logger[log](
      { sink: this.#o.sink.name, failures: this.#failures, retryInMs: delay, reason },
      info.blocked
        ? 'Sink needs attention; keeping its events and trying again later.'
        : 'Batch delivery failed; retrying.',
    );
    await this.#setState(state, reason, true);
  }

  async #setState(state: SinkState, error: string | null, failed: boolean): Promise<void> {
    this.#state = state;
    this.#o.metrics?.state.set({ sink: this.#o.sink.name }, STATE_VALUE[state]);
    if (this.#o.recordState === false) return;
    try {
      await this.#o.store.setSinkState(this.#o.sink.name, state, error, failed);
    } catch (err) {
      this.#o.logger.warn({ err, sink: this.#o.sink.name }, 'Recording the sink state failed.');
    }
  }
}

/** Restart delays of a delivery loop that failed unexpectedly: 1 s doubling to 60 s. */
const RESTART_BASE_MS = 1000;
const RESTART_MAX_MS = 60_000;

/** Replays and re-sends give up after a bounded number of failed attempts. */
export class GiveUp extends Error {}

/** The dead letter of a record the format could not encode. */
function encodingFailed(r: StoredRecord, format: Format, message: string): DeadLetterInput {
  return {
    offset: r.offset,
    tenantId: r.tenantId,
    recordId: r.id,
    raw: r.raw,
    reason: `encoding as ${format.id} failed: ${clip(message)}`,
  };
}

function toEvent(r: StoredRecord, format: Format, payload: string): SinkEvent {
  return {
    offset: r.offset,
    tenantId: r.tenantId,
    id: r.id,
    recordType: r.index.recordType,
    creationTime: r.index.creationTime,
    raw: r.raw,
    payload,
    format: format.id,
  };
}

/**
 * Encodes stored records in the sink's format. A record the format cannot encode (never expected: formats
 * are total) becomes a dead letter with the reason instead of stopping the sink.
 */
export function encodeRecords(
  records: StoredRecord[],
  format: Format,
): { events: SinkEvent[]; failed: DeadLetterInput[] } {
  const events: SinkEvent[] = [];
  const failed: DeadLetterInput[] = [];
  for (const r of records) {
    let payload: string;
    try {
      payload = format.encode(toFormatInput(r.raw));
    } catch (err) {
      failed.push(encodingFailed(r, format, err instanceof Error ? err.message : String(err)));
      continue;
    }
    events.push(toEvent(r, format, payload));
  }
  return { events, failed };
}

/**
 * As `encodeRecords`, with the payloads an encode pool computed for the same records (same order): the
 * events and dead letters are the same as inline encoding gives.
 */
export function assembleEncoded(
  records: StoredRecord[],
  format: Format,
  encoded: readonly Encoded[],
): { events: SinkEvent[]; failed: DeadLetterInput[] } {
  if (encoded.length !== records.length)
    throw new Error(`the encode pool answered ${encoded.length} payloads for ${records.length} records`);
  const events: SinkEvent[] = [];
  const failed: DeadLetterInput[] = [];
  records.forEach((r, i) => {
    const e = encoded[i] as Encoded;
    if ('payload' in e) events.push(toEvent(r, format, e.payload));
    else failed.push(encodingFailed(r, format, e.error));
  });
  return { events, failed };
}

function formatOf(config: CommonSinkConfig): Format {
  const format = getFormat(config.format);
  if (!format) throw new TypeError(`sink ${config.name}: unknown format ${config.format}`);
  return format;
}

/**
 * The tail of one sink: from its offset to the head of the store and on, until stopped.
 * @example const driver = startDelivery({ store, sink, config, logger }); … await driver.stop();
 */
export class DeliveryDriver {
  readonly #o: DeliveryOptions;
  readonly #sender: BatchSender;
  readonly #format: Format;
  readonly #keep: (r: StoredRecord) => boolean;
  readonly #clock: Clock;
  readonly #wake = { controller: new AbortController() };
  #offset = 0;
  #inFlight = 0;
  #delivered = 0;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #storedAt = new Map<number, string>();
  /** Settles once the latest batch is encoded: batches go to the sink in the order they were read. */
  #encoded: Promise<unknown> = Promise.resolve();
  #warnedInline = false;

  constructor(options: DeliveryOptions) {
    this.#o = options;
    this.#sender = new BatchSender(options);
    this.#format = formatOf(options.config);
    this.#keep = recordFilter(options.config.filter);
    this.#clock = options.clock ?? systemClock;
  }

  get name(): string {
    return this.#o.sink.name;
  }

  /** Sets the sink's start offset (from `start_at` the first time) and starts tailing. */
  async start(): Promise<void> {
    this.#offset = await this.#o.store.initSinkOffset(this.name, this.#o.config.startAt);
    this.#loop = this.#supervise();
  }

  /**
   * Runs the tailing loop, and starts it again from the last committed offset when it fails on something
   * unexpected (a store read that throws, a bug): delivery pauses and reports itself blocked, but never
   * stops for good while the process runs. Batches in flight at the failure are sent again (at least once).
   */
  async #supervise(): Promise<void> {
    for (let failures = 1; !this.#stopping; failures++) {
      try {
        await this.#run();
        return;
      } catch (err) {
        if (this.#stopping) return;
        const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.min(failures - 1, 10));
        const reason = clip(err instanceof Error ? err.message : String(err));
        this.#o.logger.error(
          { err, sink: this.name, restartInMs: delay },
          'Delivery failed on an unexpected error; starting again from the last committed offset.',
        );
        await this.#sender.interrupted(`internal error: ${reason}`);
        await this.#clock.sleep(delay, this.#sender.drainSignal);
      }
    }
  }

  /** New records were stored: look now rather than at the next idle poll. */
  notify(): void {
    this.#wake.controller.abort();
  }

  snapshot(): DeliverySnapshot {
    return {
      sink: this.name,
      state: this.#sender.state,
      offset: this.#offset,
      inFlight: this.#inFlight,
      delivered: this.#delivered,
      consecutiveFailures: this.#sender.failures,
      lastError: this.#sender.lastError,
    };
  }

  /** Lets batches in flight finish (up to a few seconds), commits them, and stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#sender.drain();
    this.notify();
    const grace = setTimeout(() => this.#sender.abort(), STOP_GRACE_MS);
    try {
      await this.#loop;
    } finally {
      clearTimeout(grace);
      this.#sender.abort();
    }
  }

  async #idle(ms: number): Promise<void> {
    if (this.#stopping) return;
    this.#wake.controller = new AbortController();
    await this.#clock.sleep(ms, this.#wake.controller.signal);
  }

  async #run(): Promise<void> {
    const { config } = this.#o;
    const idleMs = this.#o.idlePollMs ?? 500;
    // Batches in flight, oldest first; each is committed only after all before it.
    const slots: Promise<BatchOutcome | null>[] = [];
    let readFrom = this.#offset;
    const commitHead = async (): Promise<boolean> => {
      const outcome = await slots.shift();
      if (outcome === null || outcome === undefined) return false;
      await this.#commit(outcome);
      return true;
    };
    try {
      while (!this.#stopping) {
        const next = await this.#nextBatch(readFrom);
        if (next === null) {
          // Caught up: commit what is in flight, then wait for new records.
          while (slots.length > 0) if (!(await commitHead())) return;
          await this.#idle(idleMs);
          continue;
        }
        if (next.wait > 0) {
          // A short, young batch: more records may come within max_wait. Commit what is in flight meanwhile.
          if (slots.length > 0) {
            while (slots.length > 0) if (!(await commitHead())) return;
          } else await this.#idle(next.wait);
          continue;
        }
        readFrom = next.upTo;
        slots.push(this.#deliverBatch(next.records, next.upTo));
        while (slots.length >= config.concurrency) if (!(await commitHead())) return;
      }
      while (slots.length > 0) if (!(await commitHead())) return;
    } finally {
      // A batch still in flight when the loop ends was not committed: it is sent again at the next start.
      await Promise.allSettled(slots);
    }
  }

  /**
   * The next batch after `from`: up to max_events and max_bytes of records, with `wait` > 0 when the batch
   * is short and young (more records may come within max_wait). Null when nothing is stored after `from`.
   */
  async #nextBatch(from: number): Promise<{ records: StoredRecord[]; upTo: number; wait: number } | null> {
    const { batch } = this.#o.config;
    const read = await this.#o.store.readFrom(from, batch.maxEvents);
    if (read.length === 0) return null;
    const records: StoredRecord[] = [];
    let bytes = 0;
    let upTo = from;
    for (const r of read) {
      const size = Buffer.byteLength(r.raw);
      if (records.length > 0 && bytes + size > batch.maxBytes) break;
      records.push(r);
      bytes += size;
      upTo = r.offset;
    }
    const full = read.length >= batch.maxEvents || records.length < read.length;
    const oldest = Date.parse(records[0]?.storedAt ?? '');
    const wait = full || Number.isNaN(oldest) ? 0 : oldest + batch.maxWaitMs - this.#clock.now();
    return { records, upTo, wait: Math.max(0, wait) };
  }

  async #deliverBatch(records: StoredRecord[], upTo: number): Promise<BatchOutcome | null> {
    this.#inFlight += 1;
    try {
      const kept = records.filter(this.#keep);
      for (const r of kept) this.#storedAt.set(r.offset, r.storedAt);
      const { events, failed } = await this.#encode(kept);
      const { delivered, rejected } = await this.#sender.deliver(events);
      const deadLetters: DeadLetterInput[] = [
        ...failed,
        ...rejected.map(({ event, reason }) => ({
          offset: event.offset,
          tenantId: event.tenantId,
          recordId: event.id,
          raw: event.raw,
          reason,
        })),
      ];
      const storedAt = delivered.map((e) => this.#storedAt.get(e.offset) ?? '');
      return {
        upTo,
        delivered: delivered.length,
        filtered: records.length - kept.length,
        deadLetters,
        storedAt,
      };
    } catch (err) {
      if (err instanceof Stopped) return null;
      throw err;
    } finally {
      for (const r of records) this.#storedAt.delete(r.offset);
      this.#inFlight -= 1;
    }
  }

  /**
   * The batch's events: from the encode pool when there is one (several batches encode at once, and each
   * waits for the ones read before it, so the sink sees them in offset order as inline), else inline.
   */
  async #encode(records: StoredRecord[]): Promise<{ events: SinkEvent[]; failed: DeadLetterInput[] }> {
    const { encoder } = this.#o;
    if (!encoder || records.length === 0) return encodeRecords(records, this.#format);
    const mine = encoder.encode(
      records.map((r) => r.raw),
      this.#format.id,
    );
    // Each batch waits for every batch read before it, not only the previous one's encoding: a previous batch
    // still waiting on its own predecessor must not be overtaken (two workers finish out of order).
    const before = this.#encoded;
    this.#encoded = before.then(() => mine).catch(() => undefined);
    await before;
    try {
      return assembleEncoded(records, this.#format, await mine);
    } catch (err) {
      if (!this.#warnedInline) {
        this.#warnedInline = true;
        this.#o.logger.warn(
          { err, sink: this.name },
          'The encode pool failed; encoding inline (slower, same output).',
        );
      }
      return encodeRecords(records, this.#format);
    }
  }

  async #commit(outcome: BatchOutcome): Promise<void> {
    const { store, metrics, logger } = this.#o;
    // A failing store write is retried here: the batch was delivered, and its offset must be recorded.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.commitSinkProgress(this.name, {
          offset: outcome.upTo,
          delivered: outcome.delivered,
          filtered: outcome.filtered,
          deadLetters: outcome.deadLetters,
        });
        break;
      } catch (err) {
        // Stopping: give up on this commit; the batch is sent again at the next start (at least once).
        if (this.#sender.stopped || this.#sender.drainSignal.aborted) throw err;
        logger.error({ err, sink: this.name, attempt }, 'Recording delivered events failed; trying again.');
        await this.#clock.sleep(Math.min(30_000, 500 * 2 ** attempt), this.#sender.drainSignal);
      }
    }
    this.#offset = outcome.upTo;
    this.#delivered += outcome.delivered;
    const label = { sink: this.name };
    metrics?.eventsDelivered.inc(label, outcome.delivered);
    metrics?.eventsFiltered.inc(label, outcome.filtered);
    if (outcome.deadLetters.length > 0) {
      metrics?.eventsDeadLettered.inc(label, outcome.deadLetters.length);
      logger.error(
        { sink: this.name, events: outcome.deadLetters.length, reason: outcome.deadLetters[0]?.reason },
        'The SIEM refused events for good; they are in the dead-letter table.',
      );
    }
    const now = this.#clock.now();
    for (const at of outcome.storedAt) {
      const ms = Date.parse(at);
      if (!Number.isNaN(ms)) metrics?.deliverySeconds.observe(label, Math.max(0, now - ms) / 1000);
    }
    logger.debug({ sink: this.name, offset: outcome.upTo, delivered: outcome.delivered }, 'Batch delivered.');
  }
}
