/**
 * Options of `startEmulator` and their defaults. Durations are milliseconds
 * unless the name says otherwise; every field is optional.
 */
import type { Logger } from '../telemetry/logger.js';
import type { TenantState } from './directory.js';
import type { FaultRates } from './faults.js';
import type { NextPageQuirks } from './feed/next-page.js';
import type { TimeWindowRules } from './feed/time-window.js';
import { DEFAULT_START_GRACE_MS } from './feed/time-window.js';
import { DAY_MS, MINUTE_MS } from './duration.js';
import type { ThrottleOptions } from './throttle.js';

export interface EmulatedClient {
  clientId: string;
  clientSecret?: string;
  /** PEM certificates whose keys may sign client assertions. */
  certificates?: string[];
  /** Application roles; default ActivityFeed.Read, ActivityFeed.ReadDlp, ServiceHealth.Read. */
  roles?: string[];
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** Tenant GUIDs (or objects with a verified domain and a state); default one tenant derived from the seed. */
  tenants?: (string | { id: string; domain?: string; state?: TenantState })[];
  clientId?: string;
  clientSecret?: string;
  clientCertificates?: string[];
  roles?: string[];
  /** More applications, e.g. one without ActivityFeed.ReadDlp. */
  extraClients?: EmulatedClient[];
  seed?: number;
  historyMs?: number;
  historyRecords?: number;
  /** Live records per wall-clock second per tenant. */
  rate?: number;
  /** Emulated time runs this many times faster than the wall clock. */
  speed?: number;
  clockSkewMs?: number;
  pageSize?: number;
  recordsPerBlob?: number;
  blobIntervalMs?: number;
  publishIntervalMs?: number;
  tokenLifetimeSec?: number;
  resource?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  faultRate?: number;
  faults?: FaultRates;
  faultMaxConsecutive?: number;
  slowMs?: number;
  expireRate?: number;
  expiryMarginMs?: number;
  replay?: string;
  groundTruth?: string;
  writeConfig?: string;
  throttle?: Partial<ThrottleOptions>;
  timeRules?: Partial<TimeWindowRules>;
  nextPage?: Partial<NextPageQuirks>;
  startCooldownMs?: number;
  firstContentDelayMs?: number;
  allowRemoteWebhooks?: boolean;
  /** Extra CA (PEM) trusted when validating webhook addresses. */
  webhookCa?: string | Buffer;
  /** Failed notification pushes in a row before a webhook is disabled. */
  webhookMaxFailures?: number;
  /** First retry interval of a failed push (wall ms), doubling each time. */
  webhookRetryMs?: number;
  logger?: Logger;
  logLevel?: string;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  seed: 1,
  historyMs: 7 * DAY_MS,
  historyRecords: 2000,
  rate: 2,
  speed: 1,
  pageSize: 50,
  recordsPerBlob: 50,
  blobIntervalMs: 5000,
  publishIntervalMs: 1000,
  tokenLifetimeSec: 3599,
  resource: 'https://manage.office.com',
  slowMs: 2000,
  faultMaxConsecutive: 2,
  expireRate: 0,
  expiryMarginMs: 10 * MINUTE_MS,
  throttle: {
    perTenantPerMinute: 2000,
    sharedPerMinute: 500,
    status: 403,
    retryAfter: 'none',
  } as ThrottleOptions,
  timeRules: {
    startGraceMs: DEFAULT_START_GRACE_MS,
    defaultWindow: 'last24h',
    legacyCode: false,
  } as TimeWindowRules,
  nextPage: { headerName: 'NextPageUri', v1Path: false, dropPublisher: false } as NextPageQuirks,
} as const;
