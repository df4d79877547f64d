/**
 * Generator state shared by the record builders: the PRNG, the tenant's own
 * organisation, and short memories of mails, clicks and investigations so
 * later records can refer to earlier ones (clicks on URLs of earlier mails,
 * investigations of both), as they do in a real tenant.
 */
import type { Organisation, Person } from './pools.js';
import { ATTACKER_DOMAINS, ORGANISATIONS, URL_TEMPLATES } from './pools.js';
import { Rng } from './prng.js';

/** What later records need to know about a generated mail (record 28). */
export interface MailMemory {
  networkMessageId: string;
  internetMessageId: string;
  sender: string;
  senderIp: string;
  subject: string;
  recipients: string[];
  urls: string[];
  files: { name: string; sha256: string; malwareFamily: string }[];
  threat: 'Phish' | 'Malware' | 'Spam' | 'HighConfPhish';
  atMs: number;
  /** The first few Safe Links clicks on this mail's URLs (record 41), for investigations. */
  clicks: ClickMemory[];
}

/** A Safe Links click (record 41) investigations may point to. */
export interface ClickMemory {
  url: string;
  user: string;
  userIp: string;
  sourceId: string;
  atMs: number;
}

/** One automated investigation; each status change emits one record 64. */
export interface InvestigationState {
  id: string;
  kind: 'ZappedMalwareInvestigation' | 'UrlInvestigation' | 'ZappedEmailInvestigation';
  name: string;
  startMs: number;
  /** Time of the latest status record. */
  lastMs: number;
  statuses: readonly string[];
  /** Index of the next status to emit. */
  next: number;
  alertId: string;
  mails: MailMemory[];
  clicks: ClickMemory[];
  /** Action ids stay stable across the status-change records of one investigation. */
  actionIds: string[];
  /** Actions as JSON-encoded strings (2019 sample) rather than objects (2023 fixture). */
  actionsAsStrings: boolean;
  /** The alert's entities as JSON, built on the first status record and reused (stable Urns). */
  entities?: { json: string; nextId: number };
  /** The mailCluster entity of the actions, without `$id`, as JSON. */
  clusterJson?: string;
}

const MEMORY = 512;

export class GenContext {
  readonly rng: Rng;
  readonly tenantId: string;
  readonly org: Organisation;
  /** Other fictional companies, i.e. partners that mail this tenant. */
  readonly partners: readonly Organisation[];
  readonly mails: MailMemory[] = [];
  readonly investigations: InvestigationState[] = [];

  constructor(seed: number, tenantId: string) {
    this.rng = new Rng(seed);
    this.tenantId = tenantId;
    // The tenant's own organisation follows from the tenant id, so two emulated tenants look different.
    let h = 0;
    for (let i = 0; i < tenantId.length; i++) h = (Math.imul(h, 31) + tenantId.charCodeAt(i)) | 0;
    const own = Math.abs(h) % ORGANISATIONS.length;
    this.org = ORGANISATIONS[own] as Organisation;
    this.partners = ORGANISATIONS.filter((_, i) => i !== own);
  }

  remember<T>(list: T[], item: T): void {
    if (list.length >= MEMORY) list[this.rng.int(MEMORY)] = item;
    else list.push(item);
  }

  person(): Person {
    return this.rng.pick(this.org.people);
  }

  /** UPN of someone in the tenant. */
  upn(person: Person = this.person()): string {
    return `${person.alias}@${this.org.domain}`;
  }

  displayName(person: Person): string {
    return `${person.given} ${person.family}`;
  }

  /** SharePoint/OneDrive UserKey: the user's PUID claim. */
  puid(): string {
    return `i:0h.f|membership|${this.rng.hex(8)}@live.com`;
  }

  /** A realistic, sometimes hostile URL on an attacker domain. */
  url(domain: string = this.rng.pick(ATTACKER_DOMAINS)): string {
    let out = '';
    for (const part of this.rng.pick(URL_PARTS)) {
      if (part === '{d}') out += domain;
      else if (part === '{r}') out += this.rng.hex(6);
      else if (part === '{u}') out += encodeURIComponent(this.upn());
      else out += part;
    }
    return out;
  }

  /** A public-looking IPv4 address (attackers, partners, users on the road). */
  ipv4(): string {
    const rng = this.rng;
    return `${rng.pick(IPV4_PREFIXES)}.${rng.int(256)}.${1 + rng.int(254)}`;
  }

  ipv6(): string {
    const rng = this.rng;
    return `2001:db8:${rng.hex(2).replace(/^0+(?=.)/, '')}:${rng.int(65536).toString(16)}::${rng.int(65536).toString(16)}`;
  }

  ip(): string {
    return this.rng.chance(0.8) ? this.ipv4() : this.ipv6();
  }

  /**
   * ClientIP in every form seen on the wire (§8.1): plain v4/v6, with a port
   * appended, null, empty, or the literal text `<null>`.
   */
  clientIp(): string | null {
    const r = this.rng.int(100);
    if (r < 62) return this.ipv4();
    if (r < 74) return this.ipv6();
    if (r < 82) return `${this.ipv4()}:${1024 + this.rng.int(64000)}`;
    if (r < 88) return `[${this.ipv6()}]:${1024 + this.rng.int(64000)}`;
    if (r < 92) return null;
    if (r < 96) return '';
    return '<null>';
  }
}

/** URL templates split around their placeholders once, so building a URL is plain concatenation. */
const URL_PARTS: readonly (readonly string[])[] = URL_TEMPLATES.map((t) =>
  t.split(/(\{[dru]\})/).filter((p) => p !== ''),
);

const IPV4_PREFIXES: readonly string[] = [
  '185.220',
  '45.133',
  '91.92',
  '103.75',
  '198.51',
  '203.0',
  '52.96',
  '40.107',
  '104.47',
  '20.190',
  '81.2',
  '62.210',
];

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_MS = 86_400_000;
/** `YYYY-MM-DDT` per day number; formatting is hot (several timestamps per record), toISOString is not cheap. */
const dayPrefixes = new Map<number, string>();

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size > 4096) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/** `YYYY-MM-DDTHH:MM:SS`, UTC without zone: the wire form of CreationTime (§5.2). */
export function wireTime(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const sec = Math.floor((ms - day * DAY_MS) / 1000);
  return (
    dayPrefix(day) +
    (TWO_DIGITS[Math.floor(sec / 3600)] as string) +
    ':' +
    (TWO_DIGITS[Math.floor(sec / 60) % 60] as string) +
    ':' +
    (TWO_DIGITS[sec % 60] as string)
  );
}

/** ISO-8601 with seven fraction digits and `Z`, as .NET serialises DateTime (AIR fields). */
export function dotnetTime(ms: number): string {
  const frac = ((ms % 1000) + 1000) % 1000;
  return `${wireTime(ms)}.${String(frac).padStart(3, '0')}0000Z`;
}
