import { EcsFlat, EcsVersion } from '@elastic/ecs';
import { describe, expect, it } from 'vitest';
import type { Draft, EcsDocument } from '../ecs/document.js';
import { ECS_EXPECTED_EVENT_TYPES, ECS_FIELD_TYPES, ECS_FIELDS_VERSION } from './ecs-fields.js';
import { dropInvalidEcsValues, isEcsDate, isEcsIp, validateEcs } from './ecs-validate.js';

describe('generated ECS field table', () => {
  it('is the field types and categorization of the @elastic/ecs version installed (regenerate with scripts/gen-ecs-fields.ts)', () => {
    const flat = EcsFlat as unknown as Record<
      string,
      { type: string; allowed_values?: { name: string; expected_event_types?: string[] }[] }
    >;
    expect(ECS_FIELDS_VERSION).toBe(EcsVersion);
    expect(Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, v.type]))).toEqual(ECS_FIELD_TYPES);
    expect(
      Object.fromEntries(
        (flat['event.category']?.allowed_values ?? []).map((v) => [v.name, v.expected_event_types ?? []]),
      ),
    ).toEqual(ECS_EXPECTED_EVENT_TYPES);
  });
});

describe('ECS value checks', () => {
  it('accepts IPv4 and IPv6 (also IPv4-mapped) and refuses ffff:10.0.0.1, ports, brackets and zone ids', () => {
    expect(['10.0.0.1', '2001:db8::1', '::ffff:10.0.0.1'].map(isEcsIp)).toEqual([true, true, true]);
    expect(['ffff:10.0.0.1', '10.0.0.1:443', '[2001:db8::1]', 'fe80::1%eth0', ''].map(isEcsIp)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('accepts ISO 8601 dates with or without time and zone, refuses impossible months and US-style text', () => {
    expect(
      ['2026-11-21', '2026-11-21T06:58:02', '2026-11-21T06:58:02.123Z', '2026-11-21T06:58:02+01:00'].map(
        isEcsDate,
      ),
    ).toEqual([true, true, true, true]);
    expect(['2026-13-01', '11/21/2026 7:02:10 AM', 'yesterday'].map(isEcsDate)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('reports a non-ECS field, a wrongly typed value, a disallowed kind and a type no category expects', () => {
    const issues = validateEcs({
      ecs: { version: '9.4.0' },
      event: { kind: 'finding', category: ['email'], type: ['info', 'denied'], severity: 'high' },
      email: { sendr: 'x' },
      source: { ip: 'ffff:10.0.0.1' },
      atp_siem: { anything: 1 },
    });
    expect(issues.map((i) => i.field).sort()).toEqual([
      'email.sendr',
      'event.kind',
      'event.severity',
      'event.type',
      'source.ip',
    ]);
  });

  it('accepts allowed/denied with email when intrusion_detection, which expects them, is a category too', () => {
    expect(
      validateEcs({
        event: { kind: 'alert', category: ['email', 'intrusion_detection'], type: ['info', 'denied'] },
      }),
    ).toEqual([]);
  });

  it('drops only the invalid items of an ip array and nested indicator values, and names their fields', () => {
    const doc: Record<string, unknown> = {
      related: { ip: ['10.0.0.1', 'ffff:10.0.0.1'] },
      threat: { enrichments: [{ indicator: { ip: 'nope', type: 'ipv4-addr' } }] },
      event: { start: '11/21/2026', severity: 3 },
    };
    expect(dropInvalidEcsValues(doc)).toEqual([
      'event.start',
      'related.ip',
      'threat.enrichments.indicator.ip',
    ]);
    expect(doc).toEqual({
      related: { ip: ['10.0.0.1'] },
      threat: { enrichments: [{ indicator: { type: 'ipv4-addr' } }] },
      event: { severity: 3 },
    });
  });
});

describe('ECS document type (@elastic/ecs)', () => {
  it('type-checks ECS fields and our namespaces; tsc fails on the misspelt and mistyped lines below', () => {
    const ok: Draft<EcsDocument> = {
      ecs: { version: EcsVersion },
      email: { sender: { address: 'a@example.com' } },
      atp_siem: { investigation: { network_message_ids: ['x'] } },
      o365: { audit: { Anything: 1 } },
    };
    const misspelt: Draft<EcsDocument> = {
      ecs: { version: EcsVersion },
      // @ts-expect-error `email.sendr` is not an ECS field
      email: { sendr: { address: 'a@example.com' } },
    };
    const mistyped: Draft<EcsDocument> = {
      ecs: { version: EcsVersion },
      // @ts-expect-error `source.port` is a number in ECS
      source: { port: '443' },
    };
    // @ts-expect-error a top-level field outside ECS, `o365` and `atp_siem`
    const outside: Draft<EcsDocument> = { ecs: { version: EcsVersion }, defender: { x: 1 } };
    expect(
      [ok, misspelt, mistyped, outside].map((d) => validateEcs(d as Record<string, unknown>).length),
    ).toEqual([0, 1, 1, 1]);
  });
});
