export { loadConfig, ConfigError, formatPath } from './load.js';
export type { Config, TenantConfig, Credential, ConfigProblem } from './load.js';
export { Secret } from './secret.js';
export {
  CLOUDS,
  CONTENT_TYPES,
  LOG_LEVELS,
  configSchema,
  tenantSchema,
  parseDuration,
  isLoopbackHost,
} from './schema.js';
export type { CloudName, ContentType, CollectorConfig, SecretRef } from './schema.js';
