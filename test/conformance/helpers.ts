/**
 * Shared plumbing for the conformance suite: start an emulator on port 0,
 * get tokens over real HTTP, call the API. Nothing here knows the collector.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

const running: Emulator[] = [];

/** Starts an emulator closed after the test; quiet, no backlog and no live content unless asked. */
export async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ logLevel: 'silent', historyMs: 0, rate: 0, ...options });
  running.push(emu);
  return emu;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A v2 client-secret token for the emulator's own client. */
export async function token(
  emu: Emulator,
  options: { tenant?: string; clientId?: string; clientSecret?: string; scope?: string } = {},
): Promise<string> {
  const { status, body } = await postForm(emu.tokenUrl(options.tenant ?? emu.tenants[0]!, 'v2'), {
    grant_type: 'client_credentials',
    client_id: options.clientId ?? emu.clientId,
    client_secret: options.clientSecret ?? emu.clientSecret,
    scope: options.scope ?? `${emu.resource}/.default`,
  });
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
  /** The AF code of an error body. */
  code(): string | undefined;
}

/** Calls `{apiRoot}/{path}` (or an absolute URL) with a bearer token. */
export async function api(
  emu: Emulator,
  path: string,
  options: {
    token?: string | null;
    method?: string;
    tenant?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const tenant = options.tenant ?? emu.tenants[0]!;
  const url = /^https?:/.test(path) ? path : `${emu.apiRoot(tenant)}/${path}`;
  const bearer = options.token === undefined ? await token(emu, { tenant }) : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (bearer !== null) headers.Authorization = `Bearer ${bearer}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json; utf-8';
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as unknown,
    code: () => {
      try {
        return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch {
        return undefined;
      }
    },
  };
}

export async function startSubscription(
  emu: Emulator,
  contentType: string,
  tenant?: string,
  bearer?: string,
): Promise<ApiResponse> {
  return api(emu, `subscriptions/start?contentType=${contentType}`, {
    method: 'POST',
    tenant,
    token: bearer,
  });
}

export interface ContentItem {
  contentType: string;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration: string;
}

/** Follows NextPageUri (any spelling) to the end; returns every item and every page's response. */
export async function listAll(
  emu: Emulator,
  firstPath: string,
  bearer: string,
): Promise<{ items: ContentItem[]; pages: ApiResponse[] }> {
  const items: ContentItem[] = [];
  const pages: ApiResponse[] = [];
  let next: string | null = firstPath;
  while (next) {
    const res = await api(emu, next, { token: bearer });
    if (res.status !== 200) throw new Error(`listing failed: ${res.status} ${res.text}`);
    pages.push(res);
    items.push(...(res.json() as ContentItem[]));
    next = res.headers.get('NextPageUri') ?? res.headers.get('NextPageUrl');
    if (pages.length > 1000) throw new Error('pagination does not end');
  }
  return { items, pages };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A self-signed RSA certificate made by the openssl CLI in `dir`, valid for
 * 127.0.0.1 (so it can also serve TLS on loopback).
 */
export function makeCertificate(dir: string, name: string): { cert: string; key: string } {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]),
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
