/**
 * `--replay FILE.ndjson`: publishes the records of an export (one JSON record
 * per line) as content blobs. The file is streamed line by line and each
 * record is kept as its original bytes, so a 200 MB all-in-one blob costs
 * about 200 MB. Bad lines are reported and skipped; nothing else is lost.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { contentTypeOfRecordType } from '../generator/index.js';
import type { ContentType } from '../content-types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { BlobRecordMeta } from './blob-store.js';
import { metaOf, type Publisher } from './publisher.js';

export interface ReplayResult {
  records: number;
  blobs: number;
  badLines: number;
}

export async function replayFile(options: {
  path: string;
  publisher: Publisher;
  /** Tenants served; a record goes to the one named by its OrganizationId, else the first. */
  tenantIds: readonly string[];
  /** Records per blob; 0 puts every record of a tenant and content type in one blob. */
  recordsPerBlob: number;
  log: Logger;
}): Promise<ReplayResult> {
  const { publisher, log } = options;
  const result: ReplayResult = { records: 0, blobs: 0, badLines: 0 };
  const open = new Map<
    string,
    { tenantId: string; ct: ContentType; records: Buffer[]; meta: BlobRecordMeta[] }
  >();
  const flush = (key: string): void => {
    const pending = open.get(key);
    if (!pending || pending.records.length === 0) return;
    open.delete(key);
    publisher.publish({
      tenantId: pending.tenantId,
      contentType: pending.ct,
      records: pending.records,
      meta: pending.meta,
    });
    result.blobs++;
  };
  const tenants = new Map(options.tenantIds.map((t) => [t.toLowerCase(), t]));
  const input = createReadStream(options.path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (!line) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      result.badLines++;
      log.warn(
        { file: options.path, line: lineNo, err: (err as Error).message },
        'Replay line is not JSON; skipped.',
      );
      continue;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      result.badLines++;
      log.warn({ file: options.path, line: lineNo }, 'Replay line is not a JSON object; skipped.');
      continue;
    }
    const meta = metaOf(record as Record<string, unknown>);
    if (meta.recordType === null) {
      result.badLines++;
      log.warn({ file: options.path, line: lineNo }, 'Replay record has no numeric RecordType; skipped.');
      continue;
    }
    const org = (record as Record<string, unknown>).OrganizationId;
    const tenantId = (typeof org === 'string' && tenants.get(org.toLowerCase())) || options.tenantIds[0]!;
    const ct = contentTypeOfRecordType(meta.recordType);
    const key = `${tenantId}|${ct}`;
    let pending = open.get(key);
    if (!pending) open.set(key, (pending = { tenantId, ct, records: [], meta: [] }));
    pending.records.push(Buffer.from(line));
    pending.meta.push(meta);
    result.records++;
    if (options.recordsPerBlob > 0 && pending.records.length >= options.recordsPerBlob) flush(key);
  }
  for (const key of [...open.keys()]) flush(key);
  log.info({ file: options.path, ...result }, 'Replay file published.');
  return result;
}
