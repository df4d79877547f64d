/**
 * Shows how collection is going: on a terminal (stderr is a TTY) a table
 * redrawn in place, one line per tenant × content type with windows done /
 * planned, records, rate and blobs pending; otherwise a plain log line now
 * and then. Quiet once everything is caught up.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { StreamSnapshot } from './collector.js';

export interface ProgressOptions {
  snapshot: () => StreamSnapshot[];
  logger: Logger;
  /** Where the table goes; a TTY gets the live table, anything else log lines. */
  out?: NodeJS.WriteStream;
  intervalMs?: number;
}

export interface ProgressDisplay {
  stop(): void;
}

const fmt = new Intl.NumberFormat('en-US');

function caughtUp(rows: StreamSnapshot[]): boolean {
  return rows.every((r) => r.windowsTotal > 0 && r.windowsDone >= r.windowsTotal && r.blobsPending === 0);
}

/** One line of the table; exported for tests. */
export function progressLine(row: StreamSnapshot, ratePerS: number, nameWidth: number): string {
  const name = (row.tenantName ?? row.tenantId).slice(0, nameWidth).padEnd(nameWidth);
  const windows = `${row.windowsDone}/${row.windowsTotal}`.padStart(7);
  const state = row.lastError ? `  ! ${row.lastError.slice(0, 60)}` : '';
  return (
    `${name}  ${row.contentType.padEnd(26)} windows ${windows}  records ${fmt.format(row.records).padStart(11)}` +
    `  ${fmt.format(Math.round(ratePerS)).padStart(7)}/s  pending ${fmt.format(row.blobsPending).padStart(6)}${state}`
  );
}

/**
 * Starts the display; stop() ends it (with a final table on a terminal).
 * @example const p = startProgress({ snapshot: () => collector.snapshot(), logger }); … p.stop();
 */
export function startProgress(options: ProgressOptions): ProgressDisplay {
  const out = options.out ?? process.stderr;
  const tty = out.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 500 : 10_000);
  const last = new Map<string, { records: number; at: number }>();
  const rates = new Map<string, number>();
  let drawn = 0;
  let done = false;

  function measure(rows: StreamSnapshot[]): void {
    const now = Date.now();
    for (const r of rows) {
      const key = `${r.tenantId}/${r.contentType}`;
      const prev = last.get(key);
      if (prev && now > prev.at) {
        const rate = ((r.records - prev.records) * 1000) / (now - prev.at);
        // Smoothed so the figure is readable while it redraws twice a second.
        rates.set(key, 0.7 * (rates.get(key) ?? rate) + 0.3 * rate);
      }
      last.set(key, { records: r.records, at: now });
    }
  }

  function draw(final = false): void {
    const rows = options.snapshot();
    measure(rows);
    const nameWidth = Math.min(24, Math.max(6, ...rows.map((r) => (r.tenantName ?? r.tenantId).length)));
    const lines = rows.map((r) =>
      progressLine(r, rates.get(`${r.tenantId}/${r.contentType}`) ?? 0, nameWidth),
    );
    const complete = caughtUp(rows);
    if (tty) {
      const header = complete
        ? 'Caught up; collecting new content as it appears.'
        : 'Back-filling the last 7 days…';
      const text = [header, ...lines].map((l) => `\x1b[2K${l}`).join('\n');
      out.write(`${drawn > 0 ? `\x1b[${drawn}A\r` : ''}${text}\n`);
      drawn = lines.length + 1;
    } else if (!done || final) {
      const total = rows.reduce((n, r) => n + r.records, 0);
      const pending = rows.reduce((n, r) => n + r.blobsPending, 0);
      const windows = rows.reduce((n, r) => n + r.windowsDone, 0);
      const planned = rows.reduce((n, r) => n + r.windowsTotal, 0);
      options.logger.info(
        { records: total, pending, windows, planned },
        complete ? 'Caught up.' : 'Back-filling.',
      );
    }
    if (complete && !done) {
      done = true;
      if (tty) drawn = 0; // keep the final table on screen; later output goes below it
    }
  }

  const timer = setInterval(() => {
    if (!done) draw();
  }, interval);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (!done) draw(true);
    },
  };
}
