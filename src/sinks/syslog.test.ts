/**
 * The syslog sink against a real rsyslogd (test/servers/rsyslog.ts): the shared contract over TCP, TLS and
 * UDP, then what syslog adds — header shapes read back from what rsyslog wrote, framing, hostile text,
 * size limits, reconnects, TLS verification and close_notify.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRsyslog, type Rsyslog } from '../../test/servers/rsyslog.js';
import { startTcpProxy, type TcpProxy } from '../../test/servers/tcp-proxy.js';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { parseCef } from '../../test/helpers/cef-leef-parser.js';
import { isConnectorError } from '../api/errors.js';
import type { FormatId } from '../formats/index.js';
import { contractEvents, runSinkContract, type FailureMode, type SinkHarness } from './sink.contract.js';
import { DEFAULT_MAX_MESSAGE_BYTES, syslogSink, type SyslogSinkConfig } from './syslog/index.js';
import { bsdTimestamp } from './syslog/message.js';
import type { Sink, SinkEvent } from './types.js';

const logger = pino({ level: 'silent' });
const HOST_SUFFIX = '.atp-siem.test';
let serial = 0;

function configOf(entry: Record<string, unknown>): SyslogSinkConfig {
  return syslogSink.configSchema.parse({ name: 'siem', type: 'syslog', ...entry });
}

async function createSink(entry: Record<string, unknown>): Promise<Sink> {
  return syslogSink.create(configOf(entry), { logger, baseDir: process.cwd() });
}

/** HOSTNAME of an RFC 5424 or RFC 3164 line as rsyslog wrote it, or undefined when it is neither. */
function hostOf(line: string): string | undefined {
  return (
    /^<\d{1,3}>1 \S+ (\S+) /.exec(line)?.[1] ??
    /^<\d{1,3}>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (\S+) /.exec(line)?.[1]
  );
}

/**
 * What one sink (identified by its own HOSTNAME) made rsyslog write since `fromByte`. Lines of other test
 * sinks and probes are left out; anything else stays in, so a message broken into two lines is counted twice.
 */
function linesOf(all: string[], hostname: string): string[] {
  return all.filter((line) => {
    const host = hostOf(line);
    return host === hostname || host === undefined || !host.endsWith(HOST_SUFFIX);
  });
}

interface Started {
  rs: Rsyslog;
  sink: Sink;
  hostname: string;
  fromByte: number;
  received(atLeast?: number): Promise<string[]>;
}

async function startSink(rs: Rsyslog, entry: Record<string, unknown>): Promise<Started> {
  serial += 1;
  const hostname = `h${serial}${HOST_SUFFIX}`;
  const fromByte = await rs.size();
  const sink = await createSink({ hostname, ...entry });
  return {
    rs,
    sink,
    hostname,
    fromByte,
    async received(atLeast = 1) {
      const all = await rs.waitFor((lines) => linesOf(lines, hostname).length >= atLeast, { fromByte });
      return linesOf(all, hostname);
    },
  };
}

/** MSG of an RFC 5424 line with NILVALUE structured data. */
function msgOf(line: string): string {
  const match = /^<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ - (.*)$/s.exec(line);
  if (!match) throw new Error(`not an RFC 5424 line with no SD: ${line.slice(0, 120)}`);
  return match[1]!;
}

function abortIn(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

let rs: Rsyslog;
beforeAll(async () => {
  rs = await startRsyslog();
});
afterAll(async () => {
  await rs?.close();
});

interface HarnessSpec {
  scheme: 'tcp' | 'tls' | 'udp';
  format: FormatId;
  extra?: Record<string, unknown>;
  /** Put a fault-injecting proxy between sink and rsyslog. */
  proxy?: boolean;
}

/**
 * A contract harness: a sink with its own HOSTNAME pointed at rsyslog (or at a proxy in front of it), warmed
 * up with a healthcheck so that faults hit an established connection.
 */
function harness(spec: HarnessSpec): () => Promise<SinkHarness> {
  return async () => {
    const upstream = spec.scheme === 'tcp' ? rs.tcpPort : spec.scheme === 'tls' ? rs.tlsPort : rs.udpPort;
    const proxy: TcpProxy | undefined = spec.proxy ? await startTcpProxy(upstream) : undefined;
    const port = proxy?.port ?? upstream;
    const s = await startSink(rs, {
      url: `${spec.scheme}://127.0.0.1:${port}`,
      format: spec.format,
      ...(spec.scheme === 'tls' ? { tls: { ca_file: rs.caFile } } : {}),
      ...spec.extra,
    });
    await s.sink.healthcheck?.(abortIn());
    return {
      sink: s.sink,
      format: spec.format,
      received: (atLeast) => s.received(atLeast),
      async fail(mode: FailureMode) {
        if (mode === 'unavailable' && proxy === undefined) await rs.stop();
        else if ((mode === 'reset' || mode === 'hang') && proxy !== undefined) await proxy.setMode(mode);
        else throw new Error(`this harness cannot make the receiver fail as ${mode}`);
      },
      async heal() {
        await rs.start();
        await proxy?.setMode('pass');
      },
      async close() {
        await s.sink.close();
        await proxy?.close();
        await rs.start();
      },
    };
  };
}

// Plain TCP: rsyslog stopped is "unavailable" (its FIN is noticed, then the port refuses). Through the proxy,
// an established connection is reset. "hang" is not in the contract for plain TCP: a receiver that accepts
// and never reads is indistinguishable until the socket buffers fill (an own case below shows that).
runSinkContract('syslog over TCP to rsyslog (CEF, LF framing)', harness({ scheme: 'tcp', format: 'cef' }), {
  failures: ['unavailable'],
});
runSinkContract(
  'syslog over TCP through a resetting proxy (raw JSON, octet counting)',
  harness({ scheme: 'tcp', format: 'raw', proxy: true, extra: { framing: 'octet-counting' } }),
  { failures: ['reset'] },
);
runSinkContract('syslog over TLS to rsyslog (LEEF)', harness({ scheme: 'tls', format: 'leef' }), {
  failures: ['unavailable'],
});
// A TLS handshake needs the receiver's answer, so a receiver that accepts and stays silent is a real hang.
runSinkContract(
  'syslog over TLS through a resetting or silent proxy (ECS, RFC 3164)',
  harness({ scheme: 'tls', format: 'ecs', proxy: true, extra: { protocol: 'rfc3164' } }),
  { failures: ['reset', 'hang'] },
);
runSinkContract('syslog over UDP to rsyslog (OCSF)', harness({ scheme: 'udp', format: 'ocsf' }), {
  failures: [],
  acknowledged: false,
});

describe('syslog sink configuration', () => {
  it('defaults: CEF, RFC 5424, local4, app atp-siem, LF on TCP, octet counting on TLS, 8096 bytes, UDP 1400', () => {
    const tcp = configOf({ url: 'tcp://siem.example' });
    expect(tcp).toMatchObject({
      format: 'cef',
      transport: 'tcp',
      host: 'siem.example',
      port: 514,
      protocol: 'rfc5424',
      framing: 'lf',
      facility: 20,
      appName: 'atp-siem',
      maxMessageBytes: 8096,
      utf8Bom: false,
    });
    expect(configOf({ url: 'tls://siem.example' })).toMatchObject({ port: 6514, framing: 'octet-counting' });
    expect(configOf({ url: 'udp://[::1]' })).toMatchObject({ host: '::1', port: 514, maxMessageBytes: 1400 });
    expect(DEFAULT_MAX_MESSAGE_BYTES.udp).toBe(1400);
    expect(configOf({ url: 'tcp://h:1514', facility: 'authpriv' }).facility).toBe(10);
    expect(configOf({ url: 'tcp://h:1514', facility: 13 }).facility).toBe(13);
  });

  it.each([
    [{ url: 'http://siem.example' }, 'url', 'tcp://host:port'],
    [{ url: 'tcp://siem.example/x' }, 'url', 'no user, path or query'],
    [{ url: 'tls://siem.example', framing: 'lf' }, 'framing', 'RFC 5425'],
    [{ url: 'udp://siem.example', framing: 'lf' }, 'framing', 'tcp:// and tls:// only'],
    [{ url: 'tcp://siem.example', tls: { ca_file: 'ca.pem' } }, 'tls', 'tls:// urls only'],
    [{ url: 'udp://siem.example', max_message_bytes: 70_000 }, 'max_message_bytes', '65507'],
    [{ url: 'tcp://siem.example', max_message_bytes: 100 }, 'max_message_bytes', 'at least 480'],
    [{ url: 'tcp://siem.example', facility: 'local9' }, 'facility', 'local0'],
    [{ url: 'tcp://siem.example', app_name: 'atp siem' }, 'app_name', 'printable ASCII'],
    [{ url: 'tcp://siem.example', protocol: 'rfc3164', utf8_bom: true }, 'utf8_bom', 'RFC 5424'],
  ])('refuses %j at %s, saying what to write', (entry, key, words) => {
    const parsed = syslogSink.configSchema.safeParse({ name: 'siem', type: 'syslog', ...entry });
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues.find((i) => i.path[0] === key);
    expect(issue?.message).toContain(words);
  });
});

describe('syslog sink against rsyslog', () => {
  const open: Sink[] = [];
  async function started(entry: Record<string, unknown>): Promise<Started> {
    const s = await startSink(rs, entry);
    open.push(s.sink);
    return s;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await rs.start();
  });

  it('writes the RFC 5424 header rsyslog parses back: PRI, version, event time, host, app, procid, msgid, no SD, the CEF as MSG', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}`, facility: 'authpriv' });
    const [event] = contractEvents(1, 'cef');
    expect(await s.sink.send([event!], abortIn())).toEqual({ outcome: 'delivered' });
    const [line] = await s.received(1);
    // The contract events are "Phish detected after delivery": medium, syslog 4 (warning); authpriv is 10.
    expect(line).toBe(
      `<${10 * 8 + 4}>1 ${event!.creationTime} ${s.hostname} atp-siem ${process.pid} ThreatIntelligence - ${event!.payload}`,
    );
    expect(parseCef(msgOf(line!)).severity).toBe('5');
  });

  it('writes the RFC 3164 shape: PRI, local "Mmm dd hh:mm:ss", host, then the CEF with no tag', async () => {
    const s = await started({
      url: `tcp://127.0.0.1:${rs.tcpPort}`,
      protocol: 'rfc3164',
      hostname: `x${HOST_SUFFIX}`,
    });
    const [event] = contractEvents(1, 'cef');
    await s.sink.send([event!], abortIn());
    const lines = await rs.waitFor((all) => all.some((l) => l.includes(event!.id)), { fromByte: s.fromByte });
    const line = lines.find((l) => l.includes(event!.id));
    const stamp = bsdTimestamp(new Date(event!.creationTime!));
    expect(line).toBe(`<164>${stamp} x${HOST_SUFFIX} ${event!.payload}`);
  });

  it('starts MSG with the UTF-8 BOM when utf8_bom is set, and rsyslog keeps it', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}`, format: 'ecs', utf8_bom: true });
    const [event] = contractEvents(1, 'ecs', { Subject: 'Grüße' });
    await s.sink.send([event!], abortIn());
    const [line] = await s.received(1);
    expect(msgOf(line!)).toBe(`\ufeff${event!.payload}`);
  });

  it('sends octet-counted or LF frames as configured, and rsyslog takes each frame as one message', async () => {
    const capture = createServer();
    const chunks: Buffer[] = [];
    capture.on('connection', (socket: Socket) => socket.on('data', (c: Buffer) => chunks.push(c)));
    capture.listen(0, '127.0.0.1');
    await once(capture, 'listening');
    const capturePort = (capture.address() as { port: number }).port;
    try {
      for (const framing of ['octet-counting', 'lf'] as const) {
        chunks.length = 0;
        const wire = await started({ url: `tcp://127.0.0.1:${capturePort}`, framing, hostname: 'w' });
        const batch = contractEvents(2, 'cef');
        expect(await wire.sink.send(batch, abortIn())).toEqual({ outcome: 'delivered' });
        await wire.sink.close();
        const bytes = Buffer.concat(chunks).toString('utf8');
        const messages = batch.map(
          (e) => `<164>1 ${e.creationTime} w atp-siem ${process.pid} ThreatIntelligence - ${e.payload}`,
        );
        expect(bytes).toBe(
          framing === 'lf'
            ? messages.map((m) => `${m}\n`).join('')
            : messages.map((m) => `${Buffer.byteLength(m)} ${m}`).join(''),
        );

        const real = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}`, framing });
        await real.sink.send(batch, abortIn());
        const got = await real.received(2);
        expect(got.map(msgOf)).toEqual(batch.map((e) => e.payload));
      }
    } finally {
      capture.close();
    }
  });

  it('keeps hostile text one line and one CEF event: newlines, |, =, backslashes and forged headers read back as sent', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}` });
    const subject = 'a\nb\r\n<13>1 2026-01-01T00:00:00Z forged - - - - CEF:0|x|y|1|2|3|4|msg=pwn\\ | = end';
    const [event] = contractEvents(1, 'cef', { Subject: subject, P2Sender: 'evil|=\\@fabrikam.example' });
    await s.sink.send([event!], abortIn());
    const lines = await s.received(1);
    expect(lines).toHaveLength(1);
    const cef = parseCef(msgOf(lines[0]!));
    expect(cef.extensions.msg).toBe(subject);
    expect(cef.extensions.suser).toBe('evil|=\\@fabrikam.example');
  });

  it('sends pretty-printed raw records (newlines between JSON tokens) as one LF-framed line each, still the same JSON', async () => {
    const s = await started({
      url: `tcp://127.0.0.1:${rs.tcpPort}`,
      format: 'raw',
      max_message_bytes: 32_768,
    });
    const fixtures = loadRecordFixtures();
    const batch: SinkEvent[] = fixtures.map((f, i) => ({
      offset: i + 1,
      tenantId: 't',
      id: `fixture-${i}`,
      recordType: null,
      creationTime: null,
      raw: f.raw,
      payload: f.raw,
      format: 'raw',
    }));
    expect(await s.sink.send(batch, abortIn())).toEqual({ outcome: 'delivered' });
    const lines = await s.received(batch.length);
    expect(lines).toHaveLength(batch.length);
    expect(lines.map((l) => JSON.parse(msgOf(l)) as unknown)).toEqual(
      fixtures.map((f) => JSON.parse(f.raw) as unknown),
    );
  });

  it('cuts a message over max_message_bytes to the limit at a character boundary, marked, as one event', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}`, format: 'ecs', max_message_bytes: 2000 });
    const [event] = contractEvents(1, 'ecs', { Subject: '€'.repeat(3000) });
    const [next] = contractEvents(1, 'ecs');
    await s.sink.send([event!], abortIn());
    await s.sink.send([next!], abortIn());
    const lines = await s.received(2);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(next!.id);
    const bytes = Buffer.byteLength(lines[0]!);
    expect(bytes).toBeLessThanOrEqual(2000);
    expect(bytes).toBeGreaterThan(2000 - 3);
    expect(lines[0]).not.toContain('\ufffd');
    expect(lines[0]!.endsWith(` [atp-siem: truncated, ${Buffer.byteLength(event!.payload)} bytes]`)).toBe(
      true,
    );
  });

  it('reconnects on the next send after rsyslog restarts, and both batches arrive', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}` });
    const first = contractEvents(3, 'cef');
    expect(await s.sink.send(first, abortIn())).toEqual({ outcome: 'delivered' });
    await s.received(3);
    await rs.stop();
    await rs.start();
    const second = contractEvents(3, 'cef');
    expect(await s.sink.send(second, abortIn())).toEqual({ outcome: 'delivered' });
    const lines = await s.received(6);
    expect(lines.map((l) => [...first, ...second].find((e) => l.includes(e.id))?.id)).toEqual(
      [...first, ...second].map((e) => e.id),
    );
  });

  it('answers retryable while rsyslog is down and says which address refused', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}` });
    await rs.stop();
    const result = await s.sink.send(contractEvents(1, 'cef'), abortIn());
    expect(result).toEqual({
      outcome: 'retryable',
      reason: `tcp://127.0.0.1:${rs.tcpPort} refused the connection (nothing listens there)`,
    });
    await expect(s.sink.healthcheck!(abortIn())).rejects.toSatisfy(
      (err: unknown) => isConnectorError(err, 'SINK_UNAVAILABLE') && err.message.includes('refused'),
    );
  });

  it('ends a send by its signal when the receiver stops reading (plain TCP fills the socket buffers)', async () => {
    const proxy = await startTcpProxy(rs.tcpPort);
    try {
      await proxy.setMode('hang');
      const s = await started({ url: `tcp://127.0.0.1:${proxy.port}`, format: 'ecs' });
      const big = contractEvents(1, 'ecs', { Subject: 'x'.repeat(7000) })[0]!;
      // 64 MiB: more than loopback socket buffers hold on both ends.
      const batch = Array.from({ length: 9000 }, (_, i) => ({ ...big, offset: i + 1 }));
      const started_ = Date.now();
      const result = await s.sink.send(batch, AbortSignal.timeout(500));
      expect(result.outcome).toBe('retryable');
      expect(result.outcome === 'retryable' && result.reason).toContain('timed out');
      expect(Date.now() - started_).toBeLessThan(5_000);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a TLS server whose certificate it cannot verify, blocked, telling the operator to set tls.ca_file', async () => {
    const s = await started({ url: `tls://127.0.0.1:${rs.tlsPort}` });
    const result = await s.sink.send(contractEvents(1, 'cef'), abortIn());
    expect(result).toMatchObject({ outcome: 'retryable', blocked: true });
    expect(result.outcome === 'retryable' && result.reason).toMatch(
      new RegExp(
        `^the TLS certificate of tls://127\\.0\\.0\\.1:${rs.tlsPort} is not trusted \\(\\w+: .*set tls\\.ca_file`,
      ),
    );
    await expect(s.sink.healthcheck!(abortIn())).rejects.toSatisfy(
      (err: unknown) => isConnectorError(err, 'CONFIG_INVALID') && err.message.includes('tls.ca_file'),
    );
    expect(linesOf(await rs.records(s.fromByte), s.hostname)).toEqual([]);
  });

  it('delivers over TLS to an unverified server only when tls.verify is false', async () => {
    const s = await started({ url: `tls://127.0.0.1:${rs.tlsPort}`, tls: { verify: false } });
    expect(await s.sink.send(contractEvents(1, 'cef'), abortIn())).toEqual({ outcome: 'delivered' });
    expect(await s.received(1)).toHaveLength(1);
  });

  it('ends TLS with close_notify: rsyslog reports an improper end after a bare disconnect, none after close()', async () => {
    const improper = () => (rs.stderr().match(/non-properly terminated/g) ?? []).length;
    /** A TLS client that sends one message and drops the connection without close_notify. */
    const bareDisconnect = async () => {
      const before = improper();
      const bare = tlsConnect({ host: '127.0.0.1', port: rs.tlsPort, ca: readFileSync(rs.caFile, 'utf8') });
      await once(bare, 'secureConnect');
      const marker = `bare${++serial}.example`;
      bare.write(`<14>1 - ${marker} - - - - bare\n`);
      await rs.waitFor((all) => all.some((l) => l.includes(marker)));
      bare.destroy();
      await expect.poll(improper, { timeout: 5_000 }).toBeGreaterThan(before);
    };
    await bareDisconnect();

    const s = await started({ url: `tls://127.0.0.1:${rs.tlsPort}`, tls: { ca_file: rs.caFile } });
    await s.sink.send(contractEvents(2, 'cef'), abortIn());
    await s.received(2);
    const before = improper();
    await s.sink.close();
    // rsyslog reports connections in the order it reads their end: once the bare one after ours is reported,
    // ours would have been too.
    await bareDisconnect();
    expect(improper()).toBe(before + 1);
  });

  it('sends one UDP datagram per event, cut to 1400 bytes by default', async () => {
    const s = await started({ url: `udp://127.0.0.1:${rs.udpPort}`, format: 'ecs' });
    const batch = contractEvents(3, 'ecs', { Subject: 'y'.repeat(3000) });
    expect(await s.sink.send(batch, abortIn())).toEqual({ outcome: 'delivered' });
    const lines = await s.received(3);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1400);
      expect(line).toMatch(/ \[atp-siem: truncated, \d+ bytes\]$/);
    }
  });

  it('keeps batches sent at the same time whole and in order on the one connection', async () => {
    const s = await started({ url: `tcp://127.0.0.1:${rs.tcpPort}` });
    const a = contractEvents(50, 'cef');
    const b = contractEvents(50, 'cef');
    const results = await Promise.all([s.sink.send(a, abortIn()), s.sink.send(b, abortIn())]);
    expect(results).toEqual([{ outcome: 'delivered' }, { outcome: 'delivered' }]);
    const lines = await s.received(100);
    expect(lines.map((l) => [...a, ...b].find((e) => l.includes(e.id))?.id)).toEqual(
      [...a, ...b].map((e) => e.id),
    );
  });
});

describe('syslog sink against rsyslog with its default message size', () => {
  let small: Rsyslog;
  beforeAll(async () => {
    // rsyslog's own maxMessageSize, and the over-size remainder kept as a (bogus) second message, as a
    // default rsyslog does: a message the sink did not cut would show up as two lines.
    small = await startRsyslog({ maxMessageSize: undefined, discardTruncatedMsg: false });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('fits rsyslog’s default limit with the default max_message_bytes: an oversize event arrives as one marked line of 8096 bytes or less', async () => {
    const s = await startSink(small, { url: `tcp://127.0.0.1:${small.tcpPort}`, format: 'ecs' });
    try {
      const [event] = contractEvents(1, 'ecs', { Subject: 'q'.repeat(30_000) });
      const [next] = contractEvents(1, 'ecs');
      expect(await s.sink.send([event!], abortIn())).toEqual({ outcome: 'delivered' });
      await s.sink.send([next!], abortIn());
      const lines = await s.received(2);
      // A split would put a fragment between the two events.
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(next!.id);
      expect(Buffer.byteLength(lines[0]!)).toBeLessThanOrEqual(8096);
      expect(Buffer.byteLength(lines[0]!)).toBeGreaterThan(8096 - 3);
      expect(lines[0]).toMatch(/ \[atp-siem: truncated, \d+ bytes\]$/);
    } finally {
      await s.sink.close();
    }
  });

  it('splits a 9000-byte message into an 8096-byte message and a fragment, as rsyslog does by default (why 8096 is the default)', async () => {
    const s = await startSink(small, {
      url: `tcp://127.0.0.1:${small.tcpPort}`,
      format: 'ecs',
      max_message_bytes: 9000,
    });
    try {
      const [event] = contractEvents(1, 'ecs', { Subject: 'q'.repeat(30_000) });
      await s.sink.send([event!], abortIn());
      const lines = await s.received(2);
      expect(lines).toHaveLength(2);
      expect(Buffer.byteLength(lines[0]!)).toBe(8096);
      expect(hostOf(lines[1]!)).toBeUndefined();
      expect(lines[1]).toMatch(/ \[atp-siem: truncated, \d+ bytes\]$/);
    } finally {
      await s.sink.close();
    }
  });
});
