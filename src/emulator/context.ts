/**
 * Everything a request handler may need, built once by `startEmulator`.
 */
import type { Logger } from '../telemetry/logger.js';
import type { TokenService } from './auth/tokens.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { Publisher } from './blobs/publisher.js';
import type { EmulatorClock } from './clock.js';
import type { Directory } from './directory.js';
import type { FaultInjector } from './faults.js';
import type { NextPageCodec, NextPageQuirks } from './feed/next-page.js';
import type { WebhookNotifier } from './feed/notifier.js';
import type { TimeWindowRules } from './feed/time-window.js';
import type { Random } from './random.js';
import type { Subscriptions } from './subscriptions.js';
import type { Throttle } from './throttle.js';

export interface ServerContext {
  directory: Directory;
  tokens: TokenService;
  subscriptions: Subscriptions;
  store: BlobStore;
  publisher: Publisher;
  throttle: Throttle;
  faults: FaultInjector;
  clock: EmulatorClock;
  random: Random;
  log: Logger;
  nextPage: NextPageCodec;
  notifier: WebhookNotifier;
  settings: {
    pageSize: number;
    timeRules: TimeWindowRules;
    quirks: NextPageQuirks;
    slowMs: number;
    /** Only webhook addresses on loopback are called unless this is set. */
    allowRemoteWebhooks: boolean;
    /** Extra CA (PEM) trusted when calling webhooks, e.g. a test's self-signed certificate. */
    webhookCa?: string | Buffer;
  };
  /** Base URL of this server, e.g. http://127.0.0.1:PORT. */
  baseUrl(): string;
}

/** One authenticated API call, after the tenant checks. */
export interface ApiCall {
  tenantId: string;
  /** The tenant as written in the URL (kept for links). */
  tenantSegment: string;
  roles: string[];
  appId: string;
  publisherId: string | undefined;
}
