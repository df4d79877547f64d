import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreNotFoundError } from './errors.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';
import type { DashboardStore } from './dashboard.js';
import { SqliteDashboardStore } from './sqlite/dashboard-store.js';

export type * from './types.js';
export type * from './dashboard.js';
export { TOTAL_CAP, HOURLY_DIMS, TOP_DIMS } from './dashboard.js';
export { StoreNotFoundError, StoreVersionError } from './errors.js';
export { DEDUPE_KEEP_DAYS } from './sqlite/sqlite-store.js';
export { EVENT_KINDS } from './sqlite/rows.js';

/** The store's file name inside the data folder. */
export const STORE_FILE = 'atp-siem.db';

export interface OpenStoreOptions {
  /** The data folder; created when missing (unless readonly). */
  dataDir: string;
  /** For commands that only read (status, events): fails with StoreNotFoundError when nothing was collected yet. */
  readonly?: boolean;
  /** See SqliteStoreOptions.synchronous; `normal` by default. */
  synchronous?: SqliteStoreOptions['synchronous'];
  /** Clock for stored times (tests). */
  clock?: () => Date;
  /** See SqliteStoreOptions.linkBatch (tests). */
  linkBatch?: number;
}

/** The path of the store file for a data folder. */
export function storeFile(dataDir: string): string {
  return join(dataDir, STORE_FILE);
}

/**
 * Opens the store in `<dataDir>/atp-siem.db`, migrated to the current schema and ready to use.
 * @example const store = await openStore({ dataDir: './data' }); try { ... } finally { await store.close(); }
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  return openSqliteStore(options);
}

/** openStore, with the SQLite store's own type (its group() is for the store thread). */
export async function openSqliteStore(options: OpenStoreOptions): Promise<SqliteStore> {
  const file = storeFile(options.dataDir);
  if (options.readonly) {
    if (!existsSync(file)) throw new StoreNotFoundError(file);
  } else {
    await mkdir(options.dataDir, { recursive: true });
  }
  const store = new SqliteStore({
    file,
    readonly: options.readonly,
    synchronous: options.synchronous,
    clock: options.clock,
    linkBatch: options.linkBatch,
  });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * The dashboard's reports on the store of a data folder (a connection of its own); the store must have been
 * opened (migrated) first.
 */
export function openDashboardStore(dataDir: string): DashboardStore {
  return new SqliteDashboardStore({ file: storeFile(dataDir) });
}
