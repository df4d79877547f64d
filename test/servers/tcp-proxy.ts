/**
 * A loopback TCP proxy that injects connection faults between a client and a real server (bytes are
 * forwarded untouched, so TLS passes through end to end):
 *
 * - `pass`: forwards both ways; a close on one side closes the other.
 * - `reset`: every open connection is cut with a TCP RST, and new ones are refused (the listener closes,
 *   so a SYN is answered by RST), until `setMode('pass')` listens again on the same port.
 * - `hang`: open connections are cut with RST; new ones are accepted and never read or answered (a TLS
 *   handshake stalls; a plain TCP client can write until the socket buffers fill).
 *
 * @example
 *   const proxy = await startTcpProxy(rsyslog.tcpPort);
 *   await proxy.setMode('reset');
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'reset' | 'hang';

export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections accepted so far. */
  readonly accepted: number;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (ephemeral port) in front of 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  const open = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // Faults are the point here: a socket error ends the pair, it is never thrown.
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: Socket) => {
    accepted++;
    track(client);
    if (mode === 'hang') {
      client.pause();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    upstream.once('error', () => client.resetAndDestroy());
    client.once('error', () => upstream.resetAndDestroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        const address = s.address();
        if (address !== null && typeof address === 'object') port = address.port;
        resolve();
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (s === undefined) resolve();
      else s.close(() => resolve());
    });

  const resetAll = () => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    async setMode(next) {
      mode = next;
      if (next === 'pass') {
        if (server === undefined) await listen();
        return;
      }
      resetAll();
      if (next === 'reset') await unlisten();
      else if (server === undefined) await listen();
    },
    async close() {
      resetAll();
      await unlisten();
    },
  };
}
