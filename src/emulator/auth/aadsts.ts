/**
 * Entra ID's OAuth error body: `error`, `error_description` starting with the
 * AADSTS code, plus `error_codes`, `timestamp`, `trace_id`, `correlation_id`
 * and `error_uri`, as the v1 and v2 token endpoints return them.
 */
import { randomUUID } from 'node:crypto';

export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly aadsts: number,
    description: string,
  ) {
    super(description);
  }

  body(options: { now: number; authorityBase: string }): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date(options.now)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `AADSTS${this.aadsts}: ${this.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${options.authorityBase}/error?code=${this.aadsts}`,
    };
  }
}

export const missingParameter = (name: string): OAuthError =>
  new OAuthError(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );

export const invalidClient = (aadsts: number, description: string): OAuthError =>
  new OAuthError(401, 'invalid_client', aadsts, description);
