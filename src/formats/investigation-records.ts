/**
 * An investigation's actions and mail clusters as the JSON formats carry them where their standard has no
 * field (ECS `atp_siem.investigation.*`, OCSF `unmapped.atp_siem_actions[]` and the cluster evidence's `data`):
 * one shape, snake_case names.
 */
import type { InvestigationAction, MailClusterEvidence } from '../schema/index.js';

export interface ActionRecord {
  id: string | null;
  type: string | null;
  status: string | null;
  approval: string | null;
  approved_by: string | null;
  pending_type: string | null;
  description: string | null;
  target_types: string[];
  mailboxes: string[];
  /** Lower-case, as everywhere (the join key to the mails). */
  network_message_ids: string[];
  urls: string[];
  related_alert_ids: string[];
  start_time: string | null;
  end_time: string | null;
}

/** @example actionRecord(event.investigation.actions[0]) */
export function actionRecord(a: InvestigationAction): ActionRecord {
  return {
    id: a.id,
    type: a.type,
    status: a.status,
    approval: a.approval,
    approved_by: a.approvedBy,
    pending_type: a.pendingType,
    description: a.description,
    target_types: a.targetTypes,
    mailboxes: a.mailboxes,
    network_message_ids: a.networkMessageIds.map((x) => x.toLowerCase()),
    urls: a.urls,
    related_alert_ids: a.relatedAlertIds,
    start_time: a.startTime,
    end_time: a.endTime,
  };
}

export interface ClusterRecord {
  query: string | null;
  query_time: string | null;
  mail_count: number | null;
  /** Lower-case (the join key to the mails). */
  network_message_ids: string[];
  count_by_threat_type: Record<string, number>;
  count_by_delivery_status: Record<string, number>;
  count_by_delivery_location: Record<string, number>;
  threats: string[];
  source_type: string | null;
  cluster_by: string | null;
  cluster_by_value: string | null;
  urn: string | null;
}

/** @example clusterRecord(event.investigation.evidence.clusters[0]) */
export function clusterRecord(c: MailClusterEvidence): ClusterRecord {
  return {
    query: c.query,
    query_time: c.queryTime,
    mail_count: c.mailCount,
    network_message_ids: c.networkMessageIds.map((x) => x.toLowerCase()),
    count_by_threat_type: c.countByThreatType,
    count_by_delivery_status: c.countByDeliveryStatus,
    count_by_delivery_location: c.countByDeliveryLocation,
    threats: c.threats,
    source_type: c.sourceType,
    cluster_by: c.clusterBy,
    cluster_by_value: c.clusterByValue,
    urn: c.urn,
  };
}
