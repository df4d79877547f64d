import { Option, type Command } from 'commander';
import { RECORD_TYPE_NAMES, URL_CLICK_ACTIONS } from '../schema/index.js';
import { EVENT_KINDS, type EventQuery, type StoredRecord } from '../store/index.js';
import {
  addStoreOptions,
  formatTable,
  openCliStore,
  parseSince,
  truncate,
  type StoreCliOptions,
} from './common.js';

type EventKind = NonNullable<EventQuery['kind']>;

interface EventsOptions extends StoreCliOptions {
  type: EventKind;
  since?: string;
  limit: string;
  json?: boolean;
  tenant?: string;
}

export const DEFAULT_LIMIT = 50;

/**
 * `atp-siem events`: the newest stored records of a kind, oldest of them first. `--json` prints each
 * record exactly as the API sent it, one per line; the table is for people and escapes whatever an
 * attacker could have put in a subject, a sender name, a file name or a URL.
 */
export function register(program: Command): void {
  addStoreOptions(
    program
      .command('events')
      .description('show stored Defender events (malware, phish, clicks, files, investigations)'),
  )
    .addOption(
      new Option('--type <kind>', 'which events')
        .choices(Object.keys(EVENT_KINDS) as EventKind[])
        .default('all'),
    )
    .option('--since <when>', 'only events created since then: 30m, 24h, 7d or an ISO time')
    .option('--limit <n>', 'at most this many events (the newest)', String(DEFAULT_LIMIT))
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print each record exactly as received, one per line')
    .action(async (options: EventsOptions) => {
      const query = eventQuery(options, new Date());
      const store = await openCliStore(options, { readonly: true });
      try {
        const records = (await store.queryEvents(query)).reverse();
        process.stdout.write(
          options.json ? records.map((r) => `${r.raw}\n`).join('') : renderEvents(records),
        );
      } finally {
        await store.close();
      }
    });
}

/** The store query for the command line, with every option checked before the store is opened. */
export function eventQuery(options: EventsOptions, now: Date): EventQuery {
  const limit = Number(options.limit);
  if (!/^\d+$/.test(options.limit.trim()) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(
      `--limit ${JSON.stringify(options.limit)} is not a count: give a whole number of 1 or more`,
    );
  }
  return {
    kind: options.type,
    limit,
    ...(options.since === undefined ? {} : { since: parseSince(options.since, now) }),
    ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
  };
}

/** The readable table of records; every cell is made terminal-safe by formatTable. */
export function renderEvents(records: readonly StoredRecord[]): string {
  if (records.length === 0) return 'No stored events match.\n';
  const rows = records.map((record) => {
    const view = describe(record);
    const ix = record.index;
    return [
      (ix.creationTime ?? '').replace('T', ' ').replace(/\.\d{3}Z$/, ''),
      ix.recordType === null
        ? '?'
        : (TYPE_LABELS[ix.recordType] ?? RECORD_TYPE_NAMES[ix.recordType] ?? `type ${ix.recordType}`),
      truncate(view.outcome, 28),
      truncate(view.who, 36),
      truncate(view.what, 60),
      record.id.slice(0, 8) +
        (ix.invalidReason === null ? '' : ` INVALID: ${truncate(ix.invalidReason, 60)}`),
    ];
  });
  return `${formatTable(['TIME (UTC)', 'TYPE', 'VERDICT / ACTION', 'SENDER / USER', 'SUBJECT / URL / FILE', 'ID'], rows)}\n`;
}

const TYPE_LABELS: Record<number, string> = { 28: 'mail', 41: 'url-click', 47: 'file', 64: 'investigation' };

interface EventView {
  outcome: string;
  who: string;
  what: string;
}

/** What a person wants to see of a record, read from its index and, for subject and names, its raw text. */
function describe(record: StoredRecord): EventView {
  const ix = record.index;
  const wire = parseObject(record.raw);
  const text = (key: string): string | undefined => {
    const value = wire[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
  const join = (...parts: (string | null | undefined)[]): string => parts.filter((p) => p).join(' / ');
  switch (ix.recordType) {
    case 28: {
      const attachments = Array.isArray(wire.AttachmentData) ? wire.AttachmentData : [];
      const names = attachments.map((a) => (isObject(a) && typeof a.FileName === 'string' ? a.FileName : ''));
      return {
        outcome: join(ix.verdict, ix.deliveryAction),
        who: ix.sender ?? text('P2Sender') ?? '',
        what: join(text('Subject'), names.filter((n) => n).join(', ')),
      };
    }
    case 41: {
      const action = wire.UrlClickAction ?? wire.URLClickAction ?? wire.urlClickAction;
      const clicked =
        typeof action === 'number' ? (URL_CLICK_ACTIONS[action] ?? String(action)) : String(action ?? '');
      return {
        outcome: ix.deliveryAction ?? clicked,
        who: ix.userId ?? '',
        what: ix.url ?? text('Url') ?? '',
      };
    }
    case 47: {
      const file = isObject(wire.FileData) ? wire.FileData : {};
      const name = typeof file.FileName === 'string' ? file.FileName : undefined;
      const family = typeof file.MalwareFamily === 'string' ? file.MalwareFamily : undefined;
      return {
        outcome: ix.verdict ?? family ?? 'malicious file',
        who: ix.userId ?? '',
        what: name ?? ix.sha256 ?? '',
      };
    }
    case 64:
      return {
        outcome: ix.investigationStatus ?? text('Status') ?? '',
        who: text('InvestigationType') ?? '',
        what: text('InvestigationName') ?? '',
      };
    default:
      return {
        outcome: join(ix.operation, text('ResultStatus')),
        who: ix.userId ?? '',
        what: text('ObjectId') ?? '',
      };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseObject(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}
