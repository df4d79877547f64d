/**
 * Worker thread of the encode pool (see encode-pool.ts): receives batches of stored record texts and a
 * format id, answers with each record's payload (or why it could not be encoded), in order.
 */
import { getFormat } from '../formats/index.js';
import { encodeOne, type EncodeRequest } from './encode-pool.js';
import { serveRequests } from './worker-pool.js';

serveRequests((request: EncodeRequest) => {
  const format = getFormat(request.format);
  if (!format) throw new TypeError(`unknown format ${request.format}`);
  return request.raws.map((raw) => encodeOne(raw, format));
});
