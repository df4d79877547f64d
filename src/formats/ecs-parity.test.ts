/**
 * Parity with Elastic's o365 integration (elastic/integrations, packages/o365/data_stream/audit/elasticsearch/
 * ingest_pipeline/default.yml): for each ECS field its pipeline sets on record types 28, 41, 47 and 64, what it
 * puts there and whether atp-siem writes the same (`match`, checked below on every such fixture) or deliberately
 * differs (with the reason, also in docs/FORMATS.md).
 */
import { describe, expect, it } from 'vitest';
import { at } from '../../test/fixtures/records/golden.js';
import { loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { toEcs } from './ecs.js';
import { toFormatInput } from './index.js';

type Raw = Record<string, unknown>;
/** The pipeline's ISO8601 date processor reads a time without a zone as UTC. */
const withZone = (t: string) => (/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `ClientIPAddress`, else `ClientIP`, else `ActorIpAddress`, without brackets and port, as the pipeline's grok does. */
function clientAddress(r: Raw): { ip: string | null; port: number | null } {
  const v = str(r['ClientIPAddress']) ?? str(r['ClientIP']) ?? str(r['ActorIpAddress']);
  if (v === null || v === '<null>') return { ip: null, port: null };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(v);
  return m
    ? { ip: m[1] ?? null, port: m[2] ? Number(m[2]) : null }
    : { ip: v.replace(/^::ffff:/, ''), port: null };
}

const RECORD_TYPE_NAMES: Record<number, string> = {
  28: 'ThreatIntelligence',
  41: 'ThreatIntelligenceUrl',
  47: 'ThreatIntelligenceAtpContent',
  64: 'AirInvestigation',
};

interface ParityRow {
  field: string;
  /** What the integration's pipeline puts there, in words. */
  integration: string;
  parity: 'match' | 'differ';
  /** For `match`: the integration's value for a record (undefined: it sets nothing, so neither do we need to). */
  expected?: (r: Raw) => unknown;
  /** For `differ`: why. */
  reason?: string;
  /** Compare `related.*`-style lists by containment. */
  contains?: boolean;
}

const userId = (r: Raw) => str(r['UserId']);
const atSplit = (r: Raw, i: 0 | 1) => {
  const id = userId(r);
  const parts = id?.split('@');
  return parts?.length === 2 ? parts[i] : undefined;
};

export const PARITY: ParityRow[] = [
  {
    field: 'ecs.version',
    integration: "'8.11.0'",
    parity: 'differ',
    reason:
      'typed and validated against the ECS 9.4.0 definitions (@elastic/ecs); every field we write has the same name and type in 8.11',
  },
  {
    field: '@timestamp',
    integration: 'CreationTime (ISO 8601, UTC)',
    parity: 'match',
    expected: (r) =>
      str(r['CreationTime']) ? new Date(withZone(String(r['CreationTime']))).toISOString() : undefined,
  },
  { field: 'event.id', integration: 'Id', parity: 'match', expected: (r) => str(r['Id']) ?? undefined },
  {
    field: 'event.kind',
    integration: "'event'",
    parity: 'differ',
    reason:
      "detections (blocked/delivered threats, Safe Links blocks, malicious files, investigations) are 'alert' so SIEM alert views and rules see them",
  },
  {
    field: 'event.category',
    integration: "['web']",
    parity: 'differ',
    reason: 'email, web, file, intrusion_detection, malware per record, as ECS defines the categories',
  },
  {
    field: 'event.type',
    integration: "['info']",
    parity: 'differ',
    reason: "'info' plus access/allowed/denied where ECS expects them with the categories",
  },
  {
    field: 'event.action',
    integration: 'Operation (TIMailData, TIUrlClickData, …)',
    parity: 'differ',
    reason:
      'the normalized action (blocked, clicked-through-warning, …); Operation stays in o365.audit.Operation',
  },
  {
    field: 'event.outcome',
    integration: "from ResultStatus, else 'success'",
    parity: 'differ',
    reason: "whether the attempted activity succeeded: a blocked mail is a failed delivery, not 'success'",
  },
  {
    field: 'event.provider',
    integration: 'Workload',
    parity: 'match',
    expected: (r) => str(r['Workload']) ?? undefined,
  },
  {
    field: 'event.code',
    integration: 'the RecordType name',
    parity: 'match',
    expected: (r) => RECORD_TYPE_NAMES[Number(r['RecordType'])],
  },
  {
    field: 'organization.id',
    integration: 'OrganizationId, lower-case',
    parity: 'match',
    expected: (r) => str(r['OrganizationId'])?.toLowerCase(),
  },
  {
    field: 'host.id',
    integration: 'organization.id',
    parity: 'match',
    expected: (r) => str(r['OrganizationId'])?.toLowerCase(),
  },
  {
    field: 'host.name',
    integration: 'user.domain when no tenant name is configured',
    parity: 'differ',
    reason: 'a mail domain is not a host; left empty',
  },
  {
    field: 'user.id',
    integration: 'UserId (ThreatIntel, AirInvestigation for 28 and 64)',
    parity: 'differ',
    reason:
      'the person the event is about (the recipient, the clicking user, the file modifier), never a system value; UserId stays in o365.audit.UserId',
  },
  {
    field: 'user.email',
    integration: 'UserId when it has one @',
    parity: 'match',
    expected: (r) =>
      atSplit(r, 0) !== undefined && ![28, 64].includes(Number(r['RecordType'])) ? userId(r) : undefined,
  },
  {
    field: 'user.name',
    integration: 'the part of UserId before the @',
    parity: 'match',
    expected: (r) => (![28, 64].includes(Number(r['RecordType'])) ? atSplit(r, 0) : undefined),
  },
  {
    field: 'user.domain',
    integration: 'the part of UserId after the @',
    parity: 'match',
    expected: (r) => (![28, 64].includes(Number(r['RecordType'])) ? atSplit(r, 1)?.toLowerCase() : undefined),
  },
  {
    field: 'client.ip',
    integration: 'ClientIPAddress/ClientIP/ActorIpAddress without brackets and port',
    parity: 'match',
    expected: (r) => clientAddress(r).ip ?? undefined,
  },
  {
    field: 'client.port',
    integration: 'the port of that address',
    parity: 'match',
    expected: (r) => clientAddress(r).port ?? undefined,
  },
  {
    field: 'source.ip',
    integration: 'client.ip',
    parity: 'match',
    expected: (r) => (Number(r['RecordType']) === 28 ? undefined : (clientAddress(r).ip ?? undefined)),
  },
  {
    field: 'network.type',
    integration: 'ipv6 when client.ip has a colon, else ipv4',
    parity: 'match',
    expected: (r) => {
      const ip = clientAddress(r).ip;
      return ip ? (ip.includes(':') ? 'ipv6' : 'ipv4') : undefined;
    },
  },
  {
    field: 'related.ip',
    integration: '[client.ip]',
    parity: 'match',
    contains: true,
    expected: (r) => (clientAddress(r).ip ? [clientAddress(r).ip] : undefined),
  },
  {
    field: 'related.user',
    integration: '[user.name]',
    parity: 'match',
    contains: true,
    expected: (r) =>
      ![28, 64].includes(Number(r['RecordType'])) && atSplit(r, 0) ? [atSplit(r, 0)] : undefined,
  },
  {
    field: 'o365.audit.Data.flattened',
    integration: 'Data parsed from JSON (64)',
    parity: 'match',
    expected: (r) => (typeof r['Data'] === 'string' ? (JSON.parse(r['Data']) as unknown) : undefined),
  },
];

const DEFENDER_FIXTURES = loadRecordFixtures().filter((f) =>
  /^(mail-28|click-41|file-47|air-64)-/.test(f.name),
);

describe("ECS parity with Elastic's o365 integration", () => {
  it('gives a reason for every deliberate difference', () => {
    for (const row of PARITY.filter((r) => r.parity === 'differ'))
      expect(row.reason, row.field).toMatch(/.{20}/);
  });

  // Only the fixtures where the integration sets the field: elsewhere there is nothing to match.
  const cases = DEFENDER_FIXTURES.flatMap((f) =>
    PARITY.filter((r) => r.parity === 'match').flatMap((row) => {
      const want = row.expected?.(JSON.parse(f.raw) as Raw);
      return want === undefined ? [] : [[row.field, f.name, f.raw, row, want] as const];
    }),
  );
  it.each(cases)('writes %s as the integration does for %s', (_field, _name, raw, row, want) => {
    const got = at(toEcs(toFormatInput(raw)), row.field);
    if (row.contains) expect(got).toEqual(expect.arrayContaining(want as unknown[]));
    else expect(got).toEqual(want);
  });

  it('checks every match row on at least one fixture', () => {
    const checked = new Set(cases.map(([field]) => field));
    expect(PARITY.filter((r) => r.parity === 'match' && !checked.has(r.field)).map((r) => r.field)).toEqual(
      [],
    );
  });
});
