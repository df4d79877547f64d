/**
 * Profiling aid for one sink: starts its bench receiver in this process and runs bench/sink-delivery.ts in
 * a child. Usage: sink-profile.ts BASE_CONFIG DATA_DIR SINK [--cpu-prof DIR]. With --cpu-prof, the child
 * writes a V8 CPU profile to DIR (run this process with `node --cpu-prof` to profile the receiver too).
 * Prints the child's JSON line and this process's CPU time (the receiver's share of the machine).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElasticsearchTestServer } from '../test/servers/elasticsearch.js';
import { startRsyslog } from '../test/servers/rsyslog.js';
import { startHecServer } from '../test/servers/splunk-hec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [base, dataDir, sink, flag, profDir] = process.argv.slice(2);
if (!base || !dataDir || !sink)
  throw new Error('usage: sink-profile.ts BASE_CONFIG DATA_DIR SINK [--cpu-prof DIR]');
const extra = process.env.BENCH_SINK_KEYS ?? '';

async function run(yaml: string, env: Record<string, string> = {}): Promise<void> {
  const config = path.join(path.dirname(base as string), `profile-${sink}.yaml`);
  await writeFile(config, `${await readFile(base as string, 'utf8')}\nsinks:\n${yaml}`);
  const args = [
    ...(flag === '--cpu-prof' && profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    '--import',
    'tsx',
    'bench/sink-delivery.ts',
    config,
    dataDir as string,
    sink as string,
  ];
  const before = process.cpuUsage();
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const cpu = process.cpuUsage(before);
  process.stdout.write(out);
  process.stdout.write(
    `${JSON.stringify({ exit: code, receiver_cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)) })}\n`,
  );
}

if (sink === 'syslog') {
  const rs = await startRsyslog();
  try {
    await run(`  - { name: syslog, type: syslog, url: "tcp://127.0.0.1:${rs.tcpPort}"${extra} }\n`);
  } finally {
    await rs.close();
  }
} else if (sink === 'splunk-hec') {
  const hec = await startHecServer();
  try {
    await run(
      `  - { name: splunk-hec, type: splunk-hec, url: "${hec.url}", token: { env: BENCH_HEC_TOKEN }${extra} }\n`,
      { BENCH_HEC_TOKEN: hec.tokens.main ?? '' },
    );
  } finally {
    await hec.close();
  }
} else if (sink === 'elasticsearch') {
  const es = await ElasticsearchTestServer.start();
  try {
    await run(`  - { name: elasticsearch, type: elasticsearch, url: "${es.url}"${extra} }\n`);
  } finally {
    await es.close();
  }
} else throw new Error(`no receiver for ${sink}`);
