/**
 * A real rsyslogd on loopback for sink tests and the bench: plain TCP (imtcp), TLS (imtcp + gtls, anonymous
 * clients) and UDP (imudp) inputs, every message written to one file as rsyslog received it (`%rawmsg%`,
 * control characters kept, one message per line). Configuration as in spec §4; `stop()`/`start()` restart
 * it on the same ports, to test reconnects and outages.
 *
 * @example
 *   const rs = await startRsyslog();
 *   // point a sink at tcp://127.0.0.1:${rs.tcpPort}, send, then
 *   const lines = await rs.waitFor((all) => all.length >= 3);
 *   await rs.close();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTestPki } from '../../src/api/testing/pki.js';

const execFileAsync = promisify(execFile);

export const RSYSLOGD = process.env.RSYSLOGD ?? '/usr/sbin/rsyslogd';

export interface RsyslogOptions {
  /** rsyslog's `maxMessageSize`; undefined keeps rsyslog's own default (8,096 bytes measured). Default "64k". */
  maxMessageSize?: string | undefined;
  /** Drop what is over maxMessageSize instead of delivering it as a second, bogus message (default true). */
  discardTruncatedMsg?: boolean;
  /** How long `start` waits for the inputs (default 10 s). */
  startTimeoutMs?: number;
}

export interface Rsyslog {
  readonly dir: string;
  readonly tcpPort: number;
  readonly tlsPort: number;
  readonly udpPort: number;
  /** The CA that signed the TLS input's certificate (server cert for IP 127.0.0.1). */
  readonly caFile: string;
  /** The output file: one received message per line. */
  readonly outFile: string;
  readonly running: boolean;
  /** Every message written so far (lines of the output file), from `fromByte` on. */
  records(fromByte?: number): Promise<string[]>;
  /** The output file's size, to read only what comes after a point. */
  size(): Promise<number>;
  /** Polls the output until `done(records)` holds or the wait ends; then returns the records either way. */
  waitFor(
    done: (records: string[]) => boolean,
    options?: { timeoutMs?: number; fromByte?: number },
  ): Promise<string[]>;
  /** What rsyslogd wrote to stderr (its internal errors, with `-n`). */
  stderr(): string;
  /** SIGTERM (rsyslog flushes and closes its connections), then waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** A UDP port free right now (imudp cannot report an ephemeral port of its own). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function config(
  dir: string,
  ports: { tcp: number; tls: number; udp: number },
  options: RsyslogOptions,
): string {
  const size = options.maxMessageSize === undefined ? '' : ` maxMessageSize="${options.maxMessageSize}"`;
  const discard = (options.discardTruncatedMsg ?? true) ? 'on' : 'off';
  return `
global(workDirectory="${dir}/work"${size}
       parser.escapeControlCharactersOnReceive="off"
       DefaultNetstreamDriverCAFile="${dir}/pki/ca.pem"
       DefaultNetstreamDriverCertFile="${dir}/pki/server.pem"
       DefaultNetstreamDriverKeyFile="${dir}/pki/server.key")
module(load="imtcp")
module(load="imudp")
template(name="Raw" type="string" string="%rawmsg%\\n")
ruleset(name="capture") { action(type="omfile" file="${dir}/out/raw.log" template="Raw") }
input(type="imtcp" name="plain" address="127.0.0.1" port="${ports.tcp}"
      listenPortFileName="${dir}/tcp.port" ruleset="capture" discardTruncatedMsg="${discard}")
input(type="imtcp" name="tls" address="127.0.0.1" port="${ports.tls}" listenPortFileName="${dir}/tls.port"
      ruleset="capture" discardTruncatedMsg="${discard}"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imudp" address="127.0.0.1" port="${ports.udp}" ruleset="capture")
`;
}

async function readPort(file: string): Promise<number | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function poll<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 10,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Starts rsyslogd in a fresh temp folder; fails at once, with rsyslogd's own messages, when its
 * configuration is refused or it exits before its inputs listen.
 */
export async function startRsyslog(options: RsyslogOptions = {}): Promise<Rsyslog> {
  // An explicit `maxMessageSize: undefined` overrides the 64k default (rsyslog's own default then applies).
  const opts: RsyslogOptions = { maxMessageSize: '64k', ...options };
  if (!existsSync(RSYSLOGD))
    throw new Error(`rsyslogd not found at ${RSYSLOGD}: install rsyslog and rsyslog-gnutls`);
  const dir = await mkdtemp(path.join(tmpdir(), 'atp-rsyslog-'));
  await Promise.all(['work', 'out', 'pki'].map((d) => mkdir(path.join(dir, d))));
  makeTestPki(path.join(dir, 'pki'), { client: false });
  const confFile = path.join(dir, 'rsyslog.conf');
  const outFile = path.join(dir, 'out', 'raw.log');
  const ports = { tcp: 0, tls: 0, udp: await freeUdpPort() };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  let probes = 0;
  const killOnExit = () => child?.kill('SIGKILL');

  const records = async (fromByte = 0): Promise<string[]> => {
    let data: Buffer;
    try {
      data = await readFile(outFile);
    } catch {
      return [];
    }
    const text = data.subarray(fromByte).toString('utf8');
    const lines = text.split('\n');
    // The last piece is what follows the final newline: empty, or a line rsyslog is still writing.
    lines.pop();
    return lines;
  };

  async function launch(): Promise<void> {
    await writeFile(confFile, config(dir, ports, opts));
    await rm(path.join(dir, 'tcp.port'), { force: true });
    await rm(path.join(dir, 'tls.port'), { force: true });
    try {
      await execFileAsync(RSYSLOGD, ['-N1', '-f', confFile], { timeout: 10_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `rsyslogd refused its configuration ${confFile}:\n${e.stderr ?? ''}${e.stdout ?? e.message}`,
      );
    }
    const proc = spawn(RSYSLOGD, ['-n', '-f', confFile, '-i', path.join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let gone = false;
    exited = new Promise((resolve) =>
      proc.once('exit', () => {
        gone = true;
        resolve();
      }),
    );
    process.once('exit', killOnExit);
    const timeoutMs = opts.startTimeoutMs ?? 10_000;
    // rsyslog writes listenPortFileName only for port 0; a restart on the known ports is probed by connecting.
    const listening = await poll(async () => {
      if (gone) return null;
      if (ports.tcp !== 0)
        return (await canConnect(ports.tcp)) && (await canConnect(ports.tls)) ? ports : undefined;
      const tcp = await readPort(path.join(dir, 'tcp.port'));
      const tls = await readPort(path.join(dir, 'tls.port'));
      return tcp !== undefined && tls !== undefined ? { tcp, tls } : undefined;
    }, timeoutMs);
    if (listening === undefined || listening === null) {
      const why = listening === null ? 'exited' : `did not listen within ${timeoutMs} ms`;
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`rsyslogd ${why} (config ${confFile}); its stderr:\n${stderr}`);
    }
    ports.tcp = listening.tcp;
    ports.tls = listening.tls;
    // imudp has no port file: a probe datagram that reaches the output proves the input and the action work.
    probes += 1;
    const marker = `rsyslog-probe-${probes}`;
    const probe = createSocket('udp4');
    try {
      const seen = await poll(
        async () => {
          probe.send(`<14>1 - ${marker}.atp-siem.test probe - - - probe`, ports.udp, '127.0.0.1');
          const got = await records();
          return got.some((line) => line.includes(marker)) ? true : undefined;
        },
        timeoutMs,
        25,
      );
      if (seen === undefined) throw new Error(`rsyslogd wrote nothing for a UDP probe; stderr:\n${stderr}`);
    } finally {
      probe.close();
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    process.off('exit', killOnExit);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }

  await launch();
  return {
    dir,
    get tcpPort() {
      return ports.tcp;
    },
    get tlsPort() {
      return ports.tls;
    },
    udpPort: ports.udp,
    caFile: path.join(dir, 'pki', 'ca.pem'),
    outFile,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    records,
    async size() {
      try {
        return (await stat(outFile)).size;
      } catch {
        return 0;
      }
    },
    async waitFor(done, waitOptions = {}) {
      const got = await poll(async () => {
        const all = await records(waitOptions.fromByte);
        return done(all) ? all : undefined;
      }, waitOptions.timeoutMs ?? 5_000);
      return got ?? records(waitOptions.fromByte);
    },
    stderr: () => stderr,
    stop,
    async start() {
      if (child !== undefined) return;
      await launch();
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
