/**
 * Worker thread of the record indexer (see index-pool.ts): receives batches
 * of record texts, answers with their index fields, in order.
 */
import { parentPort } from 'node:worker_threads';
import { extractIndex } from '../schema/index.js';

interface IndexRequest {
  id: number;
  raws: string[];
}

const port = parentPort;
if (port) {
  port.on('message', (message: IndexRequest) => {
    try {
      port.postMessage({ id: message.id, indexes: message.raws.map((raw) => extractIndex(JSON.parse(raw))) });
    } catch (err) {
      port.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ ready: true });
}
