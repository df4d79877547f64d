/**
 * Worker thread of the record indexer (see index-pool.ts): receives batches
 * of record texts, answers with their index fields, in order.
 */
import { extractIndex } from '../schema/index.js';
import { serveRequests } from './worker-pool.js';

serveRequests((raws: string[]) => raws.map((raw) => extractIndex(JSON.parse(raw))));
