/**
 * Turns the `atp-siem emulator` flags (as commander parsed them) into
 * `EmulatorOptions`, with messages an operator can act on for bad values.
 */
import { readFileSync } from 'node:fs';
import { TENANT_STATES, type TenantState } from './directory.js';
import { parseDuration } from './duration.js';
import { FAULT_KINDS, type FaultKind, type FaultRates } from './faults.js';
import type { EmulatorOptions } from './options.js';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function number(name: string, min: number, max = Number.POSITIVE_INFINITY) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`${name} must be a number between ${min} and ${max}, got "${value}"`);
    return n;
  };
}

export function parseFault(value: string, previous: FaultRates = {}): FaultRates {
  const [kind, rate] = value.split('=');
  if (!kind || !FAULT_KINDS.includes(kind as FaultKind) || rate === undefined) {
    throw new Error(`--fault expects KIND=RATE with KIND one of ${FAULT_KINDS.join(', ')}; got "${value}"`);
  }
  return { ...previous, [kind]: number(`--fault ${kind}`, 0, 1)(rate) };
}

function parseTenant(value: string): { id: string; domain?: string } {
  const [id, domain] = value.split('=');
  return { id: id ?? value, domain: domain || undefined };
}

export function parseTenantState(
  value: string,
  previous: Record<string, TenantState> = {},
): Record<string, TenantState> {
  const [tenant, state] = value.split('=');
  if (!tenant || !TENANT_STATES.includes(state as TenantState)) {
    throw new Error(
      `--tenant-state expects GUID=STATE with STATE one of ${TENANT_STATES.join(', ')}; got "${value}"`,
    );
  }
  return { ...previous, [tenant.toLowerCase()]: state as TenantState };
}

export function toEmulatorOptions(o: Record<string, unknown>): EmulatorOptions {
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const num = (k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
  const states = (o.tenantState as Record<string, TenantState> | undefined) ?? {};
  const tenants = ((o.tenant as string[] | undefined) ?? [])
    .map(parseTenant)
    .map((t) => ({ ...t, state: states[t.id.toLowerCase()] }));
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  const history = str('history');
  return {
    port: num('port'),
    host: str('host'),
    tenants: tenants.length ? tenants : undefined,
    clientId: str('clientId'),
    clientSecret: str('clientSecret'),
    clientCertificates: ((o.clientCert as string[] | undefined) ?? []).map((f) => readFileSync(f, 'utf8')),
    roles: (str('roles') ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    resource: str('resource'),
    tokenLifetimeSec: Math.round(parseDuration(str('tokenLifetime') ?? '3599s') / 1000),
    seed: num('seed'),
    historyMs: history === undefined ? undefined : parseDuration(history),
    historyRecords: num('historyRecords'),
    rate: num('rate'),
    speed: num('speed'),
    clockSkewMs: parseDuration(str('clockSkew') ?? '0'),
    pageSize: num('pageSize'),
    recordsPerBlob: num('recordsPerBlob'),
    blobIntervalMs: parseDuration(str('blobInterval') ?? '5s'),
    faultRate: num('faultRate'),
    faults: (o.fault as FaultRates | undefined) ?? {},
    faultMaxConsecutive: num('faultMaxConsecutive'),
    slowMs: parseDuration(str('slow') ?? '2s'),
    expireRate: num('expireRate'),
    throttle: {
      perTenantPerMinute: num('throttleLimit'),
      sharedPerMinute: num('throttleSharedLimit'),
      status: str('throttleStatus') === '429' ? 429 : 403,
      retryAfter: o.retryAfter ? 'window' : 'none',
    },
    timeRules: {
      defaultWindow: str('defaultWindow') === 'today' ? 'today' : 'last24h',
      startGraceMs: parseDuration(str('startGrace') ?? '1h'),
      legacyCode: Boolean(o.legacyTimeError),
    },
    startCooldownMs: parseDuration(str('startCooldown') ?? '0'),
    firstContentDelayMs: parseDuration(str('firstContentDelay') ?? '0'),
    nextPage: {
      headerName: (str('nextPageHeader') ?? 'NextPageUri') as 'NextPageUri' | 'NextPageUrl' | 'nextpageuri',
      v1Path: Boolean(o.nextPageV1Path),
      dropPublisher: Boolean(o.nextPageDropPublisher),
    },
    replay: str('replay'),
    groundTruth: str('groundTruth'),
    writeConfig: str('writeConfig'),
    tls: o.tlsCert ? { cert: readFileSync(str('tlsCert')!), key: readFileSync(str('tlsKey')!) } : undefined,
    allowRemoteWebhooks: Boolean(o.allowRemoteWebhooks),
    webhookCa: o.webhookCa ? readFileSync(str('webhookCa')!) : undefined,
    webhookMaxFailures: num('webhookMaxFailures'),
    webhookRetryMs: parseDuration(str('webhookRetry') ?? '1s'),
    logLevel: str('logLevel'),
  };
}
