/**
 * Worker thread of the encode pool (see encode-pool.ts): receives batches of stored record texts and a
 * format id, answers with each record's payload (or why it could not be encoded), in order.
 */
import { parentPort } from 'node:worker_threads';
import { getFormat } from '../formats/index.js';
import { encodeOne, type EncodeRequest } from './encode-pool.js';

const port = parentPort;
if (port) {
  port.on('message', (message: EncodeRequest) => {
    const format = getFormat(message.format);
    if (!format) {
      port.postMessage({ id: message.id, error: `unknown format ${message.format}` });
      return;
    }
    port.postMessage({ id: message.id, encoded: message.raws.map((raw) => encodeOne(raw, format)) });
  });
  port.postMessage({ ready: true });
}
