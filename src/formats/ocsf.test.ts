import { describe, expect, it } from 'vitest';
import { at, golden, prettyJson } from '../../test/fixtures/records/golden.js';
import { loadRecordFixture, loadRecordFixtures } from '../../test/fixtures/records/index.js';
import { toFormatInput } from './index.js';
import { OCSF_VERSION, ocsfFormat } from './ocsf.js';

const FIXTURES = loadRecordFixtures();

function ocsfOf(name: string): unknown {
  return JSON.parse(ocsfFormat.encode(toFormatInput(loadRecordFixture(name).raw))) as unknown;
}

describe('OCSF format', () => {
  it.each(FIXTURES.map((f) => [f.name, f.raw] as const))('matches the golden event for %s', (name, raw) => {
    const line = ocsfFormat.encode(toFormatInput(raw));
    expect(line).not.toContain('\n');
    const actual = prettyJson(JSON.parse(line));
    expect(actual).toBe(golden('ocsf', name, actual));
  });

  it.each(FIXTURES.map((f) => [f.name] as const))(
    '%s has the base attributes and type_uid = class_uid*100 + activity_id',
    (name) => {
      const doc = ocsfOf(name);
      expect(at(doc, 'type_uid')).toBe(
        (at(doc, 'class_uid') as number) * 100 + (at(doc, 'activity_id') as number),
      );
      expect(Math.floor((at(doc, 'class_uid') as number) / 1000)).toBe(at(doc, 'category_uid'));
      expect(at(doc, 'metadata.version')).toBe(OCSF_VERSION);
      expect(at(doc, 'metadata.product.vendor_name')).toBe('Microsoft');
      expect(typeof at(doc, 'time')).toBe('number');
      expect([1, 2, 3, 4, 5]).toContain(at(doc, 'severity_id'));
    },
  );

  it('maps a blocked malware mail to Email Activity, denied and quarantined, with the attachment hash', () => {
    const doc = ocsfOf('mail-28-malware-blocked');
    expect(at(doc, 'class_uid')).toBe(4009);
    expect(at(doc, 'action_id')).toBe(2);
    expect(at(doc, 'disposition_id')).toBe(3);
    expect(at(doc, 'direction_id')).toBe(1);
    expect(at(doc, 'email.files.0.hashes.0')).toEqual({
      algorithm_id: 3,
      algorithm: 'SHA-256',
      value: '091b572abf984382a95b9455e407f284e24bfb616890abc3fcdb2be68813f39d',
    });
    expect(at(doc, 'email_auth.spf')).toBe('Pass');
    expect(at(doc, 'time')).toBe(Date.UTC(2026, 10, 20, 8, 15, 42));
    expect(at(doc, 'unmapped.Verdict')).toBe('Malware');
  });

  it('maps clicks to Email URL Activity with the Safe Links decision as disposition', () => {
    expect(at(ocsfOf('click-41-blocked'), 'disposition_id')).toBe(2);
    expect(at(ocsfOf('click-41-pending-detonation'), 'disposition_id')).toBe(14);
    const through = ocsfOf('click-41-clicked-through');
    expect(at(through, 'class_uid')).toBe(4012);
    expect(at(through, 'action_id')).toBe(1);
    expect(at(through, 'actor.user.name')).toBe('alex.wilber@contoso.example');
    expect(at(through, 'url.hostname')).toBe('login-micros0ft.example.net');
  });

  it('maps a SharePoint malware file to a Detection Finding with the file as evidence', () => {
    const doc = ocsfOf('file-47-sharepoint-base64');
    expect(at(doc, 'class_uid')).toBe(2004);
    expect(at(doc, 'finding_info.uid')).toBe('6e7f8a9b-0c1d-4e2f-3a4b-5c6d7e8f9a0b');
    expect(at(doc, 'evidences.0.file.hashes.0.value')).toBe(
      'f461e359b72478e63623b0365343b9d3772f24d2c0e26ffccd944fa217bb2b0a',
    );
    expect(at(doc, 'malware.0.classification_ids')).toEqual([6]);
  });

  it('maps investigation status changes to Incident Finding create, update and close', () => {
    expect(at(ocsfOf('air-64-started'), 'type_uid')).toBe(200501);
    expect(at(ocsfOf('air-64-pending-objects'), 'type_uid')).toBe(200502);
    expect(at(ocsfOf('air-64-pending-objects'), 'status_id')).toBe(3);
    const done = ocsfOf('air-64-remediated-strings');
    expect(at(done, 'type_uid')).toBe(200503);
    expect(at(done, 'status_id')).toBe(4);
  });

  it('maps other audit records to API Activity and keeps unmapped fields', () => {
    const doc = ocsfOf('unknown-9999-future-type');
    expect(at(doc, 'class_uid')).toBe(6003);
    expect(at(doc, 'api.operation')).toBe('FutureThing');
    expect(at(doc, 'unmapped.NewField')).toEqual({ Nested: [1, 2, 3] });
  });
});
