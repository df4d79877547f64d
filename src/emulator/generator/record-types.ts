/**
 * Which content type each record type is published under, which builder
 * makes it, and how often each appears within its content type.
 */
import type { RecordBuilder } from './common.js';
import { AIR_ADMIN_ACTION, AIR_MANUAL, airRecord } from './air.js';
import { fileRecord } from './defender-file.js';
import { mailRecord } from './defender-mail.js';
import { clickRecord } from './defender-url.js';
import { attackSimRecord, powerBiRecord, teamsRecord, unknownRecord } from './general-other.js';
import type { WeightedTable } from './prng.js';
import { weightedTable } from './prng.js';
import { dlpExchangeRecord, dlpSharePointRecord } from './dlp.js';
import { entraRecord, signInRecord } from './entra.js';
import { exchangeAdminRecord, exchangeItemRecord, mailItemsAccessedRecord } from './exchange.js';
import { sharePointFileRecord, sharePointRecord, sharingRecord } from './sharepoint.js';

export type ContentType =
  'Audit.AzureActiveDirectory' | 'Audit.Exchange' | 'Audit.SharePoint' | 'Audit.General' | 'DLP.All';

export const CONTENT_TYPES: readonly ContentType[] = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All',
];

/**
 * Record type → content type (§4). Microsoft documents no such mapping; this
 * is inferred from the workload lists. Anything absent is Audit.General
 * ("every workload not in the three above"), which is also where the
 * Defender types 28/41/47/64/85/86/89 land by elimination.
 */
export const CONTENT_TYPE_OF_RECORD_TYPE: Readonly<Record<number, ContentType>> = {
  1: 'Audit.Exchange',
  2: 'Audit.Exchange',
  3: 'Audit.Exchange',
  19: 'Audit.Exchange',
  50: 'Audit.Exchange',
  4: 'Audit.SharePoint',
  6: 'Audit.SharePoint',
  7: 'Audit.SharePoint',
  14: 'Audit.SharePoint',
  36: 'Audit.SharePoint',
  37: 'Audit.SharePoint',
  54: 'Audit.SharePoint',
  55: 'Audit.SharePoint',
  56: 'Audit.SharePoint',
  8: 'Audit.AzureActiveDirectory',
  9: 'Audit.AzureActiveDirectory',
  15: 'Audit.AzureActiveDirectory',
  11: 'DLP.All',
  13: 'DLP.All',
  33: 'DLP.All',
  63: 'DLP.All',
  107: 'DLP.All',
  28: 'Audit.General',
  41: 'Audit.General',
  47: 'Audit.General',
  64: 'Audit.General',
  85: 'Audit.General',
  86: 'Audit.General',
  89: 'Audit.General',
};

/** Builders for the record types this generator models; others fall back to `unknownRecord`. */
export const BUILDERS: Readonly<Record<number, RecordBuilder>> = {
  1: exchangeAdminRecord,
  2: exchangeItemRecord,
  50: mailItemsAccessedRecord,
  4: sharePointRecord,
  6: sharePointFileRecord,
  14: sharingRecord,
  8: entraRecord,
  15: signInRecord,
  11: (ctx, at) => dlpSharePointRecord(ctx, at, 11),
  33: (ctx, at) => dlpSharePointRecord(ctx, at, 33),
  13: dlpExchangeRecord,
  20: powerBiRecord,
  25: teamsRecord,
  28: mailRecord,
  41: clickRecord,
  47: fileRecord,
  64: (ctx, at) => airRecord(ctx, at),
  85: attackSimRecord,
  86: (ctx, at) => airRecord(ctx, at, AIR_MANUAL),
  89: (ctx, at) => airRecord(ctx, at, AIR_ADMIN_ACTION),
  999: (ctx, at) => unknownRecord(ctx, at, 999),
};

/** Mix of record types per content type; Audit.General is ~74% Defender (28/41/47/64). */
export const MIX: Readonly<Record<ContentType, WeightedTable<number>>> = {
  'Audit.General': weightedTable([
    // Mail detections dominate a real tenant; investigations are rarer but each emits several records.
    [28, 38],
    [41, 20],
    [47, 8],
    [64, 8],
    [25, 11],
    [20, 6],
    [85, 4],
    [86, 1.5],
    [89, 0.5],
    [999, 2],
  ]),
  'Audit.Exchange': weightedTable([
    [1, 15],
    [2, 45],
    [50, 40],
  ]),
  'Audit.SharePoint': weightedTable([
    [4, 25],
    [6, 60],
    [14, 15],
  ]),
  'Audit.AzureActiveDirectory': weightedTable([
    [8, 30],
    [15, 70],
  ]),
  'DLP.All': weightedTable([
    [11, 40],
    [13, 45],
    [33, 15],
  ]),
};
