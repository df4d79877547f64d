/**
 * Indexer acknowledgement (spec §1.7): every send that got an `ackId` waits here until HEC reports it
 * `true`. One poller per sink asks for all pending ids of its channel in one `/services/collector/ack` call
 * per interval, however many sends are in flight. HEC reports `true` once and then forgets the id, so an id
 * is asked for only while its send still waits; a send that gives up (its signal) is sent again by the
 * driver, which may index it twice: at-least-once, as Splunk's own clients do.
 */
import type { AckAnswer } from './replies.js';

/** Asks HEC for the status of `ids`; must not throw. */
export type AckPoll = (ids: number[], signal: AbortSignal) => Promise<AckAnswer>;

export type AckWait = { acked: true } | { acked: false; reason: string; blocked?: boolean };

interface Waiter {
  resolve(result: AckWait): void;
  /** What the last poll said when it did not say true (for the reason of a timeout). */
  last: string | undefined;
}

/** Longest wait for one poll's answer; a hung poll must not stall the ones after it. */
const POLL_TIMEOUT_MS = 10_000;

/**
 * @example
 * const poller = new AckPoller((ids, signal) => askHec(ids, signal), 1000);
 * const wait = await poller.wait(7, signal); // { acked: true } once HEC reported 7 true
 */
export class AckPoller {
  readonly #poll: AckPoll;
  readonly #intervalMs: number;
  readonly #waiters = new Map<number, Waiter>();
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(poll: AckPoll, intervalMs: number) {
    this.#poll = poll;
    this.#intervalMs = intervalMs;
  }

  /** Resolves when HEC reports `ackId` true, polling fails for good, or `signal` aborts (never rejects). */
  wait(ackId: number, signal: AbortSignal): Promise<AckWait> {
    return new Promise<AckWait>((resolve) => {
      if (this.#stop.signal.aborted) {
        resolve({ acked: false, reason: 'the sink closed before HEC acknowledged the batch' });
        return;
      }
      // An id handed out again means HEC restarted and forgot the earlier one (ids restart at 0).
      this.#settle([ackId], {
        acked: false,
        reason: `HEC handed out ackId ${ackId} again (it restarted?) before acknowledging this batch; it is sent again`,
      });
      const waiter: Waiter = {
        last: undefined,
        resolve: (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      const onAbort = () => {
        if (this.#waiters.get(ackId) === waiter) this.#waiters.delete(ackId);
        const last = waiter.last === undefined ? '' : `; last poll: ${waiter.last}`;
        resolve({
          acked: false,
          reason: `HEC took the batch (ackId ${ackId}) but did not acknowledge it as indexed in time${last}; it is sent again, so Splunk may hold it twice`,
        });
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(ackId, waiter);
      this.#schedule();
    });
  }

  /** Ids waiting for an answer (for tests and status). */
  pending(): number[] {
    return [...this.#waiters.keys()];
  }

  /** Ends every wait (as not acknowledged) and stops polling. */
  close(): void {
    this.#stop.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle([...this.#waiters.keys()], {
      acked: false,
      reason: 'the sink closed before HEC acknowledged the batch',
    });
  }

  #settle(ids: number[], result: AckWait): void {
    for (const id of ids) {
      const waiter = this.#waiters.get(id);
      if (waiter === undefined) continue;
      this.#waiters.delete(id);
      waiter.resolve(result);
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#polling || this.#waiters.size === 0 || this.#stop.signal.aborted)
      return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#tick();
    }, this.#intervalMs);
  }

  async #tick(): Promise<void> {
    const ids = [...this.#waiters.keys()];
    if (ids.length === 0) return;
    this.#polling = true;
    let answer: AckAnswer;
    try {
      answer = await this.#poll(
        ids,
        AbortSignal.any([this.#stop.signal, AbortSignal.timeout(POLL_TIMEOUT_MS)]),
      );
    } catch (err) {
      // The poll function answers failures as values; a throw is a bug, kept from stalling the waits.
      answer = {
        kind: 'transient',
        reason: `ack poll failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      this.#polling = false;
    }
    if (answer.kind === 'acks') {
      // String keys (spec §1.7); anything but a literal true is "not yet".
      this.#settle(
        ids.filter((id) => answer.acks[String(id)] === true),
        { acked: true },
      );
      for (const id of ids) {
        const waiter = this.#waiters.get(id);
        if (waiter !== undefined) waiter.last = 'not yet indexed';
      }
    } else if (answer.kind === 'fatal') {
      this.#settle(ids, { acked: false, reason: answer.reason, blocked: true });
    } else {
      for (const id of ids) {
        const waiter = this.#waiters.get(id);
        if (waiter !== undefined) waiter.last = answer.reason;
      }
    }
    this.#schedule();
  }
}
