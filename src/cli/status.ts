import type { Command } from 'commander';
import type { ContentTypeStatus } from '../store/index.js';
import {
  addStoreOptions,
  formatDuration,
  formatTable,
  openCliStore,
  type StoreCliOptions,
} from './common.js';

interface StatusOptions extends StoreCliOptions {
  json?: boolean;
}

/** One tenant × content type as `status --json` prints it: the store's status plus lag, secrets scrubbed. */
export interface StatusLine extends ContentTypeStatus {
  /** Milliseconds from the newest delivered blob's contentCreated to now; null before the first. */
  lagMs: number | null;
}

/**
 * `atp-siem status`: how far each tenant × content type has got, what was stored, skipped or dropped.
 * Reads the store without writing, so it is safe while `atp-siem run` is collecting.
 */
export function register(program: Command): void {
  addStoreOptions(
    program
      .command('status')
      .description(
        'show collection progress per tenant and content type: cursor, lag, records, drops, last error',
      ),
  )
    .option('--json', 'print JSON for scripts instead of a table')
    .action(async (options: StatusOptions) => {
      const store = await openCliStore(options, { readonly: true });
      try {
        const lines = statusLines(await store.status(), new Date());
        process.stdout.write(options.json ? `${JSON.stringify(lines, null, 2)}\n` : renderStatus(lines));
      } finally {
        await store.close();
      }
    });
}

/** The store's status with lag computed and error texts scrubbed of anything that looks like a secret. */
export function statusLines(statuses: readonly ContentTypeStatus[], now: Date): StatusLine[] {
  return statuses.map((s) => ({
    ...s,
    lastError: s.lastError === null ? null : scrubSecrets(s.lastError),
    lagMs: s.newestContentCreated === null ? null : now.getTime() - Date.parse(s.newestContentCreated),
  }));
}

/** The human table: one block per tenant, one row per content type, then hints. */
export function renderStatus(lines: readonly StatusLine[]): string {
  if (lines.length === 0) return 'The store is empty: nothing has been listed or collected yet.\n';
  const out: string[] = [];
  const tenants = [...new Set(lines.map((l) => l.tenantId))];
  for (const tenant of tenants) {
    const rows = lines
      .filter((l) => l.tenantId === tenant)
      .map((l) => [
        l.contentType,
        l.cursor ?? '-',
        l.lagMs === null ? '-' : formatDuration(l.lagMs),
        String(l.records),
        String(l.invalidRecords),
        String(l.duplicates),
        `${l.blobsDelivered}/${l.blobsPending}`,
        formatDrops(l.blobsDropped),
        l.lastError === null ? '-' : `${l.lastErrorAt ?? ''} ${l.lastError}`.trim(),
      ]);
    out.push(
      `Tenant ${tenant}`,
      formatTable(
        [
          'CONTENT TYPE',
          'CURSOR',
          'LAG',
          'RECORDS',
          'INVALID',
          'DUPLICATES',
          'BLOBS DONE/PENDING',
          'DROPPED',
          'LAST ERROR',
        ],
        rows,
      ),
      '',
    );
  }
  const invalid = lines.reduce((n, l) => n + l.invalidRecords, 0);
  if (invalid > 0) {
    out.push(
      `${invalid} invalid record(s) are stored as received and flagged: \`atp-siem events --type all\` shows them.`,
    );
  }
  const dropped = lines.reduce((n, l) => n + Object.values(l.blobsDropped).reduce((a, b) => a + b, 0), 0);
  if (dropped > 0)
    out.push(`${dropped} blob(s) could not be collected and were dropped (reason shown per row).`);
  return `${out.join('\n').trimEnd()}\n`;
}

function formatDrops(drops: Record<string, number>): string {
  const parts = Object.entries(drops)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason}=${n}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}

/**
 * Errors are recorded by the collector from HTTP failures; should one ever carry a credential
 * (a bearer token, a client secret or assertion in a form body, a signed URL), it is cut out here.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\b(Bearer|Basic|Splunk|ApiKey)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(
      /\b(client_secret|client_assertion|access_token|refresh_token|password|secret|sig|token)=([^&\s"']+)/gi,
      '$1=[redacted]',
    )
    .replace(/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]');
}
