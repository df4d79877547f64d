/**
 * A sink whose SIEM is a list in memory, with a script deciding each answer, for the driver's tests. It runs
 * the shared sink contract (memory-sink.test.ts) like every real sink, so the driver tests lean on a double
 * that keeps the contract.
 */
import type { FormatId } from '../formats/index.js';
import type { FailureMode, SinkHarness } from '../sinks/sink.contract.js';
import type { SendResult, Sink, SinkEvent } from '../sinks/types.js';

export type Script = (batch: readonly SinkEvent[], call: number) => SendResult | Promise<SendResult> | 'hang';

export class MemorySink implements Sink {
  readonly type = 'file' as const;
  readonly received: SinkEvent[] = [];
  readonly batches: number[] = [];
  calls = 0;
  closed = false;
  script: Script | null = null;

  constructor(readonly name = 'memory') {}

  async send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult> {
    this.calls += 1;
    const answer = this.script ? await this.script(batch, this.calls) : ({ outcome: 'delivered' } as const);
    if (answer === 'hang') {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return { outcome: 'retryable', reason: 'timed out' };
    }
    if (signal.aborted) return { outcome: 'retryable', reason: 'aborted' };
    this.batches.push(batch.length);
    if (answer.outcome === 'delivered') this.received.push(...batch);
    if (answer.outcome === 'partial')
      batch.forEach((e, i) => answer.results[i]?.status === 'delivered' && this.received.push(e));
    return answer;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The contract harness of the memory sink: failures are scripted answers. */
export async function memoryHarness(format: FormatId = 'ecs'): Promise<SinkHarness> {
  const sink = new MemorySink();
  const scripts: Record<FailureMode, Script> = {
    unavailable: () => ({ outcome: 'retryable', reason: 'HTTP 503 from the memory SIEM' }),
    reset: () => ({ outcome: 'retryable', reason: 'ECONNRESET' }),
    hang: () => 'hang',
    reject: () => ({ outcome: 'rejected', reason: 'mapping error in the memory SIEM' }),
  };
  return {
    sink,
    format,
    received: async () => sink.received.map((e) => e.payload),
    fail: async (mode) => {
      sink.script = scripts[mode];
    },
    heal: async () => {
      sink.script = null;
    },
    close: () => sink.close(),
  };
}
