/**
 * The typed Defender model: wire schemas tolerant of Microsoft's quirks, the
 * normalized event, enums and record-type names as data, and link keys.
 * Imports nothing from the rest of atp-siem.
 */
export type * from './event.js';
export { NORMALIZED_EVENT_VERSION } from './event.js';
export { normalize, describeIssues } from './normalize.js';
export { extractIndex, extractIndexReference, indexFromEvent } from './index-fields.js';
export type { IndexedFields } from './index-fields.js';
export { SEVERITY_IDS, SEVERITY_RISK, recordTypeName } from './map/common.js';
export * from './enums.js';
export { canonicalUrl, emailAddress, isGuid, nmidLink, sha256Link, urlLink, urlParts } from './links.js';
export type { UrlParts } from './links.js';
export { toClientIp, toEnumValue, toSha256Hex, toUtcIso } from './wire.js';
export { dispositionOfLocation } from './map/mail.js';
