/**
 * The type of the document the ECS encoder builds: Elastic's own ECS
 * TypeScript definitions (`@elastic/ecs`), with the two nested field sets
 * those definitions leave untyped (`threat.enrichments`, typed here from the
 * same field set as `threat.indicator`) and our two namespaces outside ECS:
 * `o365.audit` (the record as received) and `atp_siem` (what ECS has no field
 * for). The encoder builds a `Draft<EcsDocument>` literal, so a misspelt or
 * non-ECS field anywhere else fails `tsc`.
 */
import type { Ecs, EcsThreat } from '@elastic/ecs';

/** A value being built: every field optional and nullable (nulls and empties are dropped by `compact`). */
export type Draft<T> = T extends readonly (infer E)[]
  ? Draft<E>[]
  : T extends object
    ? { [K in keyof T]?: Draft<T[K]> | null }
    : T;

export type EcsIndicator = NonNullable<EcsThreat['indicator']>;

/** One `threat.enrichments` item: an indicator and how it matched (ECS `threat.enrichments.matched.*`). */
export interface EcsEnrichment {
  indicator?: EcsIndicator;
  matched?: {
    atomic?: string;
    field?: string;
    id?: string;
    index?: string;
    occurred?: string;
    type?: string;
  };
}

/** A `mailMessage` entity of an investigation, under `atp_siem.investigation.mails`. */
export interface AtpSiemMail {
  network_message_id?: string;
  internet_message_id?: string;
  subject?: string;
  sender?: string;
  p1_sender?: string;
  p1_sender_domain?: string;
  p2_sender?: string;
  p2_sender_display_name?: string;
  p2_sender_domain?: string;
  sender_ip?: string;
  recipient?: string;
  received_time?: string;
  direction?: string;
  delivery_action?: string;
  delivery_location?: string;
  original_delivery_location?: string;
  threats?: string[];
  detection_methods?: string[];
  urls?: string[];
  file_names?: string[];
  urn?: string;
}

export interface AtpSiemCluster {
  query?: string;
  query_time?: string;
  mail_count?: number;
  network_message_ids?: string[];
  count_by_threat_type?: Record<string, number>;
  count_by_delivery_status?: Record<string, number>;
  count_by_delivery_location?: Record<string, number>;
  threats?: string[];
  source_type?: string;
  cluster_by?: string;
  cluster_by_value?: string;
  urn?: string;
}

export interface AtpSiemAction {
  id?: string;
  type?: string;
  status?: string;
  approval?: string;
  approved_by?: string;
  pending_type?: string;
  description?: string;
  target_types?: string[];
  mailboxes?: string[];
  network_message_ids?: string[];
  urls?: string[];
  related_alert_ids?: string[];
  start_time?: string;
  end_time?: string;
}

/** Our namespace: what ECS has no field for. */
export interface AtpSiemFields {
  action?: string;
  disposition?: string;
  links?: string[];
  /** Flat names of ECS fields whose value was not valid for the field's type and was left out. */
  invalid_fields?: string[];
  investigation?: {
    id?: string;
    name?: string;
    type?: string;
    status?: string;
    /** Every NetworkMessageId the investigation names (lower-case): joins to record 28 `email.local_id`. */
    network_message_ids?: string[];
    /** Every URL the investigation names: joins to record 41 `url.original`. */
    urls?: string[];
    url_entities?: { url?: string; click_count?: number; email_count?: number }[];
    malware_families?: string[];
    mails?: AtpSiemMail[];
    clusters?: AtpSiemCluster[];
    actions?: AtpSiemAction[];
  };
}

/** The ECS document atp-siem writes. */
export type EcsDocument = Omit<Ecs, 'threat'> & {
  threat?: Omit<EcsThreat, 'enrichments'> & { enrichments?: EcsEnrichment[] };
  o365?: { audit?: Record<string, unknown> };
  atp_siem?: AtpSiemFields;
};
