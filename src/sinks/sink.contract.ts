/**
 * The shared sink contract suite (docs/SINKS.md). Every sink's test calls `runSinkContract` with a harness
 * that starts the sink against its receiver (a real rsyslog, or a test server that follows the vendor's
 * documented protocol) and can make that receiver fail in the ways the contract names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getFormat, toFormatInput, type FormatId } from '../formats/index.js';
import { makeRecord } from '../store/testing.js';
import type { SendResult, Sink, SinkEvent } from './types.js';

/**
 * Ways a receiver can fail:
 * - `unavailable`: the SIEM answers "busy / internal error" (HTTP 503) or refuses connections;
 * - `reset`: the connection is cut before an answer;
 * - `hang`: no answer at all (the send must end by its signal);
 * - `reject`: the SIEM refuses the events for good (a mapping or format error).
 */
export type FailureMode = 'unavailable' | 'reset' | 'hang' | 'reject';

export interface SinkHarness {
  sink: Sink;
  /** The format the sink was configured with (the contract encodes its events in it). */
  format: FormatId;
  /**
   * What the receiver has taken so far, one entry per event it received (a line, a document, an envelope),
   * in arrival order, duplicates included. Resolves once it holds at least `atLeast` entries or the wait
   * ends (receivers that write asynchronously, such as rsyslog, are polled).
   */
  received(atLeast?: number): Promise<string[]>;
  /** Makes the receiver fail every request in this way until `heal()`; absent modes are not supported. */
  fail(mode: FailureMode): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Failure modes this receiver can produce (a syslog receiver has no "reject", UDP has none at all). */
  failures: readonly FailureMode[];
  /** The receiver acknowledges delivery (false for UDP: "delivered" means "sent"). */
  acknowledged?: boolean;
}

let serial = 0;

/**
 * Events as the driver hands them to a sink: stored records encoded in `format`.
 * @example const batch = contractEvents(3, 'ecs', { Subject: 'hi' });
 */
export function contractEvents(
  count: number,
  format: FormatId,
  fields: Record<string, unknown> = {},
): SinkEvent[] {
  const encoder = getFormat(format);
  if (!encoder) throw new Error(`unknown format ${format}`);
  return Array.from({ length: count }, () => {
    serial += 1;
    const id = `c0ffee00-0000-4000-8000-${String(serial).padStart(12, '0')}`;
    const record = makeRecord(
      {
        Id: id,
        Subject: `Contract test ${serial}`,
        P2Sender: 'sender@fabrikam.example',
        Recipients: ['alice@contoso.example'],
        Verdict: 'Phish',
        NetworkMessageId: `a0a0a0a0-0000-4000-8000-${String(serial).padStart(12, '0')}`,
        ...fields,
      },
      { recordType: 28, verdict: 'Phish' },
    );
    return {
      offset: serial,
      tenantId: '11111111-2222-3333-4444-555555555555',
      id,
      recordType: 28,
      creationTime: record.index.creationTime,
      raw: record.raw,
      payload: encoder.encode(toFormatInput(record.raw)),
      format,
    };
  });
}

/** Index of the event whose Id an entry carries (entries are matched by Id, not by position). */
function idsOf(entries: string[], batch: readonly SinkEvent[]): (string | undefined)[] {
  return entries.map((text) => batch.find((e) => text.includes(e.id))?.id);
}

function isFailure(result: SendResult): boolean {
  return result.outcome === 'retryable' || result.outcome === 'rejected' || result.outcome === 'partial';
}

/**
 * Runs the contract against a fresh harness per test.
 * @example runSinkContract('file', () => startFileHarness(), { failures: [] });
 */
export function runSinkContract(
  label: string,
  start: () => Promise<SinkHarness>,
  options: ContractOptions,
): void {
  const supports = (mode: FailureMode) => options.failures.includes(mode);
  const acknowledged = options.acknowledged ?? true;

  describe(`sink contract: ${label}`, () => {
    let h: SinkHarness;
    beforeEach(async () => {
      h = await start();
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers a batch and the receiver holds every event once, in order', async () => {
      const batch = contractEvents(5, h.format);
      const result = await h.sink.send(batch, AbortSignal.timeout(10_000));
      expect(result).toEqual({ outcome: 'delivered' });
      const got = await h.received(5);
      expect(idsOf(got, batch)).toEqual(batch.map((e) => e.id));
    });

    it('keeps one event one event when its text holds newlines, delimiters and very long values', async () => {
      const hostile = {
        Subject: `line1\nline2\r\n<13>1 2026-01-01T00:00:00Z forged - - - - CEF:0|x|y|1|2|3|4|a=b\u2028| = \\ \t"]}{`,
        P2Sender: 'evil|=\\@fabrikam.example',
        AttachmentData: [
          { FileName: `a\nb|c=d\te.exe`, FileType: 'exe', FileVerdict: 1, SHA256: 'ab'.repeat(32) },
        ],
        Long: 'x'.repeat(20_000),
      };
      const batch = contractEvents(2, h.format, hostile);
      const result = await h.sink.send(batch, AbortSignal.timeout(10_000));
      expect(result).toEqual({ outcome: 'delivered' });
      const got = await h.received(2);
      expect(got).toHaveLength(2);
      expect(idsOf(got, batch)).toEqual(batch.map((e) => e.id));
    });

    it.skipIf(!supports('unavailable'))('answers retryable while the receiver is unavailable', async () => {
      await h.fail('unavailable');
      const result = await h.sink.send(contractEvents(2, h.format), AbortSignal.timeout(10_000));
      expect(result.outcome).toBe('retryable');
      expect(result.outcome === 'retryable' && result.reason.length > 0).toBe(true);
    });

    it.skipIf(!supports('reset'))('answers retryable when the connection is reset', async () => {
      await h.fail('reset');
      const result = await h.sink.send(contractEvents(2, h.format), AbortSignal.timeout(10_000));
      expect(result.outcome).toBe('retryable');
    });

    it.skipIf(!supports('hang'))(
      'answers retryable when the receiver does not answer before the signal',
      async () => {
        await h.fail('hang');
        const started = Date.now();
        const result = await h.sink.send(contractEvents(2, h.format), AbortSignal.timeout(500));
        expect(result.outcome).toBe('retryable');
        expect(Date.now() - started).toBeLessThan(8_000);
      },
    );

    it.skipIf(!supports('reject'))(
      'answers rejected with the receiver’s reason on a permanent error',
      async () => {
        await h.fail('reject');
        const result = await h.sink.send(contractEvents(1, h.format), AbortSignal.timeout(10_000));
        const reasons =
          result.outcome === 'rejected'
            ? [result.reason]
            : result.outcome === 'partial'
              ? result.results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
              : [];
        expect(reasons.length).toBeGreaterThan(0);
        expect(reasons.every((r) => r.length > 0)).toBe(true);
      },
    );

    it.skipIf(options.failures.length === 0 || !acknowledged)(
      'loses no event across a failure: the same batch sent again after it is delivered whole',
      async () => {
        const batch = contractEvents(4, h.format);
        const mode = options.failures.find((m) => m !== 'reject' && m !== 'hang') ?? 'hang';
        await h.fail(mode);
        const failed = await h.sink.send(batch, AbortSignal.timeout(1_000));
        expect(isFailure(failed)).toBe(true);
        await h.heal();
        const result = await h.sink.send(batch, AbortSignal.timeout(10_000));
        expect(result).toEqual({ outcome: 'delivered' });
        const got = new Set(idsOf(await h.received(4), batch));
        for (const e of batch) expect(got.has(e.id)).toBe(true);
      },
    );

    it('closes cleanly, and closing twice is harmless', async () => {
      await h.sink.send(contractEvents(1, h.format), AbortSignal.timeout(10_000));
      await h.sink.close();
      await expect(h.sink.close()).resolves.toBeUndefined();
    });
  });
}
