/**
 * `atp-siem sinks ...`: the delivery side seen and worked by an operator.
 * - `status`: per sink offset, lag, counts, breaker state, last error (reads the store; safe while `run` runs);
 * - `test NAME`: connect, authenticate, send one marked test event, and explain a failure with its fix;
 * - `replay NAME --since 24h | --from-offset N`: deliver a range again (the live offset is left alone);
 * - `dead-letter NAME [--retry]`: list the events the SIEM refused, or send them again;
 * - `setup NAME`: install what the SIEM needs (an Elasticsearch index template, ...).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { getFormat } from '../formats/index.js';
import { BatchSender, encodeRecords, GiveUp } from '../pipeline/delivery.js';
import { recordFilter } from '../pipeline/filter.js';
import { createSink } from '../pipeline/sinks.js';
import { getSinkDefinition, type SinkConfig, type SinkContext } from '../sinks/index.js';
import type { SendResult, SinkEvent } from '../sinks/types.js';
import { extractIndex } from '../schema/index.js';
import type { SinkStatus, Store, StoredRecord } from '../store/index.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { formatDuration, formatTable, openCliStore, parseSince, resolveDataDir, truncate } from './common.js';
import { scrubSecrets } from './status.js';

/** A record outside the store (the test event, a dead letter) as the driver's encoder takes it. */
function asStored(r: {
  offset: number;
  tenantId: string;
  id: string;
  raw: string;
  storedAt: string;
}): StoredRecord {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(r.raw);
  } catch {
    // Not JSON: indexed as an invalid record; the format still encodes it.
  }
  return { ...r, contentType: 'Audit.General', contentId: '', index: extractIndex(parsed) };
}

/**
 * A command waits for its answer, so replays and re-sends try 5 times over a few seconds (the driver's own
 * policy, for the tail, never gives up) and then say what to fix.
 */
const ONE_SHOT_RETRY = { maxAttempts: Infinity, baseDelayMs: 500, maxDelayMs: 5_000 };
const ONE_SHOT_ATTEMPTS = 5;

interface SinkCliOptions {
  config?: string;
  data?: string;
  json?: boolean;
}

/** The sink named NAME in the configuration, with what a sink needs around it. */
async function configuredSink(
  options: SinkCliOptions,
  name: string,
): Promise<{ config: Config; sink: SinkConfig; ctx: SinkContext; logger: Logger }> {
  if (options.config === undefined) throw new Error('give the configuration file with --config FILE');
  const config = await loadConfig(options.config);
  const sink = config.sinks.find((s) => s.name === name);
  if (!sink) {
    const known = config.sinks.map((s) => s.name).join(', ') || 'none';
    throw new Error(`no sink named ${JSON.stringify(name)} in ${config.configPath} (sinks: ${known})`);
  }
  const logger = createLogger({ level: process.env.ATP_SIEM_LOG_LEVEL ?? 'warn', name: 'atp-siem' });
  return { config, sink, ctx: { logger, baseDir: path.dirname(config.configPath) }, logger };
}

/**
 * What to do about a failed test send, from the reason's wording (network codes, statuses, TLS errors).
 * @example explainFailure('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8088') // 'Nothing listens at …'
 */
export function explainFailure(reason: string): string {
  if (/ECONNREFUSED/.test(reason))
    return 'Nothing listens at the configured address: check url/host and port, and that the SIEM is running.';
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return 'The host name does not resolve: check the url.';
  if (/timed out|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT/.test(reason))
    return 'No answer in time: check the address, a firewall between here and the SIEM, or raise timeout.';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|altnames|certificate/i.test(reason))
    return "The SIEM's certificate is not trusted: set tls.ca_file to its CA (or tls.server_name to the name on it).";
  if (
    /HTTP 401|HTTP 403|Invalid token|Token disabled|security_exception|credential|InvalidAudience/i.test(
      reason,
    )
  )
    return "The SIEM refused the credential: check the sink's token / API key / client secret and its permissions.";
  if (/HTTP 404/.test(reason))
    return 'The path does not exist on the SIEM: check the url (and index, DCR id or stream).';
  if (/HTTP 413|too large/i.test(reason))
    return 'The request is too large for the SIEM: lower batch.max_bytes.';
  if (/ECONNRESET|EPIPE|socket/i.test(reason))
    return 'The connection was cut: check that the port speaks the protocol configured (TLS or plain).';
  return 'See the reason above; `atp-siem doctor` checks the whole configuration.';
}

function describeResult(result: SendResult): { ok: boolean; reason: string } {
  switch (result.outcome) {
    case 'delivered':
      return { ok: true, reason: 'delivered' };
    case 'retryable':
      return { ok: false, reason: result.reason };
    case 'rejected':
      return { ok: false, reason: result.reason };
    case 'partial': {
      for (const r of result.results) if (r.status !== 'delivered') return { ok: false, reason: r.reason };
      return { ok: true, reason: 'delivered' };
    }
    default: {
      const never: never = result;
      return { ok: false, reason: String(never) };
    }
  }
}

/** The marked test event: a ThreatIntelligence-shaped record whose Operation says it is a test. */
export function testRecord(now: Date): { id: string; raw: string } {
  const id = `atp-siem-test-${randomUUID()}`;
  const raw = JSON.stringify({
    CreationTime: now.toISOString().slice(0, 19),
    Id: id,
    Operation: 'AtpSiemSinkTest',
    OrganizationId: '00000000-0000-0000-0000-000000000000',
    RecordType: 28,
    UserKey: 'atp-siem',
    UserType: 4,
    Version: 1,
    Workload: 'ThreatIntelligence',
    UserId: 'atp-siem',
    Subject: 'atp-siem sink test event: safe to delete',
    Verdict: 'Phish',
  });
  return { id, raw };
}

async function sinkTest(name: string, options: SinkCliOptions): Promise<void> {
  const { sink: config, ctx } = await configuredSink(options, name);
  const sink = await createSink(config, ctx);
  const out = process.stdout;
  try {
    if (sink.healthcheck) {
      try {
        await sink.healthcheck(AbortSignal.timeout(config.timeoutMs));
        out.write(`${name}: connected and authenticated.\n`);
      } catch (err) {
        const reason = scrubSecrets(err instanceof Error ? err.message : String(err));
        out.write(`${name}: check failed: ${reason}\n  fix: ${explainFailure(reason)}\n`);
        process.exitCode = 1;
        return;
      }
    }
    const format = getFormat(config.format);
    if (!format) throw new Error(`unknown format ${config.format}`);
    const record = testRecord(new Date());
    const { events } = encodeRecords(
      [
        asStored({
          offset: 0,
          tenantId: '00000000-0000-0000-0000-000000000000',
          id: record.id,
          raw: record.raw,
          storedAt: new Date().toISOString(),
        }),
      ],
      format,
    );
    const result = describeResult(await sink.send(events, AbortSignal.timeout(config.timeoutMs)));
    if (result.ok) {
      out.write(
        `${name}: sent test event ${record.id} (Operation AtpSiemSinkTest) as ${config.format}: delivered.\n`,
      );
    } else {
      const reason = scrubSecrets(result.reason);
      out.write(`${name}: test event not delivered: ${reason}\n  fix: ${explainFailure(reason)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await sink.close();
  }
}

/** One row per sink: the store's view, for the table and --json. */
export function renderSinkStatus(
  rows: readonly (SinkStatus & { type?: string; enabled?: boolean })[],
): string {
  if (rows.length === 0) return 'No sinks: add a sinks: list to the configuration (docs/SINKS.md).\n';
  const table = formatTable(
    [
      'sink',
      'type',
      'state',
      'offset',
      'lag',
      'lag age',
      'delivered',
      'retried',
      'dead letters',
      'cap drops',
      'last error',
    ],
    rows.map((r) => [
      r.sink,
      r.type ?? '?',
      r.enabled === false ? 'disabled' : r.state,
      String(r.offset),
      String(r.lagEvents),
      formatDuration(r.lagSeconds * 1000),
      String(r.delivered),
      String(r.retried),
      `${r.deadLetterOpen}/${r.deadLettered}`,
      String(r.droppedByRetention),
      r.lastError === null ? '' : truncate(scrubSecrets(r.lastError), 80),
    ]),
  );
  const hints: string[] = [];
  if (rows.some((r) => r.deadLetterOpen > 0))
    hints.push('dead letters: atp-siem sinks dead-letter NAME [--retry]');
  if (rows.some((r) => r.state === 'blocked'))
    hints.push('blocked: the SIEM refused the credential or permission; fix it, delivery resumes by itself');
  return `${table}\n${hints.map((h) => `  ${h}\n`).join('')}`;
}

async function sinkStatus(options: SinkCliOptions): Promise<void> {
  let configured: SinkConfig[] | undefined;
  if (options.config !== undefined) configured = (await loadConfig(options.config)).sinks;
  const store = await openCliStore(options, { readonly: true });
  try {
    const names = configured?.map((s) => s.name);
    const rows = (await store.sinkStatus(new Date().toISOString(), names)).map((s) => {
      const c = configured?.find((x) => x.name === s.sink);
      return {
        ...s,
        lastError: s.lastError === null ? null : scrubSecrets(s.lastError),
        type: c?.type,
        enabled: c?.enabled,
      };
    });
    process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : renderSinkStatus(rows));
  } finally {
    await store.close();
  }
}

interface ReplayOptions extends SinkCliOptions {
  since?: string;
  fromOffset?: string;
  toOffset?: string;
}

/**
 * Sends the records of a range through the sink again, with the driver's retries (bounded here), its
 * filter and format; refused events are dead-lettered as in live delivery. The sink's own offset is left as
 * it is: the live tail goes on where it was.
 */
async function sinkReplay(name: string, options: ReplayOptions): Promise<void> {
  const { sink: config, ctx, logger } = await configuredSink(options, name);
  if ((options.since === undefined) === (options.fromOffset === undefined))
    throw new Error('give the range with --since DURATION|TIME or with --from-offset N (one of them)');
  const store = await openCliStore(
    { ...options, data: options.data ?? (await resolveDataDir(options)) },
    { readonly: false },
  );
  const sink = await createSink(config, ctx);
  const out = process.stdout;
  try {
    // A sink replayed before its first run starts where start_at says: the replay must not create its
    // offset at 0, which would make the first run send the whole retained history.
    await store.initSinkOffset(name, config.startAt);
    let from =
      options.fromOffset !== undefined
        ? wholeNumber(options.fromOffset, '--from-offset')
        : await store.offsetBefore(parseSince(options.since ?? '', new Date()));
    const to =
      options.toOffset !== undefined
        ? wholeNumber(options.toOffset, '--to-offset')
        : await store.lastOffset();
    const sender = new BatchSender(
      { store, sink, config, logger, policy: ONE_SHOT_RETRY, recordState: false },
      ONE_SHOT_ATTEMPTS,
    );
    const keep = recordFilter(config.filter);
    const format = getFormat(config.format);
    if (!format) throw new Error(`unknown format ${config.format}`);
    let delivered = 0;
    let rejected = 0;
    out.write(`${name}: replaying offsets ${from + 1}..${to}\n`);
    while (from < to) {
      const page = (await store.readFrom(from, config.batch.maxEvents)).filter((r) => r.offset <= to);
      if (page.length === 0) break;
      const { events, failed } = encodeRecords(page.filter(keep), format);
      const result = await sender.deliver(events);
      const deadLetters = [
        ...failed,
        ...result.rejected.map(({ event, reason }) => ({
          offset: event.offset,
          tenantId: event.tenantId,
          recordId: event.id,
          raw: event.raw,
          reason,
        })),
      ];
      // Offset 0 never moves the live offset (it only moves forward): counts and dead letters are recorded.
      await store.commitSinkProgress(name, {
        offset: 0,
        delivered: result.delivered.length,
        filtered: 0,
        deadLetters,
      });
      delivered += result.delivered.length;
      rejected += deadLetters.length;
      from = page[page.length - 1]?.offset ?? to;
    }
    out.write(`${name}: replay done: ${delivered} delivered, ${rejected} dead-lettered.\n`);
  } catch (err) {
    reportGiveUp(name, 'replay stopped', err);
  } finally {
    await sink.close();
    await store.close();
  }
}

/** A bounded re-send that gave up: say why and how to fix it, and fail the command; anything else is thrown on. */
function reportGiveUp(name: string, what: string, err: unknown): void {
  if (!(err instanceof GiveUp)) throw err;
  const reason = scrubSecrets(err.message);
  process.stdout.write(
    `${name}: ${what}, the SIEM keeps failing: ${reason}\n  fix: ${explainFailure(reason)}\n`,
  );
  process.exitCode = 1;
}

function wholeNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: a whole number, 0 or more`);
  return n;
}

interface DeadLetterOptions extends SinkCliOptions {
  retry?: boolean;
  limit?: string;
}

async function sinkDeadLetter(name: string, options: DeadLetterOptions): Promise<void> {
  const limit = options.limit === undefined ? 100 : wholeNumber(options.limit, '--limit');
  const out = process.stdout;
  if (!options.retry) {
    const store = await openCliStore(options, { readonly: true });
    try {
      const letters = await store.deadLetters(name, limit);
      if (options.json) {
        out.write(`${JSON.stringify(letters, null, 2)}\n`);
        return;
      }
      if (letters.length === 0) {
        out.write(`${name}: no dead letters.\n`);
        return;
      }
      out.write(
        `${formatTable(
          ['id', 'offset', 'record id', 'attempts', 'at', 'reason'],
          letters.map((d) => [
            String(d.id),
            String(d.offset),
            d.recordId,
            String(d.attempts),
            d.at,
            truncate(scrubSecrets(d.reason), 100),
          ]),
        )}\n  send them again: atp-siem sinks dead-letter ${name} --retry --config FILE\n`,
      );
    } finally {
      await store.close();
    }
    return;
  }
  const { sink: config, ctx, logger } = await configuredSink(options, name);
  const store: Store = await openCliStore(options, { readonly: false });
  const sink = await createSink(config, ctx);
  try {
    const format = getFormat(config.format);
    if (!format) throw new Error(`unknown format ${config.format}`);
    const sender = new BatchSender(
      { store, sink, config, logger, policy: ONE_SHOT_RETRY, recordState: false },
      ONE_SHOT_ATTEMPTS,
    );
    let afterId = 0;
    let delivered = 0;
    let again = 0;
    for (;;) {
      const left = limit - delivered - again;
      if (left <= 0) break;
      const letters = await store.deadLetters(name, Math.min(left, config.batch.maxEvents), afterId);
      if (letters.length === 0) break;
      afterId = letters[letters.length - 1]?.id ?? afterId;
      // Each event maps back to its own dead-letter row by the event itself, so a row is never resolved for
      // another one's result.
      const letterOf = new Map<SinkEvent, number>();
      const events: SinkEvent[] = [];
      for (const d of letters) {
        const { events: one } = encodeRecords(
          [asStored({ offset: d.offset, tenantId: d.tenantId, id: d.recordId, raw: d.raw, storedAt: d.at })],
          format,
        );
        for (const e of one) {
          letterOf.set(e, d.id);
          events.push(e);
        }
      }
      const result = await sender.deliver(events);
      await store.resolveDeadLetters(
        name,
        result.delivered.map((e) => letterOf.get(e) ?? -1),
        result.rejected.map(({ event, reason }) => ({ id: letterOf.get(event) ?? -1, reason })),
      );
      delivered += result.delivered.length;
      again += result.rejected.length;
      if (letters.length < Math.min(left, config.batch.maxEvents)) break;
    }
    out.write(
      `${name}: ${delivered} dead letters delivered, ${again} refused again (kept, with the new reason).\n`,
    );
  } catch (err) {
    reportGiveUp(name, 'stopped', err);
  } finally {
    await sink.close();
    await store.close();
  }
}

async function sinkSetup(name: string, options: SinkCliOptions): Promise<void> {
  const { sink: config, ctx } = await configuredSink(options, name);
  const def = getSinkDefinition(config.type);
  if (!def?.setup) {
    process.stdout.write(`${name}: a ${config.type} sink needs nothing set up.\n`);
    return;
  }
  const lines = await def.setup(config, ctx, AbortSignal.timeout(Math.max(config.timeoutMs, 30_000)));
  for (const line of lines) process.stdout.write(`${name}: ${line}\n`);
}

export function register(program: Command): void {
  const sinks = program.command('sinks').description('see and work the delivery to SIEMs');
  const storeOptions = (c: Command) =>
    c
      .option('--config <file>', 'configuration file (YAML)')
      .option('--data <dir>', "data folder holding the store (default: the config's data_dir, else ./data)");

  storeOptions(
    sinks
      .command('status')
      .description('per sink: offset, lag, delivered, retried, dead letters, state, last error'),
  )
    .option('--json', 'print JSON for scripts instead of a table')
    .action((options: SinkCliOptions) => sinkStatus(options));

  storeOptions(
    sinks
      .command('test <name>')
      .description('connect, authenticate and send one marked test event; explain a failure'),
  ).action((name: string, options: SinkCliOptions) => sinkTest(name, options));

  storeOptions(
    sinks
      .command('replay <name>')
      .description('deliver a range of stored records again (the live offset stays)'),
  )
    .option('--since <when>', 'records stored since a duration back (24h, 7d) or an ISO time')
    .option('--from-offset <n>', 'records after this store offset')
    .option('--to-offset <n>', 'up to this offset (default: the newest)')
    .action((name: string, options: ReplayOptions) => sinkReplay(name, options));

  storeOptions(
    sinks
      .command('dead-letter <name>')
      .description('list the events the SIEM refused, or send them again with --retry'),
  )
    .option('--retry', 'send them again; delivered ones leave the table')
    .option('--limit <n>', 'how many to list or send (default 100)')
    .option('--json', 'print JSON')
    .action((name: string, options: DeadLetterOptions) => sinkDeadLetter(name, options));

  storeOptions(
    sinks
      .command('setup <name>')
      .description('install what the SIEM needs for this sink (index template, ...)'),
  ).action((name: string, options: SinkCliOptions) => sinkSetup(name, options));
}
