/**
 * The five content types (spec §4) and how live and backlog records are
 * spread over them: weighted towards Audit.General, where the Defender for
 * Office 365 records live.
 */
import type { ContentType } from './generator/index.js';

export type { ContentType };

export const ALL_CONTENT_TYPES: readonly ContentType[] = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All',
];

export const CONTENT_TYPE_WEIGHTS: Readonly<Record<ContentType, number>> = {
  'Audit.General': 0.4,
  'Audit.Exchange': 0.2,
  'Audit.SharePoint': 0.17,
  'Audit.AzureActiveDirectory': 0.15,
  'DLP.All': 0.08,
};

/** Content types are matched exactly, as the service does (`audit.general` is AF20020). */
export function asContentType(value: string | undefined): ContentType | undefined {
  return ALL_CONTENT_TYPES.find((ct) => ct === value);
}
