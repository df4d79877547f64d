/**
 * Builders for store tests and the store benchmark: records and blobs shaped like the real ones,
 * with only what a test cares about spelled out.
 */
import { randomUUID } from 'node:crypto';
import type { BlobRef, IndexedFields, RecordInput } from './types.js';

export const TENANT = '11111111-2222-3333-4444-555555555555';

export function emptyIndex(): IndexedFields {
  return {
    recordType: null,
    creationTime: null,
    operation: null,
    workload: null,
    userId: null,
    verdict: null,
    deliveryAction: null,
    sender: null,
    recipients: [],
    url: null,
    sha256: null,
    investigationStatus: null,
    links: [],
    invalidReason: null,
  };
}

/**
 * A record whose raw text is a plausible audit record carrying `fields` (wire names), indexed with `index`.
 * @example makeRecord({ Subject: 'hi' }, { recordType: 28, verdict: 'Phish' })
 */
export function makeRecord(
  fields: Record<string, unknown> = {},
  index: Partial<IndexedFields> = {},
): RecordInput {
  const id = typeof fields.Id === 'string' ? fields.Id : randomUUID();
  const full = { ...emptyIndex(), recordType: 28, creationTime: '2026-01-10T10:00:00.000Z', ...index };
  const wire = {
    CreationTime: full.creationTime?.replace(/\.\d{3}Z$/, ''),
    Id: id,
    Operation: full.operation ?? 'TIMailData',
    OrganizationId: TENANT,
    RecordType: full.recordType,
    UserKey: 'ThreatIntel',
    UserType: 4,
    Version: 1,
    Workload: full.workload ?? 'ThreatIntelligence',
    UserId: full.userId ?? 'ThreatIntel',
    ...fields,
  };
  return { id, raw: JSON.stringify(wire), index: full };
}

/** A content blob of the tenant, created at `created` (ISO). */
export function makeBlob(created = '2026-01-10T10:00:00.000Z', contentType = 'Audit.General'): BlobRef {
  const contentId = `20260110100000${randomUUID().replaceAll('-', '')}$${contentType}`;
  return {
    tenantId: TENANT,
    contentType,
    contentId,
    contentUri: `https://manage.office.com/api/v1.0/${TENANT}/activity/feed/audit/${contentId}`,
    contentCreated: created,
    contentExpiration: new Date(Date.parse(created) + 7 * 86_400_000).toISOString(),
  };
}
