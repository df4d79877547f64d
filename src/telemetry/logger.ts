import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in logged objects. */
export const REDACT_PATHS = [
  'clientSecret',
  'client_secret',
  'secret',
  'password',
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'Authorization',
  'client_assertion',
  'privateKey',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.authorization',
  '*.Authorization',
  '*.privateKey',
  'headers.authorization',
  '*.headers.authorization',
];

/**
 * Creates the process logger: structured JSON lines on stderr, secrets redacted.
 * @example const log = createLogger({ level: 'debug', name: 'emulator' });
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'atp-siem',
      level: options.level ?? process.env.ATP_SIEM_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination(2),
  );
}
