/**
 * A reference receiver for the webhook sink, the way docs/sinks/webhook.md tells users to build one:
 * verify the signature over the raw bytes (constant time), refuse timestamps outside the five-minute window,
 * refuse a replayed signature, only then inflate and parse, and deduplicate retried batches by their id.
 * Tests make it fail the ways the sink contract names (503, reset, hang, 400) and read what it counted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Agent, request as undiciRequest } from 'undici';

/** Seconds a signed request stays acceptable, either side of the receiver's clock. */
export const REPLAY_WINDOW_SECONDS = 300;

export type Verification =
  { ok: true; timestamp: number } | { ok: false; why: 'missing' | 'stale' | 'bad-signature' };

/**
 * Checks one request of the webhook sink: `timestamp` and `signature` are the X-Atp-Siem-Timestamp and
 * X-Atp-Siem-Signature headers, `body` the request body exactly as received (still compressed when
 * Content-Encoding is gzip). This is the function docs/sinks/webhook.md shows.
 * @example verifyWebhookSignature({ secret, timestamp, signature, body, nowSeconds: Date.now() / 1000 })
 */
export function verifyWebhookSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
  nowSeconds: number;
  windowSeconds?: number;
}): Verification {
  const { secret, timestamp, signature, body } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, why: 'missing' };
  const sentAt = Number(timestamp);
  // Too old is a replay; too far ahead would let a captured request live on past the window.
  if (Math.abs(input.nowSeconds - sentAt) > (input.windowSeconds ?? REPLAY_WINDOW_SECONDS))
    return { ok: false, why: 'stale' };
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  const match = /^v1=([0-9a-f]{64})$/.exec(signature);
  if (!match) return { ok: false, why: 'bad-signature' };
  const given = Buffer.from(match[1] as string, 'hex');
  // Constant-time compare: the time taken says nothing about how many bytes matched.
  if (!timingSafeEqual(given, expected)) return { ok: false, why: 'bad-signature' };
  return { ok: true, timestamp: sentAt };
}

export type ReceiverFailure = 'unavailable' | 'reset' | 'hang' | 'reject';

export interface WebhookReceiverOptions {
  secret: string;
  /** PEM certificate and key: serve HTTPS (else plain HTTP, for loopback). */
  tls?: { cert: string; key: string };
  /** The receiver's clock in ms (tests move it past the replay window). */
  now?: () => number;
  /** Largest body taken, compressed or not (default 8 MiB). */
  maxBodyBytes?: number;
}

/** One request as it arrived, whatever the receiver answered. */
export interface ReceivedRequest {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  status: number;
}

export interface WebhookReceiver {
  /** `http(s)://127.0.0.1:<port>/atp-siem` */
  url: string;
  /** Every accepted event (JSON text), in arrival order. */
  events: string[];
  requests: ReceivedRequest[];
  counts: {
    accepted: number;
    badSignature: number;
    stale: number;
    replayed: number;
    duplicateBatch: number;
    malformed: number;
  };
  fail(mode: ReceiverFailure): void;
  heal(): void;
  /** Sends a request as captured (an attacker replaying it); answers the status. */
  replay(request: ReceivedRequest): Promise<number>;
  close(): Promise<void>;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Starts a receiver on 127.0.0.1, port 0.
 * @example const receiver = await startWebhookReceiver({ secret: 'a'.repeat(32) });
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  /** Signatures accepted within the window, with the second they stop mattering. */
  const seenSignatures = new Map<string, number>();
  const seenBatches = new Set<string>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let failure: ReceiverFailure | undefined;
  const receiver: Omit<WebhookReceiver, 'url' | 'replay' | 'close'> = {
    events: [],
    requests: [],
    counts: { accepted: 0, badSignature: 0, stale: 0, replayed: 0, duplicateBatch: 0, malformed: 0 },
    fail: (mode) => {
      failure = mode;
    },
    heal: () => {
      failure = undefined;
    },
  };

  const answer = (res: ServerResponse, record: ReceivedRequest, status: number, body: object) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer | undefined> => {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) return undefined;
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
    const record: ReceivedRequest = { method: req.method ?? '', headers, body: Buffer.alloc(0), status: 0 };
    receiver.requests.push(record);
    const body = await readBody(req);
    if (body === undefined) return answer(res, record, 413, { error: 'body too large' });
    record.body = body;
    if (failure === 'reset') return req.socket.destroy();
    if (failure === 'hang') return void hanging.add(res);
    if (failure === 'unavailable') {
      res.setHeader('retry-after', '1');
      return answer(res, record, 503, { error: 'receiver is unavailable' });
    }
    if (req.method !== 'POST') return answer(res, record, 405, { error: 'POST only' });

    // 1. Authenticate the bytes before anything else touches them.
    const nowSeconds = Math.floor(now() / 1000);
    for (const [sig, until] of seenSignatures) if (until < nowSeconds) seenSignatures.delete(sig);
    const signature = headerOf(req, 'x-atp-siem-signature');
    const verdict = verifyWebhookSignature({
      secret: options.secret,
      timestamp: headerOf(req, 'x-atp-siem-timestamp'),
      signature,
      body,
      nowSeconds,
    });
    if (!verdict.ok) {
      if (verdict.why === 'stale') receiver.counts.stale += 1;
      else receiver.counts.badSignature += 1;
      return answer(res, record, 401, { error: `request refused: ${verdict.why}` });
    }
    // 2. The same signed request twice within the window is a replay: do not process it again. A 2xx, so
    //    that our own retry of a request whose answer was lost (same second, same bytes) is not refused.
    if (signature !== undefined && seenSignatures.has(signature)) {
      receiver.counts.replayed += 1;
      return answer(res, record, 200, { duplicate: true });
    }
    if (failure === 'reject') return answer(res, record, 400, { error: 'events refused: mapping error' });

    // 3. Only now inflate and parse.
    let text: string;
    const encoding = headerOf(req, 'content-encoding');
    try {
      if (encoding === 'gzip') text = gunzipSync(body, { maxOutputLength: maxBody }).toString('utf8');
      else if (encoding === undefined || encoding === 'identity') text = body.toString('utf8');
      else return answer(res, record, 415, { error: `content-encoding ${encoding} is not supported` });
    } catch {
      receiver.counts.malformed += 1;
      return answer(res, record, 400, { error: 'body is not valid gzip or inflates too large' });
    }
    if (!(headerOf(req, 'content-type') ?? '').startsWith('application/json'))
      return answer(res, record, 415, { error: 'content-type must be application/json' });
    let events: unknown[];
    try {
      const doc = JSON.parse(text) as { events?: unknown };
      if (!Array.isArray(doc.events)) throw new Error('no events array');
      events = doc.events;
      if (!events.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)))
        throw new Error('an event is not an object');
    } catch (err) {
      receiver.counts.malformed += 1;
      return answer(res, record, 400, { error: `body is not {"events":[{...}]}: ${(err as Error).message}` });
    }
    seenSignatures.set(signature as string, verdict.timestamp + REPLAY_WINDOW_SECONDS);

    // 4. A retried batch (new timestamp, same id) is acknowledged but stored once.
    const batchId = headerOf(req, 'x-atp-siem-batch-id');
    if (batchId !== undefined && events.length > 0 && seenBatches.has(batchId)) {
      receiver.counts.duplicateBatch += 1;
      return answer(res, record, 200, { duplicate: true });
    }
    if (batchId !== undefined && events.length > 0) seenBatches.add(batchId);
    for (const e of events) receiver.events.push(JSON.stringify(e));
    receiver.counts.accepted += 1;
    return answer(res, record, 200, { accepted: events.length });
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/atp-siem`;

  return {
    ...receiver,
    url,
    async replay(request) {
      const headers = { ...request.headers };
      delete headers['content-length'];
      delete headers.host;
      delete headers.connection;
      const agent = new Agent({ connect: options.tls ? { ca: options.tls.cert } : {} });
      try {
        const res = await undiciRequest(url, {
          method: 'POST',
          headers,
          body: request.body,
          dispatcher: agent,
        });
        await res.body.dump();
        return res.statusCode;
      } finally {
        await agent.close();
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
