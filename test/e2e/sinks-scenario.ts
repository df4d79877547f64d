/**
 * Every sink type configured at once against its receiver, for the end-to-end delivery tests: a real
 * rsyslogd, and the Splunk HEC, Elasticsearch, Sentinel and webhook test servers (each following its
 * vendor's protocol), plus an NDJSON file. Gives the `sinks:` YAML to append to a collector configuration,
 * the environment holding the sinks' secrets, and what each receiver holds, by record Id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.js';
import { ElasticsearchTestServer } from '../servers/elasticsearch.js';
import { startRsyslog, type Rsyslog } from '../servers/rsyslog.js';
import { startSentinelServer, type SentinelServer } from '../servers/sentinel.js';
import { startHecServer, type HecServer } from '../servers/splunk-hec.js';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook.js';
import { startEmulatorProcess, waitFor, type CliProcess } from './helpers.js';
import { EMULATOR_ARGS } from './scenario.js';

export const SINK_NAMES = ['syslog', 'splunk', 'elastic', 'sentinel', 'file', 'webhook'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

const HOOK_SECRET = 'e2e-webhook-secret-0123456789abcdef';

export interface Receivers {
  rsyslog: Rsyslog;
  hec: HecServer;
  es: ElasticsearchTestServer;
  sentinel: SentinelServer;
  webhook: WebhookReceiver;
  file: string;
  /** The `sinks:` section (YAML) pointing at them. */
  yaml: string;
  /** Environment variables the section's secret references name. */
  env: Record<string, string>;
  /** What each receiver holds: record Id → times received. */
  received(known: Set<string>): Promise<Record<SinkName, Map<string, number>>>;
  close(): Promise<void>;
}

/** Counts, per text, the first known record Id it carries (one received event = one text). */
export function countIds(texts: readonly string[], known: Set<string>): Map<string, number> {
  const counts = new Map<string, number>();
  const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
  for (const text of texts) {
    for (const match of text.matchAll(guid)) {
      const id = match[0];
      if (!known.has(id)) continue;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      break;
    }
  }
  return counts;
}

/**
 * Starts every receiver; `batch` sets each sink's batch size (small batches make many commits).
 * @example const r = await startReceivers(dir, { maxEvents: 50 }); … await r.close();
 */
export async function startReceivers(
  dir: string,
  batch: { maxEvents: number } = { maxEvents: 200 },
): Promise<Receivers> {
  const rsyslog = await startRsyslog();
  const hec = await startHecServer();
  const es = await ElasticsearchTestServer.start();
  const sentinel = await startSentinelServer();
  const webhook = await startWebhookReceiver({ secret: HOOK_SECRET });
  const file = path.join(dir, 'events.ndjson');
  const common = `    batch: { max_events: ${batch.maxEvents}, max_wait: 200ms }\n    timeout: 10s\n`;
  const yaml = `sinks:
  - name: syslog
    type: syslog
    url: tcp://127.0.0.1:${rsyslog.tcpPort}
${common}  - name: splunk
    type: splunk-hec
    url: ${hec.url}
    token: { env: E2E_HEC_TOKEN }
${common}  - name: elastic
    type: elasticsearch
    url: ${es.url}
${common}  - name: sentinel
    type: sentinel
    endpoint: ${sentinel.ingestUrl}
    dcr_immutable_id: ${sentinel.dcrImmutableId}
    stream: ${sentinel.stream}
    tenant_id: ${sentinel.tenantId}
    client_id: ${sentinel.clientId}
    client_secret: { env: E2E_SENTINEL_SECRET }
    authority: ${sentinel.loginUrl}
    tls: { ca_file: ${sentinel.caFile} }
${common}  - name: file
    type: file
    path: ${file}
${common}  - name: webhook
    type: webhook
    url: ${webhook.url}
    secret: { env: E2E_HOOK_SECRET }
${common}`;
  const env = {
    E2E_HEC_TOKEN: hec.tokens.main ?? '',
    E2E_SENTINEL_SECRET: sentinel.clientSecret,
    E2E_HOOK_SECRET: HOOK_SECRET,
  };
  return {
    rsyslog,
    hec,
    es,
    sentinel,
    webhook,
    file,
    yaml,
    env,
    async received(known) {
      const fileLines = existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [];
      return {
        syslog: countIds(await rsyslog.records(), known),
        splunk: countIds(
          hec.indexed.map((e) => (typeof e.event === 'string' ? e.event : JSON.stringify(e.event))),
          known,
        ),
        elastic: countIds(
          es.documents().map((d) => d.source),
          known,
        ),
        sentinel: countIds(
          sentinel.rows().map((r) => String(r.row.Id ?? '')),
          known,
        ),
        file: countIds(fileLines, known),
        webhook: countIds(webhook.events, known),
      };
    },
    async close() {
      await Promise.allSettled([rsyslog.close(), hec.close(), es.close(), sentinel.close(), webhook.close()]);
    },
  };
}

/** Every record Id in the store, and each sink's lag, read without disturbing a running collector. */
export async function storeView(dataDir: string): Promise<{ ids: Set<string>; lag: Record<string, number> }> {
  const store = await openStore({ dataDir, readonly: true });
  try {
    const ids = new Set<string>();
    let offset = 0;
    for (;;) {
      const page = await store.readFrom(offset, 5000);
      if (page.length === 0) break;
      for (const r of page) ids.add(r.id);
      offset = page[page.length - 1]?.offset ?? offset;
    }
    const lag: Record<string, number> = {};
    for (const s of await store.sinkStatus(new Date().toISOString(), [...SINK_NAMES]))
      lag[s.sink] = s.lagEvents;
    return { ids, lag };
  } finally {
    await store.close();
  }
}

export interface DeliveryScenario {
  dir: string;
  gtFile: string;
  /** The collector configuration the emulator wrote, with the receivers' `sinks:` appended. */
  config: string;
  data: string;
  emulator: CliProcess;
  receivers: Receivers;
}

/**
 * A temporary folder, the emulator (the shared scenario, `extraArgs` appended) and every receiver, with
 * the sinks appended to the collector configuration the emulator wrote.
 * @example const s = await startDeliveryScenario({ maxEvents: 25, extraArgs: ['--history-records', '8000'] });
 */
export async function startDeliveryScenario(options: {
  maxEvents: number;
  extraArgs?: string[];
}): Promise<DeliveryScenario> {
  const dir = await mkdtemp(path.join(tmpdir(), 'atp-sinks-'));
  const gtFile = path.join(dir, 'ground-truth.ndjson');
  const config = path.join(dir, 'collector.yaml');
  const emulator = await startEmulatorProcess([
    ...EMULATOR_ARGS,
    ...(options.extraArgs ?? []),
    '--ground-truth',
    gtFile,
    '--write-config',
    config,
  ]);
  const receivers = await startReceivers(dir, { maxEvents: options.maxEvents });
  await appendFile(config, `\n${receivers.yaml}`);
  return { dir, gtFile, config, data: path.join(dir, 'data'), emulator, receivers };
}

/** Waits until every sink has delivered everything stored (lag 0), failing if `collector` exits. */
export async function awaitSinksCaughtUp(
  collector: CliProcess,
  dataDir: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      if (collector.proc.exitCode !== null) throw new Error(`collector exited: ${collector.stderr()}`);
      const { lag } = await storeView(dataDir);
      return SINK_NAMES.every((s) => lag[s] === 0);
    },
    'every sink to deliver everything stored',
    timeoutMs,
    500,
  );
}

/** Per sink: how many stored records it lacks and how many it received more than once. */
export async function deliveryReport(
  receivers: Receivers,
  dataDir: string,
): Promise<{ records: number; missing: Record<SinkName, number>; twice: Record<SinkName, number> }> {
  const { ids } = await storeView(dataDir);
  const received = await receivers.received(ids);
  const missing = {} as Record<SinkName, number>;
  const twice = {} as Record<SinkName, number>;
  for (const sink of SINK_NAMES) {
    missing[sink] = [...ids].filter((id) => !received[sink].has(id)).length;
    twice[sink] = [...received[sink].values()].filter((n) => n > 1).length;
  }
  return { records: ids.size, missing, twice };
}
