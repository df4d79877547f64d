import { describe, expect, it } from 'vitest';
import {
  AF_CODE_MAP,
  ConnectorError,
  ERROR_CODES,
  errorFromResponse,
  parseRetryAfter,
  toConnectorError,
  type ApiOperation,
  type ErrorCode,
} from './errors.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const af = (code: string, message = 'text') => JSON.stringify({ error: { code, message } });
const classify = (
  status: number,
  body: string,
  operation: ApiOperation = 'content.list',
  retryAfter?: string,
) => errorFromResponse({ status, body, operation, retryAfter, nowMs: NOW });

describe('the AF code table', () => {
  it.each<[string, number, ErrorCode, boolean]>([
    ['AF10001', 401, 'PERMISSION_DENIED', false],
    ['AF20001', 400, 'BAD_REQUEST', false],
    ['AF20002', 400, 'BAD_REQUEST', false],
    ['AF20003', 400, 'WEBHOOK_INVALID', false],
    ['AF20010', 400, 'TENANT_MISMATCH', false],
    ['AF20011', 400, 'TENANT_NOT_FOUND', false],
    ['AF20012', 400, 'TENANT_MISCONFIGURED', false],
    ['AF20013', 400, 'TENANT_INVALID', false],
    ['AF20020', 400, 'CONTENT_TYPE_INVALID', false],
    ['AF20021', 400, 'WEBHOOK_INVALID', false],
    ['AF20022', 400, 'SUBSCRIPTION_MISSING', false],
    ['AF20023', 400, 'SUBSCRIPTION_DISABLED', false],
    ['AF20024', 400, 'SUBSCRIPTION_ALREADY_ENABLED', false],
    ['AF20030', 400, 'BAD_WINDOW', false],
    ['AF20031', 400, 'BAD_NEXT_PAGE', false],
    ['AF20050', 404, 'BLOB_NOT_FOUND', false],
    ['AF20051', 404, 'BLOB_EXPIRED', false],
    ['AF20052', 400, 'BLOB_INVALID_ID', false],
    ['AF20053', 400, 'BAD_REQUEST', false],
    ['AF20054', 400, 'BAD_REQUEST', false],
    ['AF20055', 400, 'BAD_WINDOW', false],
    ['AF429', 403, 'API_THROTTLED', true],
    ['AF429', 429, 'API_THROTTLED', true],
    ['AF50000', 500, 'API_UNAVAILABLE', true],
    ['AF50005', 500, 'API_UNAVAILABLE', true],
    ['AF50006', 503, 'API_UNAVAILABLE', true],
  ])('maps %s (HTTP %i) to %s', (code, status, expected, retryable) => {
    const err = classify(status, af(code));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe(expected);
    expect(err.retryable).toBe(retryable);
    expect(err.afCode).toBe(code);
    expect(err.httpStatus).toBe(status);
  });

  it('covers every AF code of spec §6', () => {
    expect(Object.keys(AF_CODE_MAP).sort()).toEqual(
      [
        'AF10001',
        'AF20001',
        'AF20002',
        'AF20003',
        'AF20010',
        'AF20011',
        'AF20012',
        'AF20013',
        'AF20020',
        'AF20021',
        'AF20022',
        'AF20023',
        'AF20024',
        'AF20030',
        'AF20031',
        'AF20050',
        'AF20051',
        'AF20052',
        'AF20053',
        'AF20054',
        'AF20055',
        'AF429',
        'AF50000',
        'AF50005',
        'AF50006',
      ].sort(),
    );
  });

  it('branches on the AF code, not on the HTTP status', () => {
    // AF429 arrives as 403 (Microsoft's sample); a 403 without it is a permission problem.
    expect(classify(403, af('AF429')).code).toBe('API_THROTTLED');
    expect(classify(403, '').code).toBe('PERMISSION_DENIED');
    expect(classify(400, af('af20051')).code).toBe('BLOB_EXPIRED');
  });

  it.each<[number, ApiOperation, ErrorCode, boolean]>([
    [408, 'content.list', 'API_UNAVAILABLE', true],
    [429, 'blob.fetch', 'API_THROTTLED', true],
    [500, 'content.list', 'API_UNAVAILABLE', true],
    [502, 'blob.fetch', 'API_UNAVAILABLE', true],
    [503, 'subscriptions.list', 'API_UNAVAILABLE', true],
    [404, 'blob.fetch', 'BLOB_NOT_FOUND', false],
    [404, 'content.list', 'BAD_REQUEST', false],
    [400, 'content.list', 'BAD_REQUEST', false],
    [401, 'content.list', 'AUTH_DENIED', false],
  ])('maps a bare HTTP %i on %s to %s', (status, operation, expected, retryable) => {
    const err = classify(status, '<html>oops</html>', operation);
    expect(err.code).toBe(expected);
    expect(err.retryable).toBe(retryable);
    expect(err.afCode).toBeUndefined();
  });

  it('maps the ASP.NET 401 body to AUTH_DENIED', () => {
    const err = classify(401, JSON.stringify({ Message: 'Authorization has been denied for this request.' }));
    expect(err.code).toBe('AUTH_DENIED');
    expect(err.message).toContain('Authorization has been denied');
  });

  it('recognises the audit-disabled answer', () => {
    const body = af(
      'AF50000',
      'Microsoft.Office.Compliance.Audit.DataServiceException: Tenant 5b0e2a43 does not exist.',
    );
    expect(
      classify(
        400,
        JSON.stringify({
          Message: 'Microsoft.Office.Compliance.Audit.DataServiceException: Tenant x does not exist.',
        }),
      ).code,
    ).toBe('AUDIT_DISABLED');
    expect(classify(500, body).code).toBe('API_UNAVAILABLE');
  });

  it('treats unknown AF5xxxx codes as retryable outages and other unknown codes by status', () => {
    expect(classify(500, af('AF59999')).code).toBe('API_UNAVAILABLE');
    expect(classify(400, af('AF29999')).code).toBe('BAD_REQUEST');
  });

  it('strips control characters (terminal escapes) from server text', () => {
    const err = classify(400, af('AF20055', 'bad \u001b[31mred\u001b[0m window'));
    expect([...err.message].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
    expect(err.message).toContain('?[31mred?[0m');
  });

  it('keeps long or multi-line server text short', () => {
    const err = classify(400, af('AF20055', `bad\n${'x'.repeat(2000)}`));
    expect(err.message).not.toContain('\n');
    expect(err.message.length).toBeLessThan(450);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(classify(403, af('AF429'), 'blob.fetch', '5').retryAfterMs).toBe(5000);
    expect(classify(403, af('AF429'), 'blob.fetch', new Date(NOW + 30_000).toUTCString()).retryAfterMs).toBe(
      30_000,
    );
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('ConnectorError', () => {
  it('reads retryable from the code table', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(new ConnectorError(code, 'x').retryable).toBe(ERROR_CODES[code].retryable);
    }
  });

  it('turns socket failures into retryable NETWORK errors and anything else into INTERNAL', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(toConnectorError(reset, 'blob.fetch').code).toBe('NETWORK');
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } });
    expect(toConnectorError(wrapped, 'content.list')).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(toConnectorError(new Error('boom'), 'content.list')).toMatchObject({
      code: 'INTERNAL',
      retryable: false,
    });
    const same = new ConnectorError('BLOB_EXPIRED', 'x');
    expect(toConnectorError(same, 'blob.fetch')).toBe(same);
  });
});
