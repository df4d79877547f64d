/**
 * The sink contract (docs/SINKS.md). A sink encodes and transmits one batch and says what became of each
 * event; it never retries, sleeps, counts or moves an offset: the delivery driver (src/pipeline/delivery.ts)
 * does all of that, the same way for every sink.
 */
import type { z } from 'zod';
import type { FormatId } from '../formats/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { CommonSinkConfig } from './config.js';

/** Sink types, one file (or folder) each under src/sinks/. */
export const SINK_TYPES = [
  'syslog',
  'splunk-hec',
  'elasticsearch',
  'opensearch',
  'sentinel',
  'file',
  'webhook',
] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** One stored record on its way to a SIEM, already encoded in the sink's format. */
export interface SinkEvent {
  /** Store offset (`StoredRecord.offset`): unique, increasing. */
  offset: number;
  tenantId: string;
  /** The record's `Id` (unique within a tenant). */
  id: string;
  recordType: number | null;
  /** ISO-8601 UTC, or null when the record has none. */
  creationTime: string | null;
  /** The record exactly as received. */
  raw: string;
  /** `format.encode(...)` of the record: one line, no trailing newline. */
  payload: string;
  /** The sink's format id (the sink may frame JSON and text payloads differently). */
  format: FormatId;
}

/** What became of one event of a batch. */
export type EventResult =
  | { status: 'delivered' }
  /** Not delivered this time (the SIEM was busy for this item, or stopped before it); send it again. */
  | { status: 'retry'; reason: string }
  /** The SIEM refused this event for good (mapping error, too large, ...): it goes to the dead-letter table. */
  | { status: 'rejected'; reason: string };

/**
 * The answer to `send(batch)`.
 *
 * - `delivered`: the SIEM acknowledged every event.
 * - `retryable`: nothing of the batch can be counted as delivered; send the same batch again later. `blocked`
 *   marks failures that need an operator (a bad token, a missing index permission): the driver keeps the data,
 *   backs off longer and reports the stream as blocked instead of merely retrying.
 * - `rejected`: the SIEM refused the whole request as data (a 400 without per-event detail); the driver
 *   splits the batch to find the events at fault, so one bad event never dead-letters its neighbours.
 * - `partial`: one result per event, in batch order.
 */
export type SendResult =
  | { outcome: 'delivered' }
  | { outcome: 'retryable'; reason: string; retryAfterMs?: number; blocked?: boolean }
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'partial'; results: EventResult[]; retryAfterMs?: number };

/** What every sink gets besides its configuration. */
export interface SinkContext {
  logger: Logger;
  /** Folder of the store (file sinks resolve relative paths against the config file, not this). */
  dataDir?: string;
  /** Folder of the configuration file, for relative paths (CA files, output files). */
  baseDir: string;
}

/**
 * A running sink.
 * @example const result = await sink.send(events, AbortSignal.timeout(30_000));
 */
export interface Sink {
  readonly name: string;
  readonly type: SinkType;
  /**
   * Encodes and transmits one batch (non-empty, in offset order). Never throws for a SIEM's answer or a
   * network failure: those are results. The signal aborts a send that takes too long (then: retryable).
   */
  send(batch: readonly SinkEvent[], signal: AbortSignal): Promise<SendResult>;
  /** Connects and authenticates without sending data; throws a ConnectorError that says what to fix. */
  healthcheck?(signal: AbortSignal): Promise<void>;
  /** Releases connections and files; pending writes are finished first. */
  close(): Promise<void>;
}

/**
 * A sink type: its configuration schema (type-specific keys on top of the common ones) and its factory.
 * @example export const fileSink: SinkDefinition<FileSinkConfig> = { type: 'file', defaultFormat: 'ecs', configSchema, create };
 */
export interface SinkDefinition<C extends CommonSinkConfig = CommonSinkConfig> {
  type: SinkType;
  /** The format used when the configuration sets none. */
  defaultFormat: FormatId;
  /** Formats this sink can carry (all when absent). */
  formats?: readonly FormatId[];
  /** Validates one `sinks:` entry (common keys included, see `commonSinkShape`). */
  configSchema: z.ZodType<C>;
  create(config: C, ctx: SinkContext): Sink | Promise<Sink>;
  /** `atp-siem sinks setup NAME`: installs what the SIEM needs (index templates, ...); returns what it did. */
  setup?(config: C, ctx: SinkContext, signal: AbortSignal): Promise<string[]>;
}
