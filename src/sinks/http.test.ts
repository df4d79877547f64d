import { describe, expect, it } from 'vitest';
import { classifyHttpStatus } from './http.js';

describe('the HTTP sinks’ status table', () => {
  it('answers undefined for 2xx, leaving the body to the sink', () => {
    expect(classifyHttpStatus(204, {}, '', 'X')).toBeUndefined();
  });

  it('retries 408, 429 and 5xx, honouring Retry-After in seconds', () => {
    expect(classifyHttpStatus(503, { 'retry-after': '7' }, 'busy', 'X')).toEqual({
      outcome: 'retryable',
      reason: 'X answered HTTP 503: busy',
      retryAfterMs: 7000,
    });
    for (const status of [408, 429, 500, 502, 504]) {
      expect(classifyHttpStatus(status, {}, '', 'X')?.outcome).toBe('retryable');
    }
  });

  it('blocks on a refused credential and on a URL where nothing takes events, keeping the data', () => {
    for (const status of [401, 403, 404, 405, 410, 421]) {
      expect(classifyHttpStatus(status, {}, '', 'X')).toMatchObject({ outcome: 'retryable', blocked: true });
    }
    expect(classifyHttpStatus(404, {}, '', 'X')).toMatchObject({
      reason: expect.stringContaining("check the sink's url"),
    });
  });

  it('rejects 413 and other 4xx as data (the driver splits the batch), keeping the body on one line', () => {
    expect(classifyHttpStatus(413, {}, '', 'X')).toEqual({
      outcome: 'rejected',
      reason: 'X answered HTTP 413: request too large',
    });
    expect(classifyHttpStatus(400, {}, 'bad\nfield\u001b[2J', 'X')).toEqual({
      outcome: 'rejected',
      reason: 'X answered HTTP 400: bad field?[2J',
    });
  });

  it('blocks on a redirect, which no sink follows', () => {
    expect(classifyHttpStatus(307, { location: 'https://elsewhere.example/' }, '', 'X')).toMatchObject({
      outcome: 'retryable',
      blocked: true,
    });
  });
});
