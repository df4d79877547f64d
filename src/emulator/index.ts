/**
 * The Office 365 Management Activity API emulator, in process.
 *
 * @example
 * const emu = await startEmulator({ port: 0, tenants: ['2f7ed7ac-7f4b-4d6e-9b8f-2c3f5e2c9a11'] });
 * // POST `${emu.url}/${emu.tenants[0]}/oauth2/v2.0/token`, then call `${emu.apiRoot(emu.tenants[0])}/subscriptions/start?...`
 * await emu.close();
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../telemetry/logger.js';
import { TokenService } from './auth/tokens.js';
import { BlobStore } from './blobs/blob-store.js';
import { Publisher, metaOf } from './blobs/publisher.js';
import { replayFile, type ReplayResult } from './blobs/replay.js';
import { createClock } from './clock.js';
import { writeCollectorConfig } from './config-writer.js';
import { ALL_CONTENT_TYPES } from './content-types.js';
import type { ServerContext } from './context.js';
import { DEFAULT_ROLES, Directory, registerCertificate } from './directory.js';
import { expandFaultRates, FaultInjector } from './faults.js';
import { NextPageCodec } from './feed/next-page.js';
import { WebhookNotifier } from './feed/notifier.js';
import { openGroundTruth } from './ground-truth.js';
import { DEFAULTS, type EmulatorOptions } from './options.js';
import { Random } from './random.js';
import { createEmulatorServer, type RequestStats } from './server.js';
import { Subscriptions } from './subscriptions.js';
import { Throttle } from './throttle.js';
import { createRecordGenerator } from './generator/index.js';
import type { Emulator } from './handle.js';

export type { EmulatorOptions, EmulatedClient } from './options.js';
export type { Emulator } from './handle.js';
export type { TenantState } from './directory.js';
export type { ContentType } from './content-types.js';
export { ALL_CONTENT_TYPES } from './content-types.js';
export { parseDuration } from './duration.js';

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const log = options.logger ?? createLogger({ name: 'emulator', level: options.logLevel });
  const seed = options.seed ?? DEFAULTS.seed;
  const random = new Random(seed);
  const idRandom = new Random(seed ^ 0x5eed);
  const clock = createClock({ speed: options.speed ?? DEFAULTS.speed, skewMs: options.clockSkewMs ?? 0 });
  const resource = options.resource ?? DEFAULTS.resource;

  const directory = new Directory();
  const tenantSpecs = options.tenants?.length ? options.tenants : [idRandom.guid()];
  tenantSpecs.forEach((spec, i) => {
    const t = typeof spec === 'string' ? { id: spec } : spec;
    directory.addTenant({
      id: t.id.toLowerCase(),
      domain: t.domain ?? `emulated${i + 1}.onmicrosoft.com`,
      state: t.state ?? 'active',
    });
  });
  const clientId = options.clientId ?? idRandom.guid();
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  directory.addClient({
    clientId,
    secrets: [clientSecret],
    certificates: (options.clientCertificates ?? []).map(registerCertificate),
    roles: options.roles ?? DEFAULT_ROLES,
  });
  for (const extra of options.extraClients ?? []) {
    directory.addClient({
      clientId: extra.clientId,
      secrets: extra.clientSecret ? [extra.clientSecret] : [],
      certificates: (extra.certificates ?? []).map(registerCertificate),
      roles: extra.roles ?? DEFAULT_ROLES,
    });
  }
  const tenants = directory.allTenants();

  const replaying = Boolean(options.replay);
  const faultRates = expandFaultRates(options.faultRate, options.faults ?? {});
  const faults = new FaultInjector(faultRates, new Random(seed ^ 0xfa17), {
    maxConsecutive: options.faultMaxConsecutive ?? DEFAULTS.faultMaxConsecutive,
    totalRate: options.faultRate,
  });
  const store = new BlobStore();
  const subscriptions = new Subscriptions({
    firstContentDelayMs: options.firstContentDelayMs ?? 0,
    startCooldownMs: options.startCooldownMs ?? 0,
  });
  const groundTruth = openGroundTruth(options.groundTruth);
  const recordsPerBlob = options.recordsPerBlob ?? DEFAULTS.recordsPerBlob;
  let baseUrl = '';
  const notifier = new WebhookNotifier({
    subscriptions,
    clock,
    log,
    baseUrl: () => baseUrl,
    options: {
      maxFailures: options.webhookMaxFailures ?? 6,
      retryMs: options.webhookRetryMs ?? 1000,
      ca: options.webhookCa,
    },
  });
  const publisher = new Publisher({
    store,
    subscriptions,
    groundTruth,
    clock,
    random,
    faults,
    onPublished: (blob) => notifier.published(blob),
    options: {
      seed,
      // A replay publishes the file only, unless generation is asked for explicitly.
      historyMs: options.historyMs ?? (replaying ? 0 : DEFAULTS.historyMs),
      historyRecords: options.historyRecords ?? DEFAULTS.historyRecords,
      rate: options.rate ?? (replaying ? 0 : DEFAULTS.rate),
      recordsPerBlob: Math.max(1, recordsPerBlob),
      blobIntervalMs: options.blobIntervalMs ?? DEFAULTS.blobIntervalMs,
      expireRate: options.expireRate ?? DEFAULTS.expireRate,
      expiryMarginWallMs: options.expiryMarginMs ?? DEFAULTS.expiryMarginMs,
    },
  });
  tenants.forEach((t, i) => publisher.addTenant(t.id, i));

  const ctx: ServerContext = {
    directory,
    tokens: new TokenService({
      resource,
      lifetimeSec: options.tokenLifetimeSec ?? DEFAULTS.tokenLifetimeSec,
      clock,
    }),
    subscriptions,
    store,
    publisher,
    throttle: new Throttle({ ...DEFAULTS.throttle, ...options.throttle }),
    faults,
    clock,
    random,
    log,
    nextPage: new NextPageCodec(randomBytes(32)),
    notifier,
    settings: {
      pageSize: Math.max(1, options.pageSize ?? DEFAULTS.pageSize),
      timeRules: { ...DEFAULTS.timeRules, ...options.timeRules },
      quirks: { ...DEFAULTS.nextPage, ...options.nextPage },
      slowMs: options.slowMs ?? DEFAULTS.slowMs,
      allowRemoteWebhooks: options.allowRemoteWebhooks ?? false,
      webhookCa: options.webhookCa,
    },
    baseUrl: () => baseUrl,
  };

  let replay: ReplayResult | undefined;
  if (options.replay) {
    replay = await replayFile({
      path: options.replay,
      publisher,
      tenantIds: tenants.map((t) => t.id),
      recordsPerBlob: options.recordsPerBlob ?? DEFAULTS.recordsPerBlob,
      log,
    });
  }
  publisher.publishBacklog();

  const stats: RequestStats = { requests: 0, byStatus: {}, faults: {} };
  const server = createEmulatorServer(ctx, options.tls, stats);
  const host = options.host ?? DEFAULTS.host;
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host)) {
    // Anyone who can reach it gets tokens for the printed client: fine on loopback only.
    log.warn(
      { host },
      'Emulator bound outside loopback; it accepts its generated credentials from anywhere that can reach it.',
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  baseUrl = `${options.tls ? 'https' : 'http'}://${hostInUrl}:${port}`;

  const timers = [
    setInterval(() => {
      // A failure here is logged and the next tick tries again; the server keeps serving.
      try {
        publisher.tick();
        publisher.sweepExpired();
      } catch (err) {
        log.error({ err }, 'Emulator publication failed.');
      }
      notifier.flush().catch((err: unknown) => log.error({ err }, 'Webhook notification round failed.'));
    }, options.publishIntervalMs ?? DEFAULTS.publishIntervalMs),
    setInterval(() => log.info({ ...stats, blobs: store.size }, 'Emulator summary.'), 60_000),
  ];
  for (const t of timers) t.unref();

  const publisherId = tenants[0]!.id;
  if (options.writeConfig) {
    await writeCollectorConfig(options.writeConfig, {
      url: baseUrl,
      tenants: tenants.map((t) => t.id),
      clientId,
      clientSecret,
      resource,
      publisherId,
      contentTypes: ALL_CONTENT_TYPES,
    });
  }
  log.info({ url: baseUrl, tenants: tenants.map((t) => t.id), blobs: store.size }, 'Emulator listening.');

  const manualGenerators = new Map<string, ReturnType<typeof createRecordGenerator>>();
  let closed: Promise<void> | undefined;
  const requireTenant = (tenant: string): string => {
    const t = directory.resolveTenant(tenant);
    if (!t) throw new Error(`unknown tenant ${tenant}`);
    return t.id;
  };

  return {
    url: baseUrl,
    port,
    tenants: tenants.map((t) => t.id),
    tenantDomains: tenants.map((t) => t.domain),
    clientId,
    clientSecret,
    publisherId,
    resource,
    replay,
    tokenUrl: (tenant, version = 'v2') =>
      `${baseUrl}/${tenant}/oauth2/${version === 'v2' ? 'v2.0/' : ''}token`,
    apiRoot: (tenant) => `${baseUrl}/api/v1.0/${tenant}/activity/feed`,
    setTenantState(tenant, state) {
      const t = directory.resolveTenant(tenant);
      if (!t) throw new Error(`unknown tenant ${tenant}`);
      t.state = state;
    },
    disableSubscription: (tenant, contentType, by = 'a tenant admin') =>
      subscriptions.disable(requireTenant(tenant), contentType, by),
    publishRecords(args) {
      const tenantId = requireTenant(args.tenant);
      let gen = manualGenerators.get(tenantId);
      if (!gen)
        manualGenerators.set(
          tenantId,
          (gen = createRecordGenerator({ seed: seed + 104729, tenantId, duplicateRate: 0 })),
        );
      const now = clock.now();
      const to = args.eventsTo ?? new Date(now - 60_000);
      const from = args.eventsFrom ?? new Date(to.getTime() - 3_600_000);
      const records = gen.records(args.contentType, args.count, from, to);
      return publisher.publish({
        tenantId,
        contentType: args.contentType,
        records: records.map((r) => Buffer.from(JSON.stringify(r))),
        meta: records.map(metaOf),
        // A second back by default, so a listing that ends "now" right after includes it (end is exclusive).
        created: args.createdAt?.getTime() ?? now - 1000,
      }).contentId;
    },
    subscription: (tenant, contentType) => subscriptions.get(requireTenant(tenant), contentType),
    now: () => clock.now(),
    stats: () => ({ ...stats, blobs: store.size }),
    close() {
      closed ??= (async () => {
        for (const t of timers) clearInterval(t);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 1000).unref();
        });
        await groundTruth.close();
        await notifier.close();
        log.info({ ...stats, blobs: store.size }, 'Emulator stopped.');
      })();
      return closed;
    },
  };
}
