export { createCollector } from './collector.js';
export type {
  Collector,
  CollectorOptions,
  CollectorSettings,
  CollectorTenant,
  HealthReport,
  StreamSnapshot,
} from './collector.js';
export { planWindows, sweepWindows, MAX_LISTING_AGE_MS, MAX_WINDOW_MS } from './windows.js';
export { processBlob, retryDelayMs } from './blob-worker.js';
export type { BlobOutcome, DropReason } from './blob-worker.js';
export { fallbackExtractIndex } from './fallback-index.js';
export { systemClock } from './types.js';
export type { Clock, ExtractIndex, SourceApiClient } from './types.js';
