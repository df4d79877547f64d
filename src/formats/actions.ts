/**
 * An investigation's action as the JSON formats carry it under their own namespace (ECS
 * `atp_siem.investigation.actions[]`, OCSF `unmapped.atp_siem_actions[]`): one shape, snake_case names.
 */
import type { InvestigationAction } from '../schema/index.js';

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
