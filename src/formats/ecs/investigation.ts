/**
 * Record 64 (AIR investigation) in ECS: the entities the investigation names
 * as `email.*` (one mail), `related.*`, one `threat.enrichments` item per
 * entity, and the rest (mails, clusters, actions, join keys) under
 * `atp_siem.investigation`.
 */
import { isIP } from 'node:net';
import type { InvestigationInfo, NormalizedEvent } from '../../schema/index.js';
import { urlParts } from '../../schema/index.js';
import type { AtpSiemFields, Draft, EcsDocument, EcsEnrichment, EcsIndicator } from './document.js';
import { actionRecord, clusterRecord } from '../investigation-records.js';

export const DEFENDER = 'Microsoft Defender for Office 365';

/** ECS `email.direction` from Microsoft's direction names (`Intra-org` and `Intraorg` are `internal`). */
export function emailDirection(d: string | null): string | null {
  if (d === null) return null;
  const k = d.toLowerCase().replace('-', '');
  return (
    ({ inbound: 'inbound', outbound: 'outbound', intraorg: 'internal' } as Record<string, string>)[k] ?? k
  );
}

export function ecsUrlFields(original: string): Draft<NonNullable<EcsDocument['url']>> {
  const p = urlParts(original);
  if (p === null) return { original };
  return {
    original,
    full: original,
    scheme: p.scheme,
    domain: p.domain,
    port: p.port,
    path: p.path,
    query: p.query,
    fragment: p.fragment,
  };
}

const uniq = (xs: (string | null | undefined)[]): string[] => [
  ...new Set(xs.filter((x): x is string => typeof x === 'string' && x !== '')),
];

/** Every address, IP, hash and URL host the investigation names. */
export function investigationRelated(inv: InvestigationInfo): {
  ip: string[];
  user: string[];
  hash: string[];
  hosts: string[];
} {
  const ev = inv.evidence;
  const files = [...ev.files, ...ev.mails.flatMap((m) => m.files)];
  return {
    ip: uniq([...ev.ips, ...ev.mails.map((m) => m.senderIp)]),
    user: uniq([
      ...ev.mails.flatMap((m) => [m.sender, m.p1Sender, m.p2Sender, m.recipient]),
      ...ev.mailboxes.flatMap((b) => [b.address, b.upn]),
      ...inv.actions.flatMap((a) => [...a.mailboxes, a.approvedBy]),
    ]),
    hash: uniq(files.flatMap((f) => [f.sha256, f.sha1, f.md5])),
    hosts: uniq(
      [...ev.urls.map((u) => u.url), ...ev.mails.flatMap((m) => m.urls)].map((u) => urlParts(u)?.domain),
    ),
  };
}

function enrichment(
  indicator: Draft<EcsIndicator>,
  atomic: string | null,
  field: string,
): Draft<EcsEnrichment> {
  return {
    indicator: { ...indicator, provider: DEFENDER },
    matched: atomic ? { atomic, field, type: 'indicator_match_investigation' } : null,
  };
}

/** One enrichment per entity: senders and mailboxes, IPs, URLs, files. */
export function investigationEnrichments(inv: InvestigationInfo): Draft<EcsEnrichment>[] {
  const ev = inv.evidence;
  const out: Draft<EcsEnrichment>[] = [];
  for (const m of ev.mails) {
    const from = m.p2Sender ?? m.sender ?? m.p1Sender;
    if (from)
      out.push(
        enrichment(
          {
            type: 'email-addr',
            email: { address: from },
            description: m.threats.length > 0 ? m.threats.join(', ') : null,
          },
          from,
          'related.user',
        ),
      );
  }
  for (const b of ev.mailboxes) {
    const address = b.address ?? b.upn;
    if (address) out.push(enrichment({ type: 'email-addr', email: { address } }, address, 'related.user'));
  }
  for (const ip of ev.ips) {
    out.push(
      enrichment(
        { type: isIP(ip) === 4 || (isIP(ip) === 0 && !ip.includes(':')) ? 'ipv4-addr' : 'ipv6-addr', ip },
        ip,
        'related.ip',
      ),
    );
  }
  for (const u of ev.urls)
    out.push(enrichment({ type: 'url', url: ecsUrlFields(u.url) }, u.url, 'url.original'));
  for (const f of ev.files) {
    const hash = f.sha256 ?? f.sha1 ?? f.md5;
    out.push(
      enrichment(
        {
          type: 'file',
          file: { name: f.name, hash: { sha256: f.sha256, sha1: f.sha1, md5: f.md5 } },
          description: f.malwareFamily,
        },
        hash,
        'related.hash',
      ),
    );
  }
  return out;
}

/** `email.*` when the investigation is about exactly one mail. */
export function investigationEmail(inv: InvestigationInfo): Draft<NonNullable<EcsDocument['email']>> | null {
  const [m, ...more] = inv.evidence.mails;
  if (!m || more.length > 0) return null;
  return {
    local_id: m.networkMessageId?.toLowerCase() ?? null,
    message_id: m.internetMessageId,
    subject: m.subject,
    direction: emailDirection(m.direction),
    delivery_timestamp: m.receivedTime,
    from: { address: (m.p2Sender ?? m.sender) ? [m.p2Sender ?? m.sender ?? ''] : null },
    sender: { address: m.p1Sender },
    to: { address: m.recipient ? [m.recipient] : null },
    attachments: m.files.map((f) => ({
      file: { name: f.name, hash: { sha256: f.sha256, sha1: f.sha1, md5: f.md5 } },
    })),
  };
}

/** `atp_siem.investigation`: the investigation, its join keys, mails, clusters and actions. */
export function investigationNamespace(
  e: NormalizedEvent,
  inv: InvestigationInfo,
): Draft<AtpSiemFields['investigation']> {
  const ev = inv.evidence;
  return {
    id: inv.id,
    name: inv.name,
    type: inv.type,
    status: inv.status,
    network_message_ids: e.networkMessageIds,
    urls: e.urls,
    url_entities: ev.urls.map((u) => ({ url: u.url, click_count: u.clickCount, email_count: u.emailCount })),
    malware_families: uniq([...ev.files.map((f) => f.malwareFamily), ...(e.threat?.families ?? [])]),
    mails: ev.mails.map((m) => ({
      network_message_id: m.networkMessageId?.toLowerCase() ?? null,
      internet_message_id: m.internetMessageId,
      subject: m.subject,
      sender: m.sender,
      p1_sender: m.p1Sender,
      p1_sender_domain: m.p1SenderDomain,
      p2_sender: m.p2Sender,
      p2_sender_display_name: m.p2SenderDisplayName,
      p2_sender_domain: m.p2SenderDomain,
      sender_ip: m.senderIp,
      recipient: m.recipient,
      received_time: m.receivedTime,
      direction: m.direction,
      delivery_action: m.deliveryAction,
      delivery_location: m.deliveryLocation,
      original_delivery_location: m.originalDeliveryLocation,
      threats: m.threats,
      detection_methods: m.detectionMethods,
      urls: m.urls,
      file_names: uniq(m.files.map((f) => f.name)),
      urn: m.urn,
    })),
    clusters: ev.clusters.map(clusterRecord),
    actions: inv.actions.map(actionRecord),
  };
}
