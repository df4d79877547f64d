/**
 * `atp-siem emulator`: runs the Office 365 Management Activity API emulator
 * (login + API on one loopback port) until interrupted. Prints one JSON line
 * `{"event":"listening",...}` on stdout so scripts can read the port.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ALL_CONTENT_TYPES, startEmulator } from '../emulator/index.js';
import { collect, number, parseFault, parseTenantState, toEmulatorOptions } from '../emulator/cli-options.js';
import { FAULT_KINDS } from '../emulator/faults.js';
import { TENANT_STATES } from '../emulator/directory.js';

export function register(program: Command): void {
  program
    .command('emulator')
    .description(
      'Run a local Office 365 Management Activity API (Entra ID token endpoints + activity feed) with generated or replayed Defender records and optional fault injection.',
    )
    .option(
      '--port <n>',
      'TCP port; 0 picks a free one (printed in the listening line)',
      number('--port', 0, 65535),
      0,
    )
    .option(
      '--host <address>',
      'address to bind (keep loopback: the emulator hands out tokens to anyone who can reach it)',
      '127.0.0.1',
    )
    .option(
      '--tenant <guid[=domain]>',
      'emulated tenant GUID, optionally with its verified domain (repeatable; default: one tenant derived from --seed)',
      collect,
    )
    .option(
      '--tenant-state <guid=state>',
      `start a tenant in a state: ${TENANT_STATES.join(', ')} (repeatable)`,
      parseTenantState,
    )
    .option(
      '--client-id <id>',
      'application (client) id accepted by the token endpoints (default: derived from --seed, printed)',
    )
    .option('--client-secret <secret>', 'client secret accepted (default: random, printed once on stdout)')
    .option(
      '--client-cert <file>',
      'PEM certificate whose key may sign client assertions (RS256/PS256, x5t or x5t#S256; repeatable)',
      collect,
    )
    .option(
      '--roles <list>',
      'comma-separated application roles in issued tokens',
      'ActivityFeed.Read,ActivityFeed.ReadDlp,ServiceHealth.Read',
    )
    .option(
      '--resource <uri>',
      'API resource: v1 resource= and v2 scope base; the token audience',
      'https://manage.office.com',
    )
    .option('--token-lifetime <duration>', 'lifetime of issued tokens (wall clock)', '3599s')
    .option('--seed <n>', 'seed for ids, records and fault decisions', number('--seed', 0), 1)
    .option(
      '--history <duration>',
      'backlog of content already published at start, e.g. 7d, 6h (default 7d; 0 with --replay)',
    )
    .option(
      '--history-records <n>',
      'records per tenant in the backlog',
      number('--history-records', 0),
      2000,
    )
    .option(
      '--rate <n>',
      'live records per wall-clock second per tenant (default 2; 0 with --replay)',
      number('--rate', 0),
    )
    .option(
      '--speed <n>',
      'emulated time runs N times faster than the wall clock',
      number('--speed', 0.001),
      1,
    )
    .option(
      '--clock-skew <duration>',
      'shift of the service clock (Date header, time rules), e.g. 5m or -2m',
      '0',
    )
    .option('--page-size <n>', 'content items per /subscriptions/content page', number('--page-size', 1), 50)
    .option(
      '--records-per-blob <n>',
      'records per content blob; with --replay, 0 = one blob per tenant and content type',
      number('--records-per-blob', 0),
      50,
    )
    .option(
      '--blob-interval <duration>',
      'publish a partly filled live blob after this long (wall clock)',
      '5s',
    )
    .option(
      '--fault-rate <r>',
      'turn on every fault kind: R (0-1) of requests fail in total, late and duplicate blobs each at R',
      number('--fault-rate', 0, 1),
    )
    .option(
      '--fault <kind=rate>',
      `one fault kind at its own rate (repeatable); kinds: ${FAULT_KINDS.join(', ')}`,
      parseFault,
    )
    .option(
      '--fault-max-consecutive <n>',
      'most times in a row the same request may fail (faults stay transient)',
      number('--fault-max-consecutive', 1),
      2,
    )
    .option('--slow <duration>', 'delay of a "slow" fault', '2s')
    .option(
      '--expire-rate <r>',
      'share of blobs published already expired (fetch → AF20051; flagged in the ground truth)',
      number('--expire-rate', 0, 1),
      0,
    )
    .option(
      '--throttle-limit <n>',
      'requests per minute per tenant with PublisherIdentifier',
      number('--throttle-limit', 1),
      2000,
    )
    .option(
      '--throttle-shared-limit <n>',
      'requests per minute shared by all calls without PublisherIdentifier',
      number('--throttle-shared-limit', 1),
      500,
    )
    .addOption(
      new Option('--throttle-status <code>', 'HTTP status of AF429').choices(['403', '429']).default('403'),
    )
    .option('--retry-after', 'send Retry-After with AF429 (undocumented; off like the real service)')
    .addOption(
      new Option('--default-window <kind>', 'content window when startTime/endTime are omitted')
        .choices(['last24h', 'today'])
        .default('last24h'),
    )
    .option('--start-grace <duration>', 'accepted age of startTime beyond 7 days', '1h')
    .option('--legacy-time-error', 'answer time-rule violations with AF20030 instead of AF20055')
    .option(
      '--start-cooldown <duration>',
      'minimum time between start calls per content type (real: 15m; off by default)',
      '0',
    )
    .option(
      '--first-content-delay <duration>',
      'no content listed until this long after the first start (real: up to 12h)',
      '0',
    )
    .addOption(
      new Option('--next-page-header <name>', 'spelling of the next-page header')
        .choices(['NextPageUri', 'NextPageUrl', 'nextpageuri'])
        .default('NextPageUri'),
    )
    .option('--next-page-v1-path', 'use /api/v1/ instead of /api/v1.0/ in next-page links')
    .option('--next-page-drop-publisher', 'leave PublisherIdentifier out of next-page links')
    .option(
      '--replay <file>',
      'publish the records of an NDJSON file (one record per line) instead of generated ones',
    )
    .option(
      '--ground-truth <file>',
      'append one NDJSON line per published record (and expired/withdrawn blobs)',
    )
    .option(
      '--write-config <file>',
      'write a collector config (YAML) for the emulated tenants, secret in a 0600 file beside it',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--webhook-ca <file>', 'extra CA certificate (PEM) trusted when calling webhooks')
    .option(
      '--webhook-max-failures <n>',
      'failed notification pushes in a row before a webhook is disabled',
      number('--webhook-max-failures', 1),
      6,
    )
    .option('--webhook-retry <duration>', 'first retry interval of a failed push, doubling each time', '1s')
    .option(
      '--allow-remote-webhooks',
      'call webhook addresses outside loopback when validating subscriptions',
    )
    .option('--log-level <level>', 'pino level on stderr (debug logs every request)', 'info')
    .action(async (opts: Record<string, unknown>) => {
      const options = toEmulatorOptions(opts);
      const emulator = await startEmulator(options);
      const line: Record<string, unknown> = {
        event: 'listening',
        url: emulator.url,
        port: emulator.port,
        tenants: emulator.tenants,
        tenantDomains: emulator.tenantDomains,
        clientId: emulator.clientId,
        publisherId: emulator.publisherId,
        resource: emulator.resource,
        contentTypes: ALL_CONTENT_TYPES,
      };
      // A secret the user did not choose is printed once so they can use it.
      if (opts.clientSecret === undefined) line.clientSecret = emulator.clientSecret;
      if (emulator.replay) line.replay = emulator.replay;
      process.stdout.write(`${JSON.stringify(line)}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await emulator.close();
    });
}
