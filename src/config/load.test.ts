import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfSigned } from '../api/testing/pki.js';
import { ConfigError, CONTENT_TYPES, loadConfig } from './index.js';

const TENANT = '5b0e2a43-6f1c-4c3e-9d27-2d7c5a0e9a11';
const CLIENT = '9a3c1f0e-8f0b-4d7c-a2e9-1c0b7e5d3f22';
const SECRET_VALUE = 'Sup3r-s3cret-V4lue';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atp-siem-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(text: string, name = 'atp-siem.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const err = await loadConfig(await write(text), env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

const minimal = (extra = '') => `tenants:
  - tenant_id: "${TENANT}"
    client_id: "${CLIENT}"
    client_secret: { env: O365_SECRET }
${extra}`;

describe('loadConfig', () => {
  it('loads the agreed file, resolving the secret and filling defaults', async () => {
    const file = await write(`data_dir: ./data
retention_days: 14
log_level: debug
listen: 127.0.0.1:9464
collector:
  poll_interval: 30s
  straggler_window: 48h
  straggler_interval: 15m
  blob_concurrency: 4
  request_budget_per_minute: 1800
tenants:
  - name: contoso
    tenant_id: "${TENANT}"
    endpoints:
      login: http://127.0.0.1:4567
      api: http://127.0.0.1:4567/
      resource: https://manage.office.com
    client_id: "${CLIENT}"
    client_secret: { env: O365_SECRET }
    content_types: [Audit.General]
`);
    const config = await loadConfig(file, { O365_SECRET: SECRET_VALUE });
    expect(config.dataDir).toBe(path.join(dir, 'data'));
    expect(config.retentionDays).toBe(14);
    expect(config.logLevel).toBe('debug');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.collector).toEqual({
      pollIntervalMs: 30_000,
      stragglerWindowMs: 48 * 3_600_000,
      stragglerIntervalMs: 15 * 60_000,
      blobConcurrency: 4,
      requestBudgetPerMinute: 1800,
    });
    const t = config.tenants[0]!;
    expect(t).toMatchObject({
      name: 'contoso',
      tenantId: TENANT,
      cloud: 'custom',
      clientId: CLIENT,
      contentTypes: ['Audit.General'],
      publisherId: TENANT,
      endpoints: {
        login: 'http://127.0.0.1:4567',
        api: 'http://127.0.0.1:4567',
        resource: 'https://manage.office.com',
      },
    });
    expect(t.credential.kind).toBe('secret');
    expect(t.credential.kind === 'secret' && t.credential.secret.reveal()).toBe(SECRET_VALUE);
  });

  it('loads the annotated example configuration', async () => {
    const config = await loadConfig(path.join(import.meta.dirname, 'atp-siem.example.yaml'), {
      ATP_SIEM_CLIENT_SECRET: 'x',
    });
    expect(config.tenants.map((t) => [t.name, t.cloud, t.contentTypes])).toEqual([
      ['contoso', 'commercial', ['Audit.General']],
    ]);
    expect(config.collector.requestBudgetPerMinute).toBe(1800);
  });

  it('loads the example configuration with its commented sinks block switched on', async () => {
    const text = await readFile(path.join(import.meta.dirname, 'atp-siem.example.yaml'), 'utf8');
    const at = text.indexOf('# sinks:');
    const sinks = text
      .slice(at)
      .split('\n')
      .map((l) => (l.startsWith('# ') ? l.slice(2) : l))
      .join('\n');
    const config = await loadConfig(await write(text.slice(0, at) + sinks), {
      ATP_SIEM_CLIENT_SECRET: 'x',
      SPLUNK_HEC_TOKEN: 'token',
      ES_API_KEY: 'id:key',
      SENTINEL_CLIENT_SECRET: 'secret',
      ATP_SIEM_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
    });
    expect(config.sinks.map((s) => [s.name, s.type, s.format])).toEqual([
      ['splunk', 'splunk-hec', 'splunk'],
      ['qradar', 'syslog', 'leef'],
      ['elastic', 'elasticsearch', 'ecs'],
      ['sentinel', 'sentinel', 'sentinel'],
      ['archive', 'file', 'ecs'],
      ['soar', 'webhook', 'ecs'],
    ]);
  });

  it('defaults to the commercial cloud, all five content types and the tenant as publisher', async () => {
    const config = await loadConfig(await write(minimal()), { O365_SECRET: 'x' });
    const t = config.tenants[0]!;
    expect(t.cloud).toBe('commercial');
    expect(t.endpoints).toMatchObject({
      login: 'https://login.microsoftonline.com',
      api: 'https://manage.office.com',
      resource: 'https://manage.office.com',
    });
    expect(t.contentTypes).toEqual([...CONTENT_TYPES]);
    expect(config.dataDir).toBeUndefined();
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.collector.pollIntervalMs).toBe(30_000);
  });

  it.each([
    ['gcc', 'https://login.microsoftonline.com', 'https://manage-gcc.office.com'],
    ['gcc-high', 'https://login.microsoftonline.us', 'https://manage.office365.us'],
    ['dod', 'https://login.microsoftonline.us', 'https://manage.protection.apps.mil'],
    ['china', 'https://login.partner.microsoftonline.cn', 'https://manage.office365.cn'],
  ])('selects the hosts of the %s cloud', async (cloud, login, api) => {
    const config = await loadConfig(await write(minimal(`    cloud: ${cloud}`)), { O365_SECRET: 'x' });
    expect(config.tenants[0]!.endpoints).toMatchObject({ login, api, resource: api });
  });

  it('reads a secret file relative to the config folder, without its trailing newline', async () => {
    await writeFile(path.join(dir, 'secret.txt'), `${SECRET_VALUE}\n`);
    const text = minimal().replace('{ env: O365_SECRET }', '{ file: secret.txt }');
    const config = await loadConfig(await write(text), {});
    const c = config.tenants[0]!.credential;
    expect(c.kind === 'secret' && c.secret.reveal()).toBe(SECRET_VALUE);
  });

  it('never prints a resolved secret', async () => {
    const config = await loadConfig(await write(minimal()), { O365_SECRET: SECRET_VALUE });
    expect(JSON.stringify(config)).not.toContain(SECRET_VALUE);
    expect(inspect(config, { depth: 10 })).not.toContain(SECRET_VALUE);
    expect(
      String(config.tenants[0]!.credential.kind === 'secret' && `${config.tenants[0]!.credential.secret}`),
    ).toBe('[redacted]');
  });

  it('lists every problem at once, each with its key path, line and fix', async () => {
    const err = await problemsOf(`retention_days: zero
collector:
  poll_interval: soon
  blob_concurrency: 0
tenants:
  - tenant_id: "not-a-guid"
    client_id: "${CLIENT}"
    client_secret: { env: A }
    certificate: { cert_file: c.pem, key_file: k.pem }
    content_types: [Audit.General, Audit.Bogus]
    endpoints:
      login: http://login.example.com
      api: https://manage.example.com
    cloud: commercial
    colour: blue
`);
    const byPath = new Map(err.problems.map((p) => [p.path, p]));
    expect(byPath.get('retention_days')).toMatchObject({ line: 1 });
    expect(byPath.get('collector.poll_interval')).toMatchObject({
      line: 3,
      message: expect.stringMatching(/duration such as "30s"/),
    });
    expect(byPath.get('collector.blob_concurrency')).toMatchObject({ line: 4 });
    expect(byPath.get('tenants[0].tenant_id')).toMatchObject({
      line: 6,
      message: expect.stringMatching(/GUID/),
    });
    expect(byPath.get('tenants[0].content_types[1]')).toMatchObject({
      line: 10,
      message: expect.stringMatching(/Audit.General/),
    });
    expect(byPath.get('tenants[0].endpoints.login')?.message).toMatch(
      /plain http:\/\/ is allowed only for loopback/,
    );
    expect(byPath.get('tenants[0].colour')?.message).toMatch(/unknown key/);
    const whole = err.problems.filter((p) => p.path === 'tenants[0]').map((p) => p.message);
    expect(whole).toContain('set client_secret or certificate, not both');
    expect(whole).toContain('set cloud or endpoints, not both');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('tenants[0]: set client_secret or certificate, not both (line 6)');
  });

  it('asks for a credential when there is none', async () => {
    const err = await problemsOf(minimal().replace('    client_secret: { env: O365_SECRET }\n', ''));
    expect(err.problems).toEqual([
      expect.objectContaining({ path: 'tenants[0]', message: expect.stringMatching(/set client_secret/) }),
    ]);
  });

  it('refuses a literal secret without echoing it', async () => {
    const err = await problemsOf(minimal().replace('{ env: O365_SECRET }', `"${SECRET_VALUE}"`));
    expect(err.problems[0]).toMatchObject({ path: 'tenants[0].client_secret', line: 4 });
    expect(err.problems[0]!.message).toMatch(/\{ env: VARIABLE \} or \{ file: path \}/);
    expect(err.message).not.toContain(SECRET_VALUE);
  });

  it('names a missing environment variable or unreadable file, not a value', async () => {
    const err = await problemsOf(minimal(), {});
    expect(err.problems).toEqual([
      { path: 'tenants[0].client_secret', line: 4, message: expect.stringMatching(/O365_SECRET is not set/) },
    ]);
    const fileErr = await problemsOf(minimal().replace('{ env: O365_SECRET }', '{ file: nope.txt }'));
    expect(fileErr.problems[0]!.message).toMatch(/cannot read secret file .*nope\.txt \(ENOENT\)/);
  });

  it('requires exactly one of env and file in a reference', async () => {
    const err = await problemsOf(minimal().replace('{ env: O365_SECRET }', '{ env: A, file: b }'));
    expect(err.problems[0]).toMatchObject({
      path: 'tenants[0].client_secret',
      message: 'set exactly one of env or file',
    });
  });

  it('asks for at least one tenant and names missing keys', async () => {
    expect((await problemsOf('retention_days: 5\n')).problems).toEqual([
      expect.objectContaining({ path: 'tenants' }),
    ]);
    const err = await problemsOf(`tenants:\n  - client_secret: { env: A }\n`);
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['tenants[0].tenant_id', 'tenants[0].client_id']));
    expect(err.problems.find((p) => p.path === 'tenants[0].tenant_id')?.line).toBe(2);
  });

  it('reports YAML syntax errors with their line', async () => {
    const err = await problemsOf('tenants:\n  - tenant_id: "x\n    client_id: [\n');
    expect(err.problems[0]!.message).toMatch(/^YAML syntax/);
    expect(err.problems[0]!.line).toBeGreaterThan(0);
  });

  it('reports a missing file clearly', async () => {
    const err = (await loadConfig(path.join(dir, 'absent.yaml')).catch((e: unknown) => e)) as ConfigError;
    expect(err.message).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('refuses the same tenant twice', async () => {
    const tenant = `  - tenant_id: "${TENANT}"\n    client_id: "${CLIENT}"\n    client_secret: { env: A }\n`;
    const err = await problemsOf(`tenants:\n${tenant}${tenant}`, { A: 'x' });
    expect(err.problems).toEqual([expect.objectContaining({ path: 'tenants[1].tenant_id', line: 5 })]);
  });

  it('loads a certificate credential with its thumbprints, and rejects a key that does not match', async () => {
    selfSigned(dir, 'cert.pem', 'key.pem', '/CN=atp-siem-test');
    selfSigned(dir, 'other-cert.pem', 'other.pem', '/CN=another');
    const text = minimal().replace(
      'client_secret: { env: O365_SECRET }',
      'certificate: { cert_file: cert.pem, key_file: key.pem }',
    );
    const config = await loadConfig(await write(text), {});
    const c = config.tenants[0]!.credential;
    expect(c.kind).toBe('certificate');
    if (c.kind !== 'certificate') return;
    expect(c.thumbprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.thumbprintSha1).toMatch(/^[0-9a-f]{40}$/);
    expect(c.privateKey.reveal()).toContain('BEGIN PRIVATE KEY');
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');

    const err = await problemsOf(text.replace('key.pem', 'other.pem'));
    expect(err.problems[0]).toMatchObject({
      path: 'tenants[0].certificate.key_file',
      message: expect.stringMatching(/does not belong/),
    });
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('reads an extra CA file for https endpoints', async () => {
    selfSigned(dir, 'ca.pem', 'ca.key', '/CN=test-ca');
    const text = minimal(
      `    endpoints:\n      login: https://127.0.0.1:4443\n      api: https://127.0.0.1:4443\n      ca_file: ca.pem\n`,
    );
    const config = await loadConfig(await write(text), { O365_SECRET: 'x' });
    expect(config.tenants[0]!.endpoints.ca).toContain('BEGIN CERTIFICATE');
    expect(config.tenants[0]!.endpoints.caFile).toBe(path.join(dir, 'ca.pem'));
    const bad = await problemsOf(text.replace('ca.pem', 'ca.key'), { O365_SECRET: 'x' });
    expect(bad.problems[0]).toMatchObject({
      path: 'tenants[0].endpoints.ca_file',
      message: expect.stringMatching(/no PEM certificate/),
    });
  });
});

describe('listen_auth', () => {
  it('refuses a listener off loopback without credentials, naming listen and the keys that fix it', async () => {
    const err = await problemsOf(`listen: 0.0.0.0:9464\n${minimal()}`, { O365_SECRET: SECRET_VALUE });
    expect(err.problems).toEqual([
      expect.objectContaining({
        path: 'listen',
        line: 1,
        message: expect.stringMatching(/set listen_auth\.token/i),
      }),
    ]);
  });

  it('accepts a listener off loopback with a token by reference, which never prints', async () => {
    const file = await write(
      `listen: 0.0.0.0:9464\nlisten_auth:\n  token: { env: DASH_TOKEN }\n${minimal()}`,
    );
    const config = await loadConfig(file, { O365_SECRET: SECRET_VALUE, DASH_TOKEN: 'dash-t0ken-value' });
    expect(config.listenAuth?.token?.reveal()).toBe('dash-t0ken-value');
    expect(inspect(config)).not.toContain('dash-t0ken-value');
    expect(JSON.stringify(config)).not.toContain('dash-t0ken-value');
  });

  it('names a username without a password, and an unset token variable', async () => {
    const half = await problemsOf(`listen_auth:\n  username: soc\n${minimal()}`, {
      O365_SECRET: SECRET_VALUE,
    });
    expect(half.message).toMatch(
      /listen_auth: set listen_auth\.token, or both listen_auth\.username and listen_auth\.password/,
    );
    const unset = await problemsOf(`listen_auth:\n  token: { env: NOT_SET }\n${minimal()}`, {
      O365_SECRET: SECRET_VALUE,
    });
    expect(unset.message).toMatch(/listen_auth\.token: environment variable NOT_SET is not set/);
  });
});
