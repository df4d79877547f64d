/**
 * The Office 365 Management Activity API client. Knows nothing of the store
 * or the sinks; the collector (src/sources) drives it.
 */
export { createApiClient, formatApiTime } from './client.js';
export type {
  ApiClient,
  ApiClientDeps,
  BlobRecord,
  ContentItem,
  DiagnosableApiClient,
  SubscriptionState,
} from './client.js';
export type { RequestEvent, TokenSource } from './auth.js';
export {
  AF_CODE_MAP,
  ConnectorError,
  ERROR_CODES,
  errorFromResponse,
  isConnectorError,
  parseRetryAfter,
  toConnectorError,
} from './errors.js';
export type { ApiOperation, ConnectorErrorOptions, ErrorCode, ErrorStage } from './errors.js';
export { JsonArraySplitter, recordsBeforeError, splitJsonArray } from './json-array-splitter.js';
export { backoffDelay, DEFAULT_RETRY_POLICY, RequestBudget, systemClock, withRetry } from './retry.js';
export type { Clock, RetryOptions, RetryPolicy } from './retry.js';
