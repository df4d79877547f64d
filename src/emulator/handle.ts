/**
 * What `startEmulator` returns: where it listens, the credentials it accepts,
 * and levers for tests and demos (tenant states, admin disables, publishing).
 */
import type { ReplayResult } from './blobs/replay.js';
import type { ContentType } from './content-types.js';
import type { TenantState } from './directory.js';
import type { RequestStats } from './server.js';
import type { Subscription } from './subscriptions.js';

export interface Emulator {
  /** Base URL for both login and API, e.g. http://127.0.0.1:PORT. */
  url: string;
  port: number;
  tenants: string[];
  /** Verified domain of each tenant, same order (usable as `{tenant}` in token URLs). */
  tenantDomains: string[];
  clientId: string;
  clientSecret: string;
  /** The PublisherIdentifier the written config uses (the first tenant, as for an in-house collector). */
  publisherId: string;
  resource: string;
  replay?: ReplayResult;
  tokenUrl(tenant: string, version?: 'v1' | 'v2'): string;
  /** `{url}/api/v1.0/{tenant}/activity/feed` */
  apiRoot(tenant: string): string;
  /** Switch a tenant between active / missing (AF20011) / misconfigured (AF20012) / audit-disabled. */
  setTenantState(tenant: string, state: TenantState): void;
  /** An admin or the service disabling a subscription (AF20023 until started again). */
  disableSubscription(
    tenant: string,
    contentType: ContentType,
    by?: 'a tenant admin' | 'a service admin',
  ): boolean;
  /**
   * Publishes one blob of `count` generated records now, visible at once; contentCreated is
   * `createdAt` (default one second ago). Returns its contentId.
   */
  publishRecords(args: {
    tenant: string;
    contentType: ContentType;
    count: number;
    createdAt?: Date;
    eventsFrom?: Date;
    eventsTo?: Date;
  }): string;
  subscription(tenant: string, contentType: ContentType): Subscription | undefined;
  /** Emulated service time (epoch ms). */
  now(): number;
  stats(): RequestStats & { blobs: number };
  close(): Promise<void>;
}
