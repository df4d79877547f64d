import { hash } from 'node:crypto';
import { canonicalTime } from './time.js';

/** Base64 characters of the SHA-256 kept: 21 carry 126 bits, all from the 16 bytes that v1 keys kept. */
const HASH_CHARS = 21;

/** The first HASH_CHARS characters of a base64 SHA-256 (or of base64 of its first 16 bytes: the same). */
export function hashPart(base64: string): string {
  return base64.slice(0, HASH_CHARS);
}

/**
 * A record's CreationTime in whole minutes since 1970, as 8 lowercase hex digits, so that text order is
 * time order; `00000000` when it has none (or one before 1970).
 */
export function timePrefix(creationTime: string | null | undefined): string {
  const ms = Date.parse(canonicalTime(creationTime) ?? '');
  const minutes = ms >= 0 ? Math.min(Math.floor(ms / 60_000), 0xffff_ffff) : 0;
  return minutes.toString(16).padStart(8, '0');
}

/**
 * The hash part of a dedupe key: SHA-256 of tenant and record Id (126 bits: an accidental collision is as
 * unlikely as two random GUIDs colliding). Alone, it was the v1 key, and is the key of dedupe_legacy.
 */
export function legacyKey(tenantId: string, recordId: string): string {
  if (typeof recordId !== 'string')
    throw new TypeError('record Id is NOT NULL: a record without an Id cannot be stored');
  return hashPart(hash('sha256', `${tenantId}\n${recordId}`, 'base64'));
}

/**
 * The dedupe key of a record: timePrefix(CreationTime), then legacyKey(tenant, Id). Ids are random, so a
 * key of the hash alone sent each commit's inserts to random pages of an ever larger B-tree; with the time
 * first they land beside the keys of the blob's neighbours in time (see migration 2).
 * @example dedupeKey(tenant, 'a1b2…', '2026-01-10T10:00:00') // '01c1a1e8' + 21 base64 characters
 */
export function dedupeKey(tenantId: string, recordId: string, creationTime: string | null): string {
  return timePrefix(creationTime) + legacyKey(tenantId, recordId);
}
