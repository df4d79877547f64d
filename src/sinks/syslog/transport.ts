/**
 * The wire of the syslog sink: one persistent TCP or TLS connection (RFC 6587 / RFC 5425), or a connected UDP
 * socket (RFC 5426). Failures are returned as short reasons, never thrown: the sink turns them into results.
 *
 * Plain TCP syslog has no acknowledgement. "Written" means handed to the kernel after the socket drained;
 * a receiver that dies right after that can lose what was in flight (at most one batch). Two checks narrow
 * that window, as rsyslog's own forwarder does: a connection the receiver closed or reset is noticed before
 * the next batch goes out on it (pending socket events are let through first), and a failed write fails
 * the whole batch, which the driver sends again on a new connection (at-least-once).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { clip } from '../../api/errors.js';

export type TransportFailure = {
  reason: string;
  /** The operator must act (an untrusted certificate); the driver keeps the data and backs off longer. */
  blocked?: boolean;
};

export interface Transport {
  /** `tcp://host:port` and the like, for reasons. */
  readonly url: string;
  /** Connects if not connected (without sending data). */
  open(signal: AbortSignal): Promise<TransportFailure | undefined>;
  /** Sends the frames in order; resolves once they are written (TCP/TLS: drained to the kernel). */
  write(frames: readonly Buffer[], signal: AbortSignal): Promise<TransportFailure | undefined>;
  close(): Promise<void>;
}

export interface StreamTarget {
  kind: 'tcp' | 'tls';
  host: string;
  port: number;
  /** For `tls`: CA, client certificate, verification (see tlsConnectOptions). */
  tls: ConnectionOptions;
}

/** Node's certificate verification codes: the server is reachable but not trusted. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failure as an operator reads it: where, what (the system's code), and what to do when it is ours to fix. */
export function describeFailure(url: string, err: unknown): TransportFailure {
  const code = errorCode(err);
  const message = clip(err instanceof Error ? err.message : String(err));
  if (code !== undefined && UNTRUSTED_CODES.has(code)) {
    return {
      reason:
        `the TLS certificate of ${url} is not trusted (${code}: ${message}); set tls.ca_file to the CA ` +
        'that signed it, or tls.server_name to a name it carries',
      blocked: true,
    };
  }
  if (code === 'ECONNREFUSED') return { reason: `${url} refused the connection (nothing listens there)` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { reason: `cannot resolve the host of ${url} (${code}); check the url` };
  return { reason: `${url}: ${code === undefined ? message : `${code}: ${message}`}` };
}

const timedOut = (url: string, what: string): TransportFailure => ({
  reason: `timed out ${what} ${url} (no progress within the sink timeout)`,
});

/** Lets socket events already queued (a FIN, a reset) run before the caller goes on. */
function pendingIo(): Promise<void> {
  // Two check-phase hops always have a poll phase between them, where those events are delivered.
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** One persistent TCP or TLS connection, reopened by the next write after it failed or was closed. */
export class StreamTransport implements Transport {
  private socket: Socket | undefined;
  /** Why the current connection ended (the receiver closed or reset it); undefined while it is usable. */
  private ended: string | undefined;
  private closing: Promise<void> | undefined;
  readonly url: string;

  constructor(private readonly target: StreamTarget) {
    const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
    this.url = `${target.kind}://${host}:${target.port}`;
  }

  async open(signal: AbortSignal): Promise<TransportFailure | undefined> {
    if (this.socket !== undefined) {
      await pendingIo();
      if (this.ended === undefined) return undefined;
      this.drop();
    }
    if (this.closing !== undefined) return { reason: 'the sink is closed' };
    if (signal.aborted) return timedOut(this.url, 'connecting to');
    return this.connect(signal);
  }

  private connect(signal: AbortSignal): Promise<TransportFailure | undefined> {
    const { kind, host, port } = this.target;
    return new Promise((resolve) => {
      const socket =
        kind === 'tls'
          ? // An IP address is not a valid SNI name (RFC 6066 §3): send none, and verify against the IP.
            tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...this.target.tls })
          : netConnect({ host, port });
      const settle = (failure: TransportFailure | undefined) => {
        socket.off(kind === 'tls' ? 'secureConnect' : 'connect', onReady);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
        resolve(failure);
      };
      const onReady = () => {
        this.adopt(socket);
        settle(undefined);
      };
      const onError = (err: unknown) => {
        socket.destroy();
        settle(describeFailure(this.url, err));
      };
      const onAbort = () => {
        socket.destroy();
        settle(timedOut(this.url, 'connecting to'));
      };
      socket.once(kind === 'tls' ? 'secureConnect' : 'connect', onReady);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private adopt(socket: Socket): void {
    this.socket = socket;
    this.ended = undefined;
    socket.setNoDelay(true);
    // Finds a receiver that vanished without a FIN on an idle connection.
    socket.setKeepAlive(true, 30_000);
    // A syslog receiver sends nothing; read (and drop) anyway so a FIN or TLS alert is seen at once.
    socket.on('data', () => undefined);
    socket.on('end', () => {
      this.ended ??= `${this.url} closed the connection`;
    });
    socket.on('error', (err) => {
      this.ended ??= describeFailure(this.url, err).reason;
    });
    socket.on('close', () => {
      this.ended ??= `the connection to ${this.url} closed`;
    });
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.ended = undefined;
  }

  async write(frames: readonly Buffer[], signal: AbortSignal): Promise<TransportFailure | undefined> {
    const failure = await this.open(signal);
    if (failure !== undefined) return failure;
    const socket = this.socket;
    if (socket === undefined) return { reason: `not connected to ${this.url}` };
    const result = await new Promise<TransportFailure | undefined>((resolve) => {
      const settle = (f: TransportFailure | undefined) => {
        socket.off('error', onError);
        socket.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
        resolve(f);
      };
      const onError = (err: unknown) => settle(describeFailure(this.url, err));
      const onClose = () => settle({ reason: this.ended ?? `the connection to ${this.url} closed` });
      const onAbort = () => settle(timedOut(this.url, 'writing to'));
      socket.once('error', onError);
      socket.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      // One write per batch: its callback runs once every byte is handed to the kernel (the socket drained).
      socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames), (err) => {
        settle(
          err
            ? describeFailure(this.url, err)
            : this.ended === undefined
              ? undefined
              : { reason: this.ended },
        );
      });
    });
    // A failed or aborted write leaves the stream at an unknown point: a new connection starts clean.
    if (result !== undefined) this.drop();
    return result;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const socket = this.socket;
      this.socket = undefined;
      if (socket === undefined || socket.destroyed) {
        resolve();
        return;
      }
      // end() sends TLS close_notify, then FIN, after what is buffered; rsyslog never answers close_notify,
      // so the wait for the close is bounded.
      const timer = setTimeout(() => socket.destroy(), 2_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
    return this.closing;
  }
}

/** A connected UDP socket: one datagram per message, "written" means sent (UDP has no delivery signal). */
export class DatagramTransport implements Transport {
  private socket: UdpSocket | undefined;
  private closed = false;
  readonly url: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.url = `udp://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  }

  async open(signal: AbortSignal): Promise<TransportFailure | undefined> {
    if (this.closed) return { reason: 'the sink is closed' };
    if (this.socket !== undefined) return undefined;
    const socket = createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
    // ICMP "port unreachable" comes back on a connected socket as an error of a later send; keep the process up.
    socket.on('error', () => undefined);
    const failure = await new Promise<TransportFailure | undefined>((resolve) => {
      const onAbort = () => resolve(timedOut(this.url, 'resolving'));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.connect(this.port, this.host, (err?: Error) => {
        signal.removeEventListener('abort', onAbort);
        resolve(err ? describeFailure(this.url, err) : undefined);
      });
    });
    if (failure !== undefined) socket.close();
    else this.socket = socket;
    return failure;
  }

  async write(frames: readonly Buffer[], signal: AbortSignal): Promise<TransportFailure | undefined> {
    const failure = await this.open(signal);
    if (failure !== undefined) return failure;
    const socket = this.socket!;
    for (const datagram of frames) {
      if (signal.aborted) return timedOut(this.url, 'sending to');
      const err = await new Promise<Error | null>((resolve) => socket.send(datagram, (e) => resolve(e)));
      if (err) {
        // A refused port (ICMP) or a full buffer; a fresh socket clears the pending error.
        this.socket = undefined;
        socket.close();
        return describeFailure(this.url, err);
      }
    }
    return undefined;
  }

  close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
