/**
 * Encoding a stored record for a sink (JSON.parse, the full normalize, the format's encoder) costs several
 * times what reading it from the store and sending it do. An encode pool does it in worker threads beside
 * the delivery drivers, one pool per process shared by every sink that asks for it (`encode_workers`), so
 * that on a machine with cores to spare delivery is no longer bound by one thread. Raw texts go in, payload
 * texts come out: the output is the inline encoder's, byte for byte. When workers cannot start (or die),
 * encoding happens inline: slower, never wrong.
 */
import { availableParallelism } from 'node:os';
import { getFormat, toFormatInput, type Format, type FormatId } from '../formats/index.js';
import { startWorkerPool, type WorkerPool } from './worker-pool.js';

/**
 * Encode threads of a sink without `encode_workers`: one when the machine has a second core, else none.
 * Measured on 2 cores (bench/sink-delivery.ts, receivers on the same machine): one worker delivered
 * 12-20% faster than inline for syslog/CEF, HEC and Elasticsearch; a second was no faster (the main
 * thread, the worker and the receiver already fill both cores) and costs another ~60 MB.
 */
export function defaultEncodeWorkers(cores = availableParallelism()): number {
  return cores > 1 ? 1 : 0;
}

/** The size of a process's shared pool: what the most demanding enabled sink asks for. */
export function encodePoolSize(
  configs: readonly { enabled?: boolean; encodeWorkers?: number | undefined }[],
  cores = availableParallelism(),
): number {
  return Math.max(
    0,
    ...configs.filter((c) => c.enabled !== false).map((c) => c.encodeWorkers ?? defaultEncodeWorkers(cores)),
  );
}

/** One record's encoding: its payload, or why the format could not encode it. */
export type Encoded = { payload: string } | { error: string };

/** What the driver gives the pool: the texts of one batch's records and the sink's format. */
export interface EncodeRequest {
  format: FormatId;
  raws: string[];
}

export interface RecordEncoder {
  /** Each record text encoded in `format`, in the same order. */
  encode(raws: string[], format: FormatId): Promise<Encoded[]>;
  close(): Promise<void>;
}

/** Encodes one stored record text; a failure of the format is an answer, not a throw. */
export function encodeOne(raw: string, format: Format): Encoded {
  try {
    return { payload: format.encode(toFormatInput(raw)) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Encodes in the calling thread.
 * @example const encoder = inlineEncoder(); await encoder.encode([raw], 'cef');
 */
export function inlineEncoder(): RecordEncoder {
  return {
    encode: async (raws, id) => {
      const format = getFormat(id);
      if (!format) throw new TypeError(`unknown format ${id}`);
      return raws.map((raw) => encodeOne(raw, format));
    },
    close: async () => undefined,
  };
}

/**
 * Starts `workers` encode worker threads; falls back to inline encoding when they cannot start. A request
 * whose worker dies is rejected: the driver then encodes that batch inline.
 * @example const encoder = await startEncodePool({ workers: 1 }); … await encoder.close();
 */
export async function startEncodePool(options: {
  workers: number;
  readyMs?: number;
  onFallback?: (err: Error) => void;
}): Promise<RecordEncoder> {
  const inline = inlineEncoder();
  if (options.workers < 1) return inline;
  let pool: WorkerPool<EncodeRequest, Encoded[]>;
  try {
    pool = await startWorkerPool({
      module: 'encode-worker',
      from: import.meta.url,
      workers: options.workers,
      readyMs: options.readyMs ?? 15_000,
      what: 'encoding',
      unref: true,
    });
  } catch (err) {
    options.onFallback?.(err instanceof Error ? err : new Error(String(err)));
    return inline;
  }
  return {
    encode(raws, format) {
      if (raws.length === 0) return inline.encode(raws, format);
      return pool.run({ format, raws }, raws.length) ?? inline.encode(raws, format);
    },
    close: () => pool.close(),
  };
}
