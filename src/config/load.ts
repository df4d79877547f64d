/**
 * Loads the YAML configuration: parse, validate against the schema, resolve
 * secret references and read certificate files. Every problem is reported at
 * once, each naming its key path, its line and the fix. Secret values never
 * appear in an error.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConnectorError } from '../api/errors.js';
import { parseSinks, sinkSecretRefs, type SinkConfig } from '../sinks/index.js';
import { listenAuthProblem } from '../dashboard/auth.js';
import { certificateCredential } from './certificate.js';
import { configSchema, type ParsedConfig, type ParsedTenant, type SecretRef } from './schema.js';
import { Secret } from './secret.js';

/** How a tenant authenticates, with everything read from disk already. */
export type Credential =
  | { kind: 'secret'; secret: Secret }
  | {
      kind: 'certificate';
      /** PEM of the certificate (public). */
      certificatePem: string;
      /** PKCS#8 PEM of the private key. */
      privateKey: Secret;
      /** Hex SHA-256 thumbprint of the DER certificate (msal's `thumbprintSha256`). */
      thumbprintSha256: string;
      /** Hex SHA-1 thumbprint (for `x5t` with RS256). */
      thumbprintSha1: string;
    };

export type TenantConfig = Omit<ParsedTenant, 'clientSecret' | 'certificate' | 'endpoints'> & {
  endpoints: ParsedTenant['endpoints'] & { /** PEM text of `ca_file`, when set. */ ca?: string };
  credential: Credential;
};

export interface Config {
  /** Absolute path of the file this came from. */
  configPath: string;
  /** Absolute; undefined when the file does not set it (the CLI then picks its default). */
  dataDir: string | undefined;
  retentionDays: number;
  /** Days after which records go even if a sink has not delivered them; undefined: never. */
  retentionHardCapDays: number | undefined;
  logLevel: ParsedConfig['log_level'];
  listen: ParsedConfig['listen'];
  /** Credentials the listener requires (secrets resolved); undefined: none (loopback only). */
  listenAuth: { token?: Secret; username?: string; password?: Secret } | undefined;
  collector: ParsedConfig['collector'];
  tenants: TenantConfig[];
  /** Validated sink entries, secrets resolved (src/sinks). */
  sinks: SinkConfig[];
}

/** One problem in the configuration file. */
export interface ConfigProblem {
  /** Key path such as `tenants[0].client_secret`; empty for the whole file. */
  path: string;
  line?: number;
  message: string;
}

/**
 * The configuration is invalid; `problems` lists every issue and the message
 * is ready to print (one line each).
 */
export class ConfigError extends ConnectorError {
  readonly problems: ConfigProblem[];

  constructor(file: string, unsorted: ConfigProblem[]) {
    // In file order, so that the operator can walk down the file.
    const problems = [...unsorted].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    const lines = problems.map((p) => {
      const where = p.path === '' ? '' : `${p.path}: `;
      const at = p.line === undefined ? '' : ` (line ${p.line})`;
      return `  - ${where}${p.message}${at}`;
    });
    super('CONFIG_INVALID', `Configuration ${file} is invalid:\n${lines.join('\n')}`, { stage: 'startup' });
    this.problems = problems;
  }
}

type PathSegment = string | number;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** Line of the deepest YAML node along `segments` (the key itself when it is missing). */
function lineOf(doc: Document, counter: LineCounter, segments: readonly PathSegment[]): number | undefined {
  for (let n = segments.length; n >= 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && Array.isArray(node.range)) return counter.linePos(node.range[0]).line;
    if (n === 0 && doc.contents && 'range' in doc.contents && doc.contents.range) {
      return counter.linePos(doc.contents.range[0]).line;
    }
  }
  return undefined;
}

function problemsFromZod(error: z.ZodError, doc: Document, counter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const at = [...segments, key];
        problems.push({
          path: formatPath(at),
          line: lineOf(doc, counter, at),
          message: 'unknown key; remove it or check its spelling',
        });
      }
      continue;
    }
    let message = issue.message;
    // zod's default for a missing key reads "expected string, received undefined"; say what to do.
    if (issue.code === 'invalid_type' && doc.getIn(segments) === undefined && !doc.hasIn(segments)) {
      message = `missing; ${message.startsWith('Invalid input') ? `add it (${issue.expected})` : message}`;
    }
    problems.push({ path: formatPath(segments), line: lineOf(doc, counter, segments), message });
  }
  return problems;
}

/** Reads a `{ env }` / `{ file }` reference. Problems name the variable or file, never the value. */
async function resolveSecret(
  ref: SecretRef,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string | { problem: string }> {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '')
      return { problem: `environment variable ${ref.env} is not set; export it before starting` };
    return value;
  }
  const file = path.resolve(baseDir, ref.file ?? '');
  try {
    const value = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    if (value === '') return { problem: `secret file ${file} is empty` };
    return value;
  } catch (err) {
    return {
      problem: `cannot read secret file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path, relative to the config file`,
    };
  }
}

async function readText(file: string): Promise<string | { problem: string }> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    return {
      problem: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path, relative to the config file`,
    };
  }
}

async function resolveCertificate(
  cert: NonNullable<ParsedTenant['certificate']>,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  report: (suffix: PathSegment[], message: string) => void,
): Promise<Credential | undefined> {
  const certText = await readText(path.resolve(baseDir, cert.certFile));
  const keyText = await readText(path.resolve(baseDir, cert.keyFile));
  let passphrase: string | undefined;
  if (cert.keyPassphrase !== undefined) {
    const p = await resolveSecret(cert.keyPassphrase, baseDir, env);
    if (typeof p !== 'string') report(['key_passphrase'], p.problem);
    else passphrase = p;
  }
  if (typeof certText !== 'string') report(['cert_file'], certText.problem);
  if (typeof keyText !== 'string') report(['key_file'], keyText.problem);
  if (typeof certText !== 'string' || typeof keyText !== 'string') return undefined;
  const credential = certificateCredential(certText, keyText, passphrase);
  if ('problem' in credential) {
    report([credential.file], credential.problem);
    return undefined;
  }
  return credential;
}

/**
 * Loads and validates the configuration file; throws ConfigError listing every problem.
 * @example const config = await loadConfig('./atp-siem.yaml');
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const configPath = path.resolve(file);
  const baseDir = path.dirname(configPath);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(configPath, [
      { path: '', message: `cannot read the file (${code}); check the --config path` },
    ]);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      configPath,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
        message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    );
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(configPath, problemsFromZod(parsed.error, doc, counter));
  const cfg = parsed.data;

  const problems: ConfigProblem[] = [];
  const tenants: TenantConfig[] = [];
  for (const [i, t] of cfg.tenants.entries()) {
    const report = (suffix: PathSegment[], message: string) => {
      const at = ['tenants', i, ...suffix];
      problems.push({ path: formatPath(at), line: lineOf(doc, counter, at), message });
    };
    let credential: Credential | undefined;
    if (t.clientSecret !== undefined) {
      const secret = await resolveSecret(t.clientSecret, baseDir, env);
      if (typeof secret === 'string') credential = { kind: 'secret', secret: new Secret(secret) };
      else report(['client_secret'], secret.problem);
    } else if (t.certificate !== undefined) {
      credential = await resolveCertificate(t.certificate, baseDir, env, (s, m) =>
        report(['certificate', ...s], m),
      );
    }
    let ca: string | undefined;
    if (t.endpoints.caFile !== undefined) {
      const caFile = path.resolve(baseDir, t.endpoints.caFile);
      const caText = await readText(caFile);
      if (typeof caText !== 'string') report(['endpoints', 'ca_file'], caText.problem);
      else if (!caText.includes('-----BEGIN CERTIFICATE-----'))
        report(['endpoints', 'ca_file'], `${caFile} holds no PEM certificate`);
      else ca = caText;
    }
    if (credential === undefined) continue;
    const { clientSecret: _s, certificate: _c, ...rest } = t;
    tenants.push({
      ...rest,
      endpoints: {
        ...t.endpoints,
        caFile: t.endpoints.caFile && path.resolve(baseDir, t.endpoints.caFile),
        ca,
      },
      credential,
    });
  }
  const { sinks, positions, issues } = parseSinks(cfg.sinks);
  for (const issue of issues) {
    const at = ['sinks', ...issue.path];
    problems.push({ path: formatPath(at), line: lineOf(doc, counter, at), message: issue.message });
  }
  for (const [i, sink] of sinks.entries()) {
    for (const found of sinkSecretRefs(sink)) {
      const value = await resolveSecret(found.ref, baseDir, env);
      const at = ['sinks', positions[i] ?? i, ...found.path];
      if (typeof value === 'string') found.set(new Secret(value));
      else problems.push({ path: formatPath(at), line: lineOf(doc, counter, at), message: value.problem });
    }
  }
  let listenAuth: Config['listenAuth'];
  if (cfg.listen_auth !== undefined) {
    listenAuth = { username: cfg.listen_auth.username };
    for (const key of ['token', 'password'] as const) {
      const ref = cfg.listen_auth[key];
      if (ref === undefined) continue;
      const value = await resolveSecret(ref, baseDir, env);
      const at = ['listen_auth', key];
      if (typeof value === 'string') listenAuth[key] = new Secret(value);
      else problems.push({ path: formatPath(at), line: lineOf(doc, counter, at), message: value.problem });
    }
  }
  const authProblem = listenAuthProblem(cfg.listen.host, listenAuth);
  if (authProblem !== null) {
    problems.push({ path: 'listen', line: lineOf(doc, counter, ['listen']), message: authProblem });
  }
  if (problems.length > 0) throw new ConfigError(configPath, problems);

  return {
    configPath,
    dataDir: cfg.data_dir === undefined ? undefined : path.resolve(baseDir, cfg.data_dir),
    retentionDays: cfg.retention_days,
    retentionHardCapDays: cfg.retention_hard_cap_days,
    logLevel: cfg.log_level,
    listen: cfg.listen,
    listenAuth,
    collector: cfg.collector,
    tenants,
    sinks,
  };
}
