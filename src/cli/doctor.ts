/**
 * `atp-siem doctor --config FILE`: checks the configuration, then for each
 * tenant the token, the permissions, the subscriptions and the clock, and
 * prints each check as OK / WARN / FAIL with the fix for each failure. Exits
 * non-zero when any check fails. Never prints a secret or a token.
 */
import type { Command } from 'commander';
import {
  createApiClient,
  isConnectorError,
  type DiagnosableApiClient,
  type ErrorCode,
} from '../api/index.js';
import { ConfigError, loadConfig, type Config, type TenantConfig } from '../config/index.js';
import path from 'node:path';
import { createSink } from '../pipeline/sinks.js';
import type { SinkConfig } from '../sinks/index.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { explainFailure } from './sinks.js';
import { scrubSecrets } from './status.js';

export type CheckStatus = 'OK' | 'WARN' | 'FAIL';

export interface CheckResult {
  status: CheckStatus;
  name: string;
  detail: string;
  fix?: string;
}

/** The operator's fix for each failure a check can meet. */
const FIXES: Partial<Record<ErrorCode, string>> = {
  AUTH_FAILED:
    'check tenant_id, client_id and the client secret or certificate in Entra ID (App registrations → Certificates & secrets); an expired secret must be replaced',
  AUTH_DENIED:
    'the API refused a fresh token: check that endpoints.resource is the API base (https://manage.office.com for commercial)',
  PERMISSION_DENIED:
    'add the application permission ActivityFeed.Read (and ActivityFeed.ReadDlp for DLP.All) of "Office 365 Management APIs" to the app, then "Grant admin consent"',
  TENANT_MISMATCH: 'tenant_id must be the tenant the app is consented in (the token is for another tenant)',
  TENANT_NOT_FOUND: 'check tenant_id: the tenant does not exist or was deleted',
  TENANT_MISCONFIGURED: "the tenant is incorrectly configured on Microsoft's side; open a support case",
  TENANT_INVALID: 'tenant_id must be the directory (tenant) GUID',
  AUDIT_DISABLED:
    'turn on audit logging in Microsoft Purview (Audit → Start recording); it takes up to 60 minutes',
  CONTENT_TYPE_INVALID:
    'content_types may hold Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint, Audit.General, DLP.All',
  NETWORK:
    'check that the endpoint is reachable from this host (DNS, proxy, firewall) and, for a private CA, set endpoints.ca_file',
  TLS_UNTRUSTED:
    "the endpoint's certificate is not trusted: for a private CA set endpoints.ca_file to its PEM",
  API_THROTTLED:
    'the tenant is over its request quota; lower collector.request_budget_per_minute or try again later',
  API_UNAVAILABLE: 'the service is having trouble; try again later',
  URL_REFUSED:
    'the configured endpoints disagree with what the server answers; check endpoints.login and endpoints.api',
};

function fixFor(err: unknown): string {
  if (isConnectorError(err)) return FIXES[err.code] ?? 'see the message above';
  return 'see the message above';
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs every check of one tenant. */
export async function checkTenant(
  tenant: TenantConfig,
  client: DiagnosableApiClient,
): Promise<CheckResult[]> {
  const label = tenant.name;
  const results: CheckResult[] = [];
  const fail = (name: string, err: unknown) =>
    results.push({ status: 'FAIL', name: `${label}: ${name}`, detail: describeError(err), fix: fixFor(err) });

  try {
    await client.checkToken();
    results.push({
      status: 'OK',
      name: `${label}: token`,
      detail: `acquired from ${tenant.endpoints.login} for ${tenant.endpoints.resource}`,
    });
  } catch (err) {
    fail('token', err);
    return results;
  }

  let subscriptions: Awaited<ReturnType<DiagnosableApiClient['listSubscriptions']>>;
  try {
    subscriptions = await client.listSubscriptions();
  } catch (err) {
    fail(isConnectorError(err, 'PERMISSION_DENIED') ? 'permissions' : 'subscriptions', err);
    return results;
  }

  for (const contentType of tenant.contentTypes) {
    const found = subscriptions.find((s) => s.contentType.toLowerCase() === contentType.toLowerCase());
    const name = `${label}: subscription ${contentType}`;
    if (!found) {
      results.push({
        status: 'WARN',
        name,
        detail: 'not started',
        fix: '`atp-siem run` starts it; the first content can take up to 12 hours to appear',
      });
    } else if (found.status === undefined || found.status.toLowerCase() === 'enabled') {
      results.push({ status: 'OK', name, detail: 'enabled' });
    } else {
      results.push({
        status: 'WARN',
        name,
        detail: found.status,
        fix: '`atp-siem run` starts it again; content created while it was off cannot be recovered',
      });
    }
  }

  // Subscriptions listed → ActivityFeed.Read is there; listing content checks each content type
  // (DLP.All needs ActivityFeed.ReadDlp). "No subscription" still means the call was authorised.
  const denied: string[] = [];
  for (const contentType of tenant.contentTypes) {
    try {
      await client.probeContent(contentType);
    } catch (err) {
      if (isConnectorError(err, 'PERMISSION_DENIED')) denied.push(contentType);
      else if (!isConnectorError(err, 'SUBSCRIPTION_MISSING', 'SUBSCRIPTION_DISABLED'))
        fail(`content listing ${contentType}`, err);
    }
  }
  if (denied.length > 0) {
    results.push({
      status: 'FAIL',
      name: `${label}: permissions`,
      detail: `AF10001, the token lacks the permission to list ${denied.join(', ')}`,
      fix: FIXES.PERMISSION_DENIED,
    });
  } else {
    results.push({
      status: 'OK',
      name: `${label}: permissions`,
      detail: `content listing allowed for ${tenant.contentTypes.join(', ')}`,
    });
  }

  const skewMs = client.clockSkewMs();
  const skew = `${Math.round(skewMs / 1000)} s (server minus local, from the Date header)`;
  if (Math.abs(skewMs) > 60_000) {
    results.push({
      status: 'WARN',
      name: `${label}: clock`,
      detail: `skew ${skew}`,
      fix: "synchronise this host's clock (NTP); time windows are computed from it",
    });
  } else {
    results.push({ status: 'OK', name: `${label}: clock`, detail: `skew ${skew}` });
  }
  return results;
}

/**
 * Checks one sink: it can be built from its configuration, and its healthcheck (connect, authenticate,
 * without sending data) passes. A disabled sink is reported, not contacted.
 */
export async function checkSink(
  sink: SinkConfig,
  ctx: { logger: Logger; baseDir: string },
): Promise<CheckResult> {
  const name = `sink ${sink.name}`;
  if (!sink.enabled)
    return {
      status: 'WARN',
      name,
      detail: 'disabled (enabled: false)',
      fix: 'set enabled: true to deliver to it',
    };
  let created;
  try {
    created = await createSink(sink, ctx);
  } catch (err) {
    const detail = scrubSecrets(describeError(err));
    return { status: 'FAIL', name, detail, fix: explainFailure(detail) };
  }
  try {
    if (!created.healthcheck)
      return { status: 'OK', name, detail: `${sink.type}, ${sink.format}: nothing to contact` };
    await created.healthcheck(AbortSignal.timeout(Math.min(sink.timeoutMs, 15_000)));
    return { status: 'OK', name, detail: `${sink.type}, ${sink.format}: connected and authenticated` };
  } catch (err) {
    const detail = scrubSecrets(describeError(err));
    return {
      status: 'FAIL',
      name,
      detail,
      fix: `${explainFailure(detail)} (atp-siem sinks test ${sink.name} sends a test event)`,
    };
  } finally {
    await created.close().catch(() => undefined);
  }
}

/** Formats one result: `OK   name: detail` plus an indented fix line. */
export function formatResult(r: CheckResult): string {
  const head = `${r.status.padEnd(4)} ${r.name}: ${r.detail}`;
  return r.fix && r.status !== 'OK' ? `${head}\n     fix: ${r.fix}` : head;
}

/**
 * Runs every check, printing each result as it comes; returns them all.
 * @example const results = await runDoctor({ config: 'atp-siem.yaml' });
 */
export async function runDoctor(
  options: { config: string; tenant?: string; verbose?: boolean },
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const print = (r: CheckResult) => {
    results.push(r);
    write(`${formatResult(r)}\n`);
  };
  let config: Config;
  try {
    config = await loadConfig(options.config);
  } catch (err) {
    const detail = err instanceof ConfigError ? err.message : describeError(err);
    print({ status: 'FAIL', name: 'config', detail, fix: 'correct the listed keys and run doctor again' });
    return results;
  }
  const tenants = config.tenants.filter(
    (t) => !options.tenant || t.name === options.tenant || t.tenantId === options.tenant,
  );
  print({
    status: 'OK',
    name: 'config',
    detail: `${config.configPath} (${config.tenants.length} tenant${config.tenants.length === 1 ? '' : 's'})`,
  });
  if (tenants.length === 0) {
    print({
      status: 'FAIL',
      name: 'tenant',
      detail: `no tenant named ${options.tenant ?? ''}`,
      fix: 'use a name or tenant_id from the file',
    });
    return results;
  }
  const logger = createLogger({ level: options.verbose ? 'debug' : 'silent', name: 'doctor' });
  for (const tenant of tenants) {
    const client = createApiClient(tenant, {
      logger,
      budgetPerMinute: config.collector.requestBudgetPerMinute,
      retryPolicy: { maxAttempts: 2, baseDelayMs: 500, maxDelayMs: 5000 },
    });
    try {
      for (const r of await checkTenant(tenant, client)) print(r);
    } finally {
      await client.close();
    }
  }
  if (!options.tenant) {
    for (const sink of config.sinks)
      print(await checkSink(sink, { logger, baseDir: path.dirname(config.configPath) }));
  }
  return results;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check the configuration, credentials, permissions, subscriptions and clock of each tenant, and reach every sink.',
    )
    .requiredOption('-c, --config <file>', 'configuration file (YAML)')
    .option('--tenant <name>', 'check only this tenant (name or tenant_id)')
    .option('--verbose', 'log each request on stderr')
    .action(async (opts: { config: string; tenant?: string; verbose?: boolean }) => {
      const results = await runDoctor(opts);
      const failed = results.filter((r) => r.status === 'FAIL').length;
      process.stdout.write(
        failed === 0 ? 'All checks passed.\n' : `${failed} check${failed === 1 ? '' : 's'} failed.\n`,
      );
      if (failed > 0) process.exitCode = 1;
    });
}
