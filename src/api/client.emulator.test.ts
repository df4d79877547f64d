/**
 * The API client against the real emulator over loopback: tokens (secret and
 * certificate), subscriptions, pagination, blobs, faults, throttling, 401.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, Secret, type TenantConfig } from '../config/index.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js';
import { createApiClient, type ApiClientDeps, type DiagnosableApiClient } from './client.js';
import { ConnectorError } from './errors.js';
import { failure } from './testing/expect-failure.js';
import { makeTestPki } from './testing/pki.js';
import { tenantForEmulator } from './testing/emulator-tenant.js';

const silent = pino({ level: 'silent' });
const FAST_RETRY = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 200 };

let emulators: Emulator[] = [];
let clients: DiagnosableApiClient[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atp-siem-api-emu-'));
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(emulators.map((e) => e.close()));
  clients = [];
  emulators = [];
  await rm(dir, { recursive: true, force: true });
});

async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({
    logLevel: 'silent',
    rate: 0,
    historyMs: 0,
    historyRecords: 0,
    ...options,
  });
  emulators.push(emu);
  return emu;
}

function client(tenant: TenantConfig, deps: Partial<ApiClientDeps> = {}): DiagnosableApiClient {
  const c = createApiClient(tenant, { logger: silent, retryPolicy: FAST_RETRY, ...deps });
  clients.push(c);
  return c;
}

/** Publishes `blobs` blobs of `perBlob` records; returns the window that holds them. */
function publish(emu: Emulator, blobs: number, perBlob: number): { start: Date; end: Date } {
  const start = new Date(Math.floor(emu.now() / 1000) * 1000 - 60_000);
  for (let i = 0; i < blobs; i++)
    emu.publishRecords({ tenant: emu.tenants[0]!, contentType: 'Audit.General', count: perBlob });
  return { start, end: new Date(Math.floor(emu.now() / 1000) * 1000 + 60_000) };
}

/** Reads every record of a window, fetching a blob again when it breaks (as the collector does). */
async function readWindow(
  api: DiagnosableApiClient,
  start: Date,
  end: Date,
): Promise<{ ids: Set<string>; pages: number; blobs: number }> {
  const ids = new Set<string>();
  let pages = 0;
  let blobs = 0;
  for await (const page of api.listContent('Audit.General', start, end)) {
    pages++;
    for (const item of page) {
      blobs++;
      for (let attempt = 1; ; attempt++) {
        try {
          for await (const r of api.fetchBlob(item.contentUri)) ids.add((r.value as { Id: string }).Id);
          break;
        } catch (err) {
          if (!(err instanceof ConnectorError) || !err.retryable || attempt >= 6) throw err;
        }
      }
    }
  }
  return { ids, pages, blobs };
}

describe('API client against the emulator', () => {
  it('subscribes, pages through the content list and streams every record (secret, token v2)', async () => {
    const emu = await emulator({ pageSize: 2 });
    const events: string[] = [];
    const api = client(tenantForEmulator(emu), {
      onRequest: (e) => events.push(`${e.operation} ${e.status}`),
    });
    await api.ensureSubscriptions(['Audit.General', 'DLP.All']);
    expect(emu.subscription(emu.tenants[0]!, 'Audit.General')?.status).toBe('enabled');
    expect(emu.subscription(emu.tenants[0]!, 'DLP.All')?.status).toBe('enabled');
    // Again: nothing to start, nothing fails.
    await api.ensureSubscriptions(['Audit.General', 'DLP.All']);

    const { start, end } = publish(emu, 5, 7);
    const { ids, pages, blobs } = await readWindow(api, start, end);
    expect(blobs).toBe(5);
    expect(pages).toBe(3);
    expect(ids.size).toBe(35);
    expect(events.filter((e) => e.startsWith('token'))).toEqual(['token 200']);
    expect(Math.abs(api.clockSkewMs())).toBeLessThan(2000);
  });

  it('starts the subscription itself when the content list answers AF20022', async () => {
    const emu = await emulator();
    const api = client(tenantForEmulator(emu));
    const pages = [];
    for await (const page of api.listContent(
      'Audit.General',
      new Date(emu.now() - 3_600_000),
      new Date(emu.now()),
    ))
      pages.push(page);
    expect(emu.subscription(emu.tenants[0]!, 'Audit.General')?.status).toBe('enabled');
  });

  it('restarts a subscription an admin disabled (AF20023)', async () => {
    const emu = await emulator();
    const api = client(tenantForEmulator(emu));
    await api.ensureSubscriptions(['Audit.General']);
    emu.disableSubscription(emu.tenants[0]!, 'Audit.General');
    await api.ensureSubscriptions(['Audit.General']);
    expect(emu.subscription(emu.tenants[0]!, 'Audit.General')?.status).toBe('enabled');
  });

  it('authenticates with a certificate over https, trusting the CA from ca_file', async () => {
    makeTestPki(dir);
    const clientCert = await readFile(path.join(dir, 'client.pem'), 'utf8');
    const emu = await emulator({
      tls: {
        cert: await readFile(path.join(dir, 'server.pem')),
        key: await readFile(path.join(dir, 'server.key')),
      },
      clientCertificates: [clientCert],
    });
    expect(emu.url.startsWith('https://127.0.0.1:')).toBe(true);
    await writeFile(
      path.join(dir, 'atp-siem.yaml'),
      `tenants:
  - tenant_id: "${emu.tenants[0]}"
    endpoints: { login: "${emu.url}", api: "${emu.url}", resource: "${emu.resource}", ca_file: ca.pem }
    client_id: "${emu.clientId}"
    certificate: { cert_file: client.pem, key_file: client.key }
    content_types: [Audit.General]
`,
    );
    const config = await loadConfig(path.join(dir, 'atp-siem.yaml'), {});
    const api = client(config.tenants[0]!);
    await api.ensureSubscriptions(['Audit.General']);
    const { start, end } = publish(emu, 2, 3);
    expect((await readWindow(api, start, end)).ids.size).toBe(6);

    // Without the CA the same endpoint is not trusted.
    const untrusted = client({
      ...config.tenants[0]!,
      endpoints: { ...config.tenants[0]!.endpoints, ca: undefined },
    });
    const err = await failure(untrusted.checkToken());
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe('TLS_UNTRUSTED');
    expect(err.message).toMatch(/ca_file/);
  });

  it('authenticates with a certificate over plain-http loopback, the assertion addressed to the real endpoint', async () => {
    const pki = makeTestPki(dir, { server: false });
    const emu = await emulator({
      clientCertificates: [await readFile(path.join(dir, pki.clientCert), 'utf8')],
    });
    await writeFile(
      path.join(dir, 'atp-siem.yaml'),
      `tenants:
  - tenant_id: "${emu.tenants[0]}"
    endpoints: { login: "${emu.url}", api: "${emu.url}", resource: "${emu.resource}" }
    client_id: "${emu.clientId}"
    certificate: { cert_file: ${pki.clientCert}, key_file: ${pki.clientKey} }
`,
    );
    const config = await loadConfig(path.join(dir, 'atp-siem.yaml'), {});
    const api = client(config.tenants[0]!);
    await api.ensureSubscriptions(['Audit.General']);
    expect(emu.subscription(emu.tenants[0]!, 'Audit.General')?.status).toBe('enabled');
  });

  it('collects every record exactly once through throttling, 5xx, 408, resets, empty pages and broken blobs', async () => {
    const emu = await emulator({
      pageSize: 2,
      faults: {
        throttle: 0.15,
        'server-error': 0.15,
        unavailable: 0.1,
        timeout: 0.1,
        reset: 0.1,
        'empty-page': 0.2,
        truncated: 0.15,
        malformed: 0.1,
      },
      faultMaxConsecutive: 2,
      seed: 7,
    });
    const events: string[] = [];
    const api = client(tenantForEmulator(emu), {
      onRequest: (e) => events.push(`${e.operation} ${e.status}`),
    });
    await api.ensureSubscriptions(['Audit.General']);
    const { start, end } = publish(emu, 8, 5);
    const { ids, blobs } = await readWindow(api, start, end);
    expect(blobs).toBe(8);
    expect(ids.size).toBe(40);
    // Faults did happen and were recovered from.
    expect(events.some((e) => /(403|429|500|503|408) *$/.test(e) || e.endsWith(' 0'))).toBe(true);
  });

  it('gives up with a retryable API_THROTTLED carrying Retry-After when the tenant budget is spent', async () => {
    const emu = await emulator({ throttle: { perTenantPerMinute: 3, status: 429, retryAfter: 'window' } });
    const api = client(tenantForEmulator(emu));
    await api.ensureSubscriptions(['Audit.General']);
    const attempt = async () => {
      for await (const _ of api.listContent(
        'Audit.General',
        new Date(emu.now() - 3_600_000),
        new Date(emu.now()),
      ))
        void _;
    };
    let err: unknown;
    for (let i = 0; i < 10 && !err; i++)
      err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConnectorError);
    const e = err as ConnectorError;
    expect(e.code).toBe('API_THROTTLED');
    expect(e.retryable).toBe(true);
    expect(e.afCode).toBe('AF429');
    expect(e.httpStatus).toBe(429);
    expect(e.retryAfterMs).toBeGreaterThan(0);
  });

  it('explains a missing ActivityFeed.ReadDlp as PERMISSION_DENIED (AF10001)', async () => {
    const emu = await emulator({
      extraClients: [
        {
          clientId: '0f1e2d3c-4b5a-4968-8776-655443322110',
          clientSecret: 'limited-secret',
          roles: ['ActivityFeed.Read'],
        },
      ],
    });
    const api = client(
      tenantForEmulator(emu, {
        clientId: '0f1e2d3c-4b5a-4968-8776-655443322110',
        credential: { kind: 'secret', secret: new Secret('limited-secret') },
      }),
    );
    const err = await failure(api.ensureSubscriptions(['DLP.All']));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.afCode).toBe('AF10001');
  });

  it('acquires a new token once when the API starts refusing the cached one', async () => {
    const first = await emulator();
    const events: string[] = [];
    const tenant = tenantForEmulator(first);
    const api = client(tenant, { onRequest: (e) => events.push(`${e.operation} ${e.status}`) });
    await api.ensureSubscriptions(['Audit.General']);
    // The service restarts two hours ahead: the token the client holds has expired there, not here.
    const port = first.port;
    await first.close();
    emulators = [];
    await emulator({
      port,
      clockSkewMs: 2 * 3_600_000,
      tenants: [tenant.tenantId],
      clientId: first.clientId,
      clientSecret: first.clientSecret,
    });
    await api.ensureSubscriptions(['Audit.General']);
    expect(events.filter((e) => e.startsWith('token'))).toEqual(['token 200', 'token 200']);
    expect(events).toContain('subscriptions.list 401');
  });

  it('reports a wrong secret as AUTH_FAILED without the secret in the message', async () => {
    const emu = await emulator();
    const api = client(
      tenantForEmulator(emu, {
        credential: { kind: 'secret', secret: new Secret('definitely-wrong-secret') },
      }),
    );
    const err = await failure(api.checkToken());
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toMatch(/AADSTS7000215/);
    expect(err.message).not.toContain('definitely-wrong-secret');
  });
});
