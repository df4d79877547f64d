/**
 * Worker thread of the dashboard's projector (see projection.ts): receives batches of stored records and
 * answers with their report rows, in order, so that normalizing runs beside the main thread's writes.
 */
import { serveRequests } from '../pipeline/worker-pool.js';
import type { StoredRecord } from '../store/types.js';
import { projectRecord } from './projection.js';

serveRequests((records: StoredRecord[]) => records.map(projectRecord));
