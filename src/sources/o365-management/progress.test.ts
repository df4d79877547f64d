import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../telemetry/logger.js';
import type { StreamSnapshot } from './collector.js';
import { progressLine, startProgress } from './progress.js';

function row(over: Partial<StreamSnapshot> = {}): StreamSnapshot {
  return {
    tenantId: '33333333-3333-3333-3333-333333333333',
    tenantName: 'contoso',
    contentType: 'Audit.General',
    cursor: null,
    windowsDone: 3,
    windowsTotal: 7,
    records: 12_345,
    duplicates: 0,
    invalid: 0,
    blobsPending: 4,
    blobsDelivered: 10,
    blobsDropped: 0,
    newestContentCreated: null,
    lastError: null,
    lastErrorAt: null,
    lastSuccessAt: null,
    blobFailuresInARow: 0,
    lastBlobError: null,
    lastBlobErrorAt: null,
    ...over,
  };
}

describe('progress display', () => {
  it('shows windows done of planned, records, rate and pending blobs per tenant and content type', () => {
    const line = progressLine(row(), 250.4, 8);
    expect(line).toMatch(
      /^contoso\s+Audit\.General\s+windows\s+3\/7\s+records\s+12,345\s+250\/s\s+pending\s+4$/,
    );
    expect(progressLine(row({ lastError: 'listing: API_THROTTLED' }), 0, 8)).toContain(
      '! listing: API_THROTTLED',
    );
  });

  it('redraws a table in place on a terminal and stops redrawing once caught up', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    let text = '';
    (out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    let rows = [row()];
    const display = startProgress({
      snapshot: () => rows,
      logger: createLogger({ level: 'silent' }),
      out,
      intervalMs: 5,
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(text).toContain('Back-filling the last 7 days');
    expect(text).toContain('\x1b[2A');
    rows = [row({ windowsDone: 7, blobsPending: 0 })];
    await new Promise((r) => setTimeout(r, 30));
    expect(text).toContain('Caught up');
    const length = text.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(text.length).toBe(length);
    display.stop();
  });
});
