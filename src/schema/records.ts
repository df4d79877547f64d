/**
 * Runtime schemas (zod 4) for the common audit schema (spec §8) and the
 * Defender record types 28, 41, 47 and 64 (spec §9).
 *
 * Each schema exists twice, built by the same code: `strict` decides whether
 * a record is valid and says why not; `lenient` never fails on a field (a bad
 * field reads as absent) and is what the normalizer maps from, so an invalid
 * record still yields every field that could be read. Unknown keys are kept
 * (loose objects), key spelling is tolerated (`UrlClickAction`/`URLClickAction`,
 * `Url`/`URL`, `ClientIp`/`ClientIP`).
 *
 * Required fields are deliberately fewer than the doc's "mandatory" column:
 * only what identifies a record and what its mapping cannot do without, so
 * that real records missing a minor field are not reported invalid.
 */
import { z } from 'zod';
import {
  DETECTION_TYPES,
  FILE_VERDICTS,
  POLICIES,
  POLICY_ALIASES,
  POLICY_ACTIONS,
  SCOPES,
  SOURCE_WORKLOADS,
  URL_CLICK_ACTIONS,
  USER_TYPES,
} from './enums.js';
import {
  keyCanonicalizer,
  clientIp,
  enumField,
  isRecord,
  jsonEncoded,
  parseJsonLayer,
  resolveRefs,
  sha256,
  utcTime,
} from './wire.js';

/** Integers sent as numbers or numeric strings (`RecordType`, `FileSize`, `RunningTime`). */
const int = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, 'expected an integer')
    .transform((s) => Number(s)),
]);
const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^\s*-?\d+(\.\d+)?\s*$/)
    .transform((s) => Number(s)),
]);
const str = z.string();
const strList = z.array(z.string());

function build(lenient: boolean) {
  /** A field the record cannot do without. */
  const req = <T extends z.ZodType>(s: T) =>
    (lenient ? s.optional().catch(undefined) : s) as unknown as z.ZodOptional<T>;
  /** A field that may be absent or null. */
  const opt = <T extends z.ZodType>(s: T) =>
    (lenient ? s.nullish().catch(undefined) : s.nullish()) as unknown as z.ZodOptional<z.ZodNullable<T>>;
  /**
   * An observed, undocumented field (spec §9.5.4 "extra fields observed"): read when it has the expected
   * type, and never a reason to call the record invalid (a bad value reads as absent in both modes).
   */
  const soft = <T extends z.ZodType>(s: T) =>
    s.nullish().catch(undefined) as unknown as z.ZodOptional<z.ZodNullable<T>>;
  /** A loose object whose keys are matched to the shape's spelling ignoring case. */
  const obj = <S extends z.ZodRawShape>(shape: S, aliases: Record<string, string> = {}) => {
    const canonical = keyCanonicalizer(Object.keys(shape), aliases);
    return z.preprocess((v) => (isRecord(v) ? canonical(v) : v), z.looseObject(shape));
  };
  /** A list whose bad items are dropped in lenient mode. */
  const list = <T extends z.ZodType>(item: T) =>
    lenient
      ? z.array(z.unknown()).transform((items) =>
          items.flatMap((i) => {
            const r = item.safeParse(i);
            return r.success ? [r.data as z.output<T>] : [];
          }),
        )
      : z.array(item);

  const appAccessContext = obj({
    AADSessionId: opt(str),
    APIId: opt(str),
    ClientAppId: opt(str),
    ClientAppName: opt(str),
    CorrelationId: opt(str),
    UniqueTokenId: opt(str),
    IssuedAtTime: opt(utcTime),
  });

  /** §8.1. `ClientIp` is the 2018 doc spelling. */
  const commonShape = {
    Id: req(str.min(1)),
    RecordType: req(int),
    CreationTime: req(utcTime),
    Operation: req(str),
    OrganizationId: req(str),
    UserType: opt(enumField(USER_TYPES, 'UserType')),
    UserKey: opt(str),
    Workload: opt(str),
    ResultStatus: opt(str),
    ObjectId: opt(str),
    UserId: opt(str),
    ClientIP: opt(clientIp),
    Scope: opt(enumField(SCOPES, 'Scope')),
    AppAccessContext: opt(appAccessContext),
    Version: opt(int),
  };
  const commonAliases = { ClientIp: 'ClientIP' };

  // --- 28 ThreatIntelligence (§9.2) ---
  const attachment = obj({
    FileName: req(str),
    FileType: opt(str),
    FileVerdict: req(enumField(FILE_VERDICTS, 'FileVerdict')),
    MalwareFamily: opt(str),
    SHA256: opt(sha256),
  });
  const mailShape = {
    ...commonShape,
    AttachmentData: opt(list(attachment)),
    DetectionType: req(enumField(DETECTION_TYPES, 'DetectionType')),
    DetectionMethod: opt(str),
    InternetMessageId: opt(str),
    NetworkMessageId: req(str.min(1)),
    P1Sender: opt(str),
    P2Sender: opt(str),
    Policy: opt(enumField(POLICIES, 'Policy', POLICY_ALIASES)),
    PolicyAction: opt(enumField(POLICY_ACTIONS, 'PolicyAction')),
    Recipients: req(list(str)),
    SenderIp: opt(clientIp),
    Subject: opt(str),
    Verdict: req(str),
    MessageTime: opt(utcTime),
    EventDeepLink: opt(str),
    DeliveryAction: req(str),
    OriginalDeliveryLocation: opt(str),
    LatestDeliveryLocation: opt(str),
    Directionality: opt(str),
    // Documented as one string, an array of strings on the wire: accept both.
    ThreatsAndDetectionTech: opt(z.union([strList, str.transform((s) => [s])])),
    AdditionalActionsAndResults: opt(z.union([strList, str.transform((s) => [s])])),
    Connector: opt(str),
    AuthDetails: opt(list(obj({ Name: req(str), Value: opt(str) }))),
    SystemOverrides: opt(
      list(obj({ Details: opt(str), FinalOverride: opt(str), Result: opt(str), Source: opt(str) })),
    ),
    PhishConfidenceLevel: opt(str),
  };

  // --- 41 ThreatIntelligenceUrl (§9.3) ---
  const urlClickShape = {
    ...commonShape,
    AppName: opt(str),
    AppVersion: opt(str),
    // Doc `URLClickAction`, Defender `UrlClickAction`, any case; absent in one sample.
    URLClickAction: opt(enumField(URL_CLICK_ACTIONS, 'URLClickAction')),
    // The 2018 doc revision used two booleans instead of the enum.
    Blocked: opt(z.boolean()),
    ClickedThrough: opt(z.boolean()),
    SourceId: opt(str),
    TimeOfClick: opt(utcTime),
    Url: req(str.min(1)),
    UserIp: opt(clientIp),
    EventDeepLink: opt(str),
  };

  // --- 47 ThreatIntelligenceAtpContent (§9.4) ---
  const fileData = obj({
    DocumentId: opt(str),
    FileName: req(str),
    FilePath: opt(str),
    FileVerdict: req(enumField(FILE_VERDICTS, 'FileVerdict')),
    MalwareFamily: opt(str),
    SHA256: req(sha256),
    FileSize: opt(int),
  });
  const fileShape = {
    ...commonShape,
    FileData: req(fileData),
    SourceWorkload: opt(enumField(SOURCE_WORKLOADS, 'SourceWorkload')),
    DetectionMethod: opt(str),
    LastModifiedDate: opt(utcTime),
    LastModifiedBy: opt(str),
    EventDeepLink: opt(str),
    DetectionDate: opt(utcTime),
  };

  // --- 64 AirInvestigation (§9.5) ---
  const fileHash = obj({ Algorithm: opt(str), Value: opt(str) });
  const fileEntity = obj({ Name: opt(str), FileHashes: opt(list(fileHash)), MalwareFamily: opt(str) });
  /** One entity; the discriminator `Type` is read case-insensitively, ignoring `-`. */
  const counts = z.record(z.string(), num);
  const entity = obj({
    // Some records carry entities without a `Type`; the mapper then tells the kind from the fields present.
    Type: opt(str),
    NetworkMessageId: opt(str),
    NetworkMessageIds: opt(strList),
    InternetMessageId: opt(str),
    Subject: opt(str),
    Sender: opt(str),
    SenderIP: opt(str),
    Recipient: opt(str),
    // Strings on the wire; the doc says URL entities.
    Urls: opt(list(z.union([str, obj({ Url: req(str) }).transform((u) => u.Url)]))),
    Url: opt(str),
    Address: opt(str),
    MailboxPrimaryAddress: opt(str),
    Upn: opt(str),
    Name: opt(str),
    FileHashes: opt(list(fileHash)),
    Files: opt(list(fileEntity)),
    Threats: opt(strList),
    Algorithm: opt(str),
    Value: opt(str),
    MalwareFamily: opt(str),
    // mailMessage (spec §9.5.4, observed fields)
    P1Sender: soft(str),
    P1SenderDomain: soft(str),
    P2Sender: soft(str),
    P2SenderDisplayName: soft(str),
    P2SenderDomain: soft(str),
    AntispamDirection: soft(str),
    DeliveryAction: soft(str),
    DeliveryLocation: soft(str),
    OriginalDeliveryLocation: soft(str),
    ThreatDetectionMethods: soft(strList),
    ReceivedDate: soft(str),
    PhishConfidenceLevel: soft(str),
    Language: soft(str),
    Urn: soft(str),
    // mailbox
    DisplayName: soft(str),
    AadId: soft(str),
    RiskLevel: soft(str),
    // mailCluster
    Query: soft(str),
    QueryTime: soft(str),
    MailCount: soft(num),
    CountByThreatType: soft(counts),
    CountByDeliveryStatus: soft(counts),
    CountByDeliveryLocation: soft(counts),
    CountByProtectionStatus: soft(counts),
    ClusterSourceType: soft(str),
    ClusterSourceIdentifier: soft(str),
    ClusterBy: soft(str),
    ClusterByValue: soft(str),
    // url
    ClickCount: soft(num),
    EmailCount: soft(num),
  });
  const action = obj(
    {
      ActionId: opt(str),
      ActionType: opt(str),
      ActionStatus: opt(str),
      ApprovedBy: opt(str),
      TimestampUtc: opt(utcTime),
      StartTimeUtc: opt(utcTime),
      EndTimeUtc: opt(utcTime),
      LastUpdateTimeUtc: opt(utcTime),
      InvestigationId: opt(str),
      RelatedAlertIds: opt(strList),
      Entities: opt(list(entity)),
      ActionApproval: soft(str),
      PendingType: soft(str),
      Description: soft(str),
    },
    { ID: 'ActionId' },
  );
  const alert = obj({
    AlertType: opt(str),
    AlertDisplayName: opt(str),
    Description: opt(str),
    Severity: opt(str),
    Status: opt(z.union([str, z.number()]).transform(String)),
    Category: opt(str),
    DetectionTechnology: opt(str),
    ConfidenceScore: opt(num),
    IsIncident: opt(z.boolean()),
    ProviderAlertId: opt(str),
    SystemAlertId: opt(str),
    Entities: opt(list(entity)),
  });
  /** `Actions`: each item an object or a JSON string (2019 sample); `$ref`s resolved across the list. */
  const actions = z
    .array(z.unknown())
    .transform((items, ctx) => {
      const parsed: { value: unknown; own: boolean }[] = [];
      items.forEach((item, i) => {
        const layer = parseJsonLayer(item);
        if (layer.ok) parsed.push({ value: layer.value, own: typeof item === 'string' });
        else if (!lenient)
          ctx.addIssue({ code: 'custom', message: `JSON string does not parse: ${layer.error}`, path: [i] });
      });
      // Objects share the record's reference space (it was serialised as a whole); a JSON string was serialised
      // on its own, so its `$id`s (often numbered from 1 in every string) resolve within it only.
      const shared = resolveRefs(parsed.filter((p) => !p.own).map((p) => p.value)) as unknown[];
      let next = 0;
      return parsed.map((p) => (p.own ? resolveRefs(p.value) : shared[next++]));
    })
    .pipe(list(action));
  const investigationShape = {
    ...commonShape,
    InvestigationId: req(str),
    InvestigationName: opt(str),
    InvestigationType: opt(str),
    LastUpdateTimeUtc: opt(utcTime),
    StartTimeUtc: opt(utcTime),
    EndTimeUtc: opt(utcTime),
    Status: req(str),
    DeepLinkUrl: opt(str),
    Actions: opt(actions),
    // A JSON string to parse a second time (spec §9.5.1); objects accepted too.
    Data: opt(jsonEncoded(z.unknown().transform(resolveRefs).pipe(alert))),
    RunningTime: opt(int),
  };
  const investigationAliases = { ...commonAliases, DeeplinkURL: 'DeepLinkUrl' };

  return {
    common: obj(commonShape, commonAliases),
    mail: obj(mailShape, { ...commonAliases, Connectors: 'Connector' }),
    urlClick: obj(urlClickShape, { ...commonAliases, URL: 'Url' }),
    file: obj(fileShape, commonAliases),
    investigation: obj(investigationShape, investigationAliases),
    /** Top-level field names each schema knows, for the `raw` passthrough of unknown fields. */
    knownFields: {
      common: Object.keys(commonShape),
      mail: Object.keys(mailShape),
      urlClick: Object.keys(urlClickShape),
      file: Object.keys(fileShape),
      investigation: Object.keys(investigationShape),
    },
  };
}

/** Schemas that decide validity and report why a record is invalid. */
export const STRICT = build(false);
/** The same schemas, reading each bad field as absent; the normalizer maps from these. */
export const LENIENT = build(true);

export type RecordSchemaKey = 'common' | 'mail' | 'urlClick' | 'file' | 'investigation';

export type CommonRecord = z.output<typeof LENIENT.common>;
export type MailRecord = z.output<typeof LENIENT.mail>;
export type UrlClickRecord = z.output<typeof LENIENT.urlClick>;
export type FileRecord = z.output<typeof LENIENT.file>;
export type InvestigationRecord = z.output<typeof LENIENT.investigation>;
export type AirAction = NonNullable<InvestigationRecord['Actions']>[number];
export type AirEntity = NonNullable<NonNullable<InvestigationRecord['Data']>['Entities']>[number];

/** Which schema applies to a record type number. */
export function schemaKeyFor(recordType: number | null | undefined): RecordSchemaKey {
  switch (recordType) {
    case 28:
      return 'mail';
    case 41:
      return 'urlClick';
    case 47:
      return 'file';
    case 64:
    case 86:
    case 89:
      // Manual and admin-action investigations share the AirInvestigation shape (spec §9.1, INF).
      return 'investigation';
    default:
      return 'common';
  }
}
