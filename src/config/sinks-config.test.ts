import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, Secret } from './index.js';

const TENANT = '5b0e2a43-6f1c-4c3e-9d27-2d7c5a0e9a11';
const CLIENT = '9a3c1f0e-8f0b-4d7c-a2e9-1c0b7e5d3f22';
const ENV = { O365_SECRET: 'tenant-secret-value', HEC_TOKEN: '3f1c1b1e-7c1d-4b4e-9a4b-0c0d0e0f0a0b' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atp-siem-sinkcfg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const withSinks = (sinks: string) => `tenants:
  - tenant_id: "${TENANT}"
    client_id: "${CLIENT}"
    client_secret: { env: O365_SECRET }
sinks:
${sinks}`;

async function load(text: string, env: NodeJS.ProcessEnv = ENV) {
  const file = path.join(dir, 'atp-siem.yaml');
  await writeFile(file, text);
  return loadConfig(file, env);
}

async function problems(text: string, env: NodeJS.ProcessEnv = ENV) {
  const err = await load(text, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}

describe('sinks in the configuration', () => {
  it('loads sinks with the common defaults, their type defaults and the secret resolved', async () => {
    const config = await load(
      withSinks(`  - name: splunk
    type: splunk-hec
    url: https://splunk.example:8088
    token: { env: HEC_TOKEN }
  - name: archive
    type: file
    path: ./out/events.ndjson
    filter: { kinds: [phish, malware] }
    start_at: now
`),
    );
    expect(config.sinks).toHaveLength(2);
    const [splunk, archive] = config.sinks as unknown as [Record<string, unknown>, Record<string, unknown>];
    expect(splunk).toMatchObject({
      name: 'splunk',
      type: 'splunk-hec',
      enabled: true,
      format: 'splunk',
      batch: { maxEvents: 500, maxBytes: 4 * 1024 * 1024, maxWaitMs: 1000 },
      startAt: { kind: 'oldest' },
      timeoutMs: 30_000,
      concurrency: 2,
    });
    expect(splunk.token).toBeInstanceOf(Secret);
    expect((splunk.token as Secret).reveal()).toBe(ENV.HEC_TOKEN);
    expect(JSON.stringify(config)).not.toContain(ENV.HEC_TOKEN);
    expect(archive).toMatchObject({
      format: 'ecs',
      filter: { kinds: ['phish', 'malware'], recordTypes: [] },
    });
    expect(archive.startAt).toEqual({ kind: 'now' });
  });

  it('names an unknown sink type with its line and the types there are', async () => {
    const found = await problems(withSinks(`  - name: k\n    type: kafka\n`));
    expect(found).toEqual([
      expect.objectContaining({
        path: 'sinks[0].type',
        line: 7,
        message: expect.stringContaining('splunk-hec'),
      }),
    ]);
  });

  it('names an unknown key of a sink and a bad common value, each with its line', async () => {
    const found = await problems(
      withSinks(`  - name: archive
    type: file
    path: ./x.ndjson
    colour: blue
    batch: { max_events: 0 }
`),
    );
    expect(found.map((p) => [p.path, p.line])).toEqual([
      ['sinks[0].colour', 9],
      ['sinks[0].batch.max_events', 10],
    ]);
    expect(found[0]?.message).toMatch(/unknown key/);
    expect(found[1]?.message).toMatch(/whole number from 1 to 100000/);
  });

  it('refuses two sinks of one name and a format the sink type cannot carry', async () => {
    const found = await problems(
      withSinks(`  - name: same
    type: file
    path: ./a.ndjson
  - name: same
    type: file
    path: ./b.ndjson
  - name: es
    type: elasticsearch
    url: https://es.example:9200
    format: cef
`),
    );
    const byPath = Object.fromEntries(found.map((p) => [p.path, p.message]));
    expect(byPath['sinks[1].name']).toMatch(/same name as sinks\[0\]/);
    expect(byPath['sinks[2].format']).toMatch(/ecs/);
  });

  it('names the sink secret whose environment variable is unset, without any secret value', async () => {
    const found = await problems(
      withSinks(`  - name: splunk
    type: splunk-hec
    url: https://splunk.example:8088
    token: { env: MISSING_TOKEN }
`),
    );
    expect(found).toEqual([
      expect.objectContaining({
        path: 'sinks[0].token',
        line: 9,
        message: expect.stringContaining('MISSING_TOKEN'),
      }),
    ]);
  });

  it('refuses a secret written as a literal value', async () => {
    const found = await problems(
      withSinks(`  - name: splunk
    type: splunk-hec
    url: https://splunk.example:8088
    token: 3f1c1b1e-7c1d-4b4e-9a4b-0c0d0e0f0a0b
`),
    );
    expect(found[0]).toMatchObject({ path: 'sinks[0].token', message: expect.stringContaining('reference') });
    expect(JSON.stringify(found)).not.toContain('3f1c1b1e-7c1d');
  });
});
