/**
 * The tenant's HTTP transport: one undici keep-alive Agent for the login and
 * API hosts, trusting an extra CA when the configuration names one.
 */
import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';

export interface TransportOptions {
  /** PEM of an extra CA (the tenant's `endpoints.ca_file`). */
  ca?: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/**
 * Creates the keep-alive Agent every request of one tenant goes through.
 * @example const agent = createAgent({ ca: tenant.endpoints.ca }); await request(url, { dispatcher: agent });
 */
export function createAgent(options: TransportOptions = {}): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    connections: 16,
    connectTimeout: options.connectTimeoutMs ?? 30_000,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 120_000,
    connect: options.ca === undefined ? {} : { ca: [...rootCertificates, options.ca] },
  });
}

/** Flattens undici's header record (values may be arrays) to lower-case name → string. */
export function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Reads at most `limit` bytes of a body as text and discards the rest (error bodies are short). */
export async function readTextCapped(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  limit = 64 * 1024,
): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.from(chunk);
      parts.push(buf);
      size += buf.length;
      if (size >= limit) break;
    }
  } catch {
    // A broken error body still leaves the status to go by.
  }
  if (size >= limit) body.destroy?.();
  return Buffer.concat(parts).subarray(0, limit).toString('utf8');
}
