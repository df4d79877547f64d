/**
 * A small loopback server speaking the wire shapes of the token endpoint (v2)
 * and the Activity API, with a programmable handler per test. For unit tests
 * of the client; the full emulator lives in src/emulator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret } from '../../config/secret.js';
import type { TenantConfig } from '../../config/index.js';

export const TENANT_ID = '5b0e2a43-6f1c-4c3e-9d27-2d7c5a0e9a11';
export const CLIENT_ID = '9a3c1f0e-8f0b-4d7c-a2e9-1c0b7e5d3f22';
export const CLIENT_SECRET = 'S3cr3t-value-never-printed';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type ApiHandler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeApi {
  base: string;
  tenant(overrides?: Partial<TenantConfig>): TenantConfig;
  /** Every API request (not token requests), in order. */
  requests: SeenRequest[];
  tokenRequests: SeenRequest[];
  /** Tokens issued so far; the API accepts only the latest unless `acceptAnyToken`. */
  tokensIssued: number;
  /** `expires_in` of the tokens issued (seconds). */
  tokenLifetimeSec: number;
  handle: ApiHandler;
  /** Replace the token endpoint's answer (status + JSON body). */
  tokenAnswer?: (req: SeenRequest) => { status: number; body: unknown } | undefined;
  close(): Promise<void>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendAfError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

export async function startFakeApi(): Promise<FakeApi> {
  const fake: FakeApi = {
    base: '',
    requests: [],
    tokenRequests: [],
    tokensIssued: 0,
    tokenLifetimeSec: 3599,
    handle: (_req, res) => sendJson(res, 404, { Message: 'No HTTP resource was found.' }),
    tenant: (overrides = {}) => ({
      name: 'fixture',
      tenantId: TENANT_ID,
      cloud: 'custom',
      endpoints: {
        login: fake.base,
        api: fake.base,
        resource: 'https://manage.office.com',
        caFile: undefined,
      },
      clientId: CLIENT_ID,
      credential: { kind: 'secret', secret: new Secret(CLIENT_SECRET) },
      contentTypes: ['Audit.General'],
      publisherId: TENANT_ID,
      ...overrides,
    }),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', fake.base),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      if (/\/oauth2\/v2\.0\/token$/.test(seen.url.pathname)) {
        fake.tokenRequests.push(seen);
        const answer = fake.tokenAnswer?.(seen);
        if (answer) return sendJson(res, answer.status, answer.body);
        const form = new URLSearchParams(seen.body);
        if (form.get('client_secret') !== CLIENT_SECRET && !form.get('client_assertion')) {
          return sendJson(res, 401, {
            error: 'invalid_client',
            error_description:
              'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value. Trace ID: x',
            error_codes: [7000215],
          });
        }
        fake.tokensIssued++;
        return sendJson(res, 200, {
          token_type: 'Bearer',
          expires_in: fake.tokenLifetimeSec,
          ext_expires_in: fake.tokenLifetimeSec,
          access_token: `token-${fake.tokensIssued}`,
        });
      }
      fake.requests.push(seen);
      if (seen.headers.authorization !== `Bearer token-${fake.tokensIssued}`) {
        return sendJson(
          res,
          401,
          { Message: 'Authorization has been denied for this request.' },
          { 'www-authenticate': 'Bearer' },
        );
      }
      void Promise.resolve(fake.handle(seen, res)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** `{base}/api/v1.0/{tenant}/activity/feed` of the fixture tenant. */
export function feedRoot(base: string): string {
  return `${base}/api/v1.0/${TENANT_ID}/activity/feed`;
}
