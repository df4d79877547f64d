/**
 * Fixtures of the dashboard's browser tests (dashboard.browser.test.ts): the hostile records, written at
 * test time with CreationTime in the last hours so they fall in every default range; the `atp-siem demo`
 * process that replays them beside its generated history; and Debian's Chromium driven by playwright-core.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawnCli, waitFor, type CliProcess } from './helpers.js';

/** Script payloads: each sets window.__xss if it ever runs. */
export const XSS = {
  script: '<script>window.__xss=1</script>',
  img: '<img src=x onerror="window.__xss=1">',
  svg: '"><svg onload=window.__xss=1>',
  jsUrl: 'javascript:window.__xss=1',
} as const;

/** A cell a spreadsheet would run as a formula. */
export const CSV_FORMULA = '=HYPERLINK("http://evil.example","x")';

/** The hostile mail: its click (41) and its investigation (64) name the same NetworkMessageId. */
export const HOSTILE_NMID = 'c0ffee00-0bad-4bad-8bad-00000000dead';
/** A second mail whose subject is a spreadsheet formula. */
export const FORMULA_NMID = 'c0ffee00-0bad-4bad-8bad-00000000f0a1';
export const HOSTILE_SUBJECT = `Password expires today ${XSS.script} ${XSS.svg}`;
export const HOSTILE_SENDER = 'it@evil.example';
/** P2Sender with a display name carrying a payload (the model keeps the address; the raw record keeps all). */
export const HOSTILE_P2 = `"<img src=x onerror=window.__xss=1> IT" <${HOSTILE_SENDER}>`;
export const HOSTILE_RECIPIENT = 'pat.victim@emulated1.onmicrosoft.com';
export const HOSTILE_ATTACHMENT = `${XSS.img}invoice.pdf.exe`;
export const HOSTILE_FILE = `${XSS.img}payroll.docm`;
export const HOSTILE_FAMILY = `Trojan${XSS.svg}`;
export const HOSTILE_SVG_URL = `https://evil.example/login?next=${XSS.svg}`;
export const HOSTILE_INVESTIGATION = `Mail with malicious urls is zapped ${XSS.script}`;
const INVESTIGATION_ID = 'urn:ZappedEmailInvestigati:c0ffee000bad4bad';
/** Not the demo's tenant: the replay files a record whose OrganizationId it does not serve under its first tenant. */
const ORG = '0badc0de-0000-4000-8000-000000000001';

/** `YYYY-MM-DDTHH:MM:SS` (CreationTime on the wire), and the .NET form AIR records use. */
const wire = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
const dotnet = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}0000Z`;

const SHA = Buffer.alloc(32, 0xab);
const SHA_HEX = SHA.toString('hex').toUpperCase();

function common(
  ms: number,
  id: string,
  recordType: number,
  operation: string,
  workload: string,
  userId: string,
  objectId: string,
): Record<string, unknown> {
  return {
    CreationTime: wire(ms),
    Id: id,
    Operation: operation,
    OrganizationId: ORG,
    RecordType: recordType,
    UserKey: workload === 'AirInvestigation' ? 'AirInvestigation' : 'ThreatIntel',
    UserType: 4,
    Version: 1,
    Workload: workload,
    ObjectId: objectId,
    UserId: userId,
  };
}

/** The hostile records (28 ×2, 41 ×2, 47, 64), times relative to `now`. */
export function hostileRecords(now: number): Record<string, unknown>[] {
  const mailMs = now - 2 * 3_600_000;
  const mail = {
    ...common(
      mailMs,
      'c0ffee00-0000-4000-8000-000000000028',
      28,
      'TIMailData',
      'ThreatIntelligence',
      'ThreatIntel',
      `${HOSTILE_NMID}beef`,
    ),
    ClientIP: '203.0.113.66',
    AttachmentData: [
      {
        FileName: HOSTILE_ATTACHMENT,
        FileType: 'exe',
        FileVerdict: 1,
        MalwareFamily: HOSTILE_FAMILY,
        SHA256: SHA_HEX,
      },
    ],
    DetectionType: 'Inline',
    DetectionMethod: 'URL detonation',
    InternetMessageId: '<c0ffee.dead@evil.example>',
    NetworkMessageId: HOSTILE_NMID,
    P1Sender: HOSTILE_SENDER,
    P2Sender: HOSTILE_P2,
    Policy: 'Phish',
    PolicyAction: 'MoveToJmf',
    Recipients: [HOSTILE_RECIPIENT],
    SenderIp: '203.0.113.66',
    Subject: HOSTILE_SUBJECT,
    Verdict: 'Phish',
    MessageTime: wire(mailMs - 60_000),
    EventDeepLink: XSS.jsUrl,
    DeliveryAction: 'Delivered',
    OriginalDeliveryLocation: 'Inbox',
    LatestDeliveryLocation: 'Inbox',
    Directionality: 'Inbound',
    ThreatsAndDetectionTech: ['Phish: [URL detonation, Impersonation brand]'],
    AdditionalActionsAndResults: ['OriginalDelivery: [N/A]'],
    AuthDetails: [
      { Name: 'SPF', Value: 'Fail' },
      { Name: 'DKIM', Value: XSS.img },
      { Name: 'DMARC', Value: 'Fail' },
    ],
    SystemOverrides: [
      {
        Details: `Tenant allow/block list ${XSS.svg}`,
        FinalOverride: 'Yes',
        Result: 'Allow',
        Source: 'Tenant',
      },
    ],
    PhishConfidenceLevel: 'High',
  };
  const formulaMs = now - 2.5 * 3_600_000;
  const formula = {
    ...common(
      formulaMs,
      'c0ffee00-0000-4000-8000-000000000128',
      28,
      'TIMailData',
      'ThreatIntelligence',
      'ThreatIntel',
      `${FORMULA_NMID}f00d`,
    ),
    DetectionType: 'Inline',
    DetectionMethod: 'File reputation',
    InternetMessageId: '<f0a1@evil.example>',
    NetworkMessageId: FORMULA_NMID,
    P1Sender: 'billing@evil.example',
    P2Sender: 'billing@evil.example',
    Policy: 'AntiMalware',
    PolicyAction: 'Quarantine',
    Recipients: [HOSTILE_RECIPIENT],
    SenderIp: '203.0.113.67',
    Subject: CSV_FORMULA,
    Verdict: 'Malware',
    MessageTime: wire(formulaMs - 60_000),
    DeliveryAction: 'Blocked',
    OriginalDeliveryLocation: 'Quarantine',
    LatestDeliveryLocation: 'Quarantine',
    Directionality: 'Inbound',
    ThreatsAndDetectionTech: ['Malware: [File reputation]'],
    AdditionalActionsAndResults: ['OriginalDelivery: [N/A]'],
    AuthDetails: [],
    SystemOverrides: [],
  };
  const clickMs = now - 1.5 * 3_600_000;
  const click = (id: string, ms: number, url: string, action: number): Record<string, unknown> => ({
    ...common(ms, id, 41, 'TIUrlClickData', 'ThreatIntelligence', HOSTILE_RECIPIENT, url),
    ClientIP: '198.51.100.23',
    AppName: 'Outlook',
    AppVersion: '16.0.17928.20148',
    URLClickAction: action,
    SourceId: HOSTILE_NMID,
    TimeOfClick: wire(ms - 30_000),
    Url: url,
    UserIp: '198.51.100.23',
    EventDeepLink: `https://security.microsoft.com/?hash=/threatexplorer?dltarget=Explorer&dlstorage=Url&viewid=Phish&query-NetworkMessageId=${HOSTILE_NMID}`,
  });
  const fileMs = now - 1 * 3_600_000;
  const filePath = `https://emulated1.sharepoint.com/sites/Finance/Shared Documents/${XSS.script}${HOSTILE_FILE}`;
  const file = {
    ...common(
      fileMs,
      'c0ffee00-0000-4000-8000-000000000047',
      47,
      'AtpDetection',
      'ThreatIntelligence',
      HOSTILE_RECIPIENT,
      filePath,
    ),
    FileData: {
      DocumentId: 'c0ffee00-0000-4000-8000-00000000d0c5',
      FileName: HOSTILE_FILE,
      FilePath: filePath,
      FileVerdict: 1,
      MalwareFamily: HOSTILE_FAMILY,
      SHA256: SHA.toString('base64'),
      FileSize: '48213',
    },
    SourceWorkload: 0,
    DetectionMethod: 'AntiMalware',
    LastModifiedDate: wire(fileMs - 3_600_000),
    LastModifiedBy: HOSTILE_RECIPIENT,
    EventDeepLink: XSS.jsUrl,
    DetectionDate: wire(fileMs - 60_000),
  };
  const invMs = now - 0.5 * 3_600_000;
  const invStart = invMs - 20 * 60_000;
  const mailEntity = {
    $id: '3',
    Type: 'mailMessage',
    Files: [],
    Recipient: HOSTILE_RECIPIENT,
    Urls: [XSS.jsUrl, HOSTILE_SVG_URL],
    Threats: ['Phish'],
    Sender: HOSTILE_SENDER,
    P1Sender: HOSTILE_SENDER,
    P1SenderDomain: 'evil.example',
    P2Sender: HOSTILE_SENDER,
    P2SenderDisplayName: '<img src=x onerror=window.__xss=1> IT',
    P2SenderDomain: 'evil.example',
    SenderIP: '203.0.113.66',
    ReceivedDate: wire(mailMs),
    NetworkMessageId: HOSTILE_NMID,
    InternetMessageId: '<c0ffee.dead@evil.example>',
    Subject: HOSTILE_SUBJECT,
    AntispamDirection: 'Inbound',
    DeliveryAction: 'Delivered',
    DeliveryLocation: 'Inbox',
    OriginalDeliveryLocation: 'Inbox',
    Urn: 'urn:MailEntity:c0ffee000bad0001',
    Source: 'OATP',
    FirstSeen: dotnet(mailMs),
  };
  const cluster = {
    $id: '2',
    Type: 'mailCluster',
    NetworkMessageIds: [HOSTILE_NMID],
    CountByDeliveryStatus: { Delivered: 1 },
    CountByThreatType: { Phish: 1 },
    CountByProtectionStatus: { NotProtected: 1 },
    CountByDeliveryLocation: { Inbox: 1 },
    Threats: ['Phish'],
    Query: `(NetworkMessageId:"${HOSTILE_NMID}" OR Sender:"${HOSTILE_SENDER}")`,
    MailCount: 1,
    ClusterSourceIdentifier: HOSTILE_NMID,
    ClusterSourceType: 'Similarity',
    ClusterBy: 'Url',
    ClusterByValue: HOSTILE_SVG_URL,
    Source: 'OATP',
    Urn: 'urn:MailClusterEntity:c0ffee000bad0002',
  };
  const alert = {
    $id: '1',
    Version: '3.0',
    VendorName: 'Microsoft',
    ProviderName: 'OATP',
    AlertType: 'Email messages containing malicious URL removed after delivery',
    StartTimeUtc: dotnet(invStart),
    EndTimeUtc: dotnet(invMs),
    Status: 'New',
    Severity: 'High',
    InvestigationIds: [INVESTIGATION_ID],
    AlertDisplayName: `Malicious URL ${XSS.img}`,
    Entities: [
      mailEntity,
      { $id: '4', Type: 'url', Url: HOSTILE_SVG_URL, ClickCount: 1, EmailCount: 1 },
      { $id: '5', Type: 'url', Url: XSS.jsUrl, ClickCount: 1, EmailCount: 1 },
      { $id: '6', Type: 'ip', Address: '203.0.113.66' },
    ],
  };
  const investigation = {
    ...common(
      invMs,
      'c0ffee00-0000-4000-8000-000000000064',
      64,
      'AirInvestigationData',
      'AirInvestigation',
      'AirInvestigation',
      INVESTIGATION_ID,
    ),
    InvestigationId: INVESTIGATION_ID,
    InvestigationName: HOSTILE_INVESTIGATION,
    InvestigationType: 'ZappedEmailInvestigation',
    LastUpdateTimeUtc: dotnet(invMs),
    StartTimeUtc: dotnet(invStart),
    EndTimeUtc: dotnet(invMs),
    Status: 'Pending Action',
    DeepLinkUrl: XSS.jsUrl,
    Actions: [
      {
        $id: '1',
        ActionId: 'urn:EmailZapper:c0ffee000bad0003',
        ActionType: 'EmailRemediation',
        ActionApproval: 'None',
        ActionStatus: 'Pending',
        ApprovedBy: null,
        TimestampUtc: dotnet(invMs),
        StartTimeUtc: dotnet(invStart),
        EndTimeUtc: dotnet(invMs),
        LastUpdateTimeUtc: dotnet(invMs),
        InvestigationId: INVESTIGATION_ID,
        Entities: [cluster],
        PendingType: 'User',
        Description: `Soft delete 1 email message(s) ${XSS.svg}`,
      },
    ],
    Data: JSON.stringify(alert),
    RunningTime: String(Math.round((invMs - invStart) / 1000)),
  };
  return [
    mail,
    formula,
    click('c0ffee00-0000-4000-8000-000000000041', clickMs, XSS.jsUrl, 4),
    click('c0ffee00-0000-4000-8000-000000000141', clickMs + 60_000, HOSTILE_SVG_URL, 2),
    file,
    investigation,
  ];
}

/** Writes the hostile records as an export (one JSON record per line) and returns its path. */
export async function writeHostileFile(dir: string, now = Date.now()): Promise<string> {
  const file = path.join(dir, 'hostile.ndjson');
  await writeFile(
    file,
    hostileRecords(now)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  return file;
}

export interface Demo {
  cli: CliProcess;
  /** The dashboard's base URL, without the trailing slash. */
  url: string;
}

/** GETs a JSON API path of the demo. */
export async function apiGet<T>(base: string, pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(base + pathAndQuery);
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Starts `atp-siem demo` replaying `replay`, reads the dashboard URL from its banner, and waits until the
 * reports have caught up (meta.behind 0, a newest event, mail detections listed).
 */
export async function startDemo(dataDir: string, replay: string, timeoutMs = 90_000): Promise<Demo> {
  const cli = spawnCli([
    'demo',
    '--data',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    '--replay',
    replay,
    '--interval',
    '60',
    '--rate',
    '0',
  ]);
  const url = await waitFor(
    () => {
      if (cli.proc.exitCode !== null) throw new Error(`demo exited: ${cli.stderr()}`);
      for (const line of cli.stdoutLines) {
        const m = /dashboard: open (http:\/\/\S+?)\/? in a browser/.exec(line);
        if (m) return m[1];
      }
      return undefined;
    },
    'the demo to print the dashboard URL',
    timeoutMs,
  );
  await waitFor(
    async () => {
      try {
        const meta = await apiGet<{ newest: string | null; meta: { behind: number } }>(url, '/api/meta');
        if (meta.body.newest === null || meta.body.meta.behind !== 0) return false;
        const emails = await apiGet<{ total: number }>(url, `/api/emails?q=${HOSTILE_NMID}`);
        const all = await apiGet<{ total: number }>(url, '/api/emails');
        return emails.body.total > 0 && all.body.total > 0;
      } catch {
        return false;
      }
    },
    'the reports to fill in (meta.behind 0, the hostile mail listed)',
    timeoutMs,
    250,
  );
  return { cli, url: url as string };
}

/** Debian's Chromium (CHROMIUM_PATH overrides), headless; --no-sandbox as CI runs as root. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
    headless: true,
  });
}

/** What a page reported while a test used it. */
export interface PageWatch {
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  /** Everything wrong so far, as lines (empty when clean). */
  problems(): string[];
  reset(): void;
}

export interface Context {
  ctx: BrowserContext;
  /** CSP violations reported by any page of the context (securitypolicyviolation events). */
  csp: string[];
}

/** A context whose pages report every CSP violation to the test, downloads allowed. */
export async function newContext(browser: Browser): Promise<Context> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const csp: string[] = [];
  await ctx.exposeBinding('__atpCsp', (_source, v: unknown) => {
    csp.push(String(v));
  });
  await ctx.addInitScript(() => {
    // Runs in the page (this project's TypeScript has no DOM types): the page's globals, typed by hand.
    interface Violation {
      violatedDirective: string;
      blockedURI: string;
      sourceFile: string;
      lineNumber: number;
    }
    const g = globalThis as unknown as {
      document: { addEventListener(type: string, fn: (e: Violation) => void): void };
      __atpCsp?: (v: string) => void;
    };
    g.document.addEventListener('securitypolicyviolation', (e) => {
      g.__atpCsp?.(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return { ctx, csp };
}

/** Listens to a page's console errors, page errors and dialogs (dismissing them); `csp` is its context's. */
export function watchPage(page: Page, csp: string[]): PageWatch {
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    // Chromium logs a CSP refusal as a console error too: it counts either way.
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  return {
    consoleErrors,
    pageErrors,
    dialogs,
    problems: () => [
      ...consoleErrors.map((t) => `console error: ${t}`),
      ...pageErrors.map((t) => `page error: ${t}`),
      ...dialogs.map((t) => `dialog: ${t}`),
      ...csp.map((t) => `CSP violation: ${t}`),
    ],
    reset() {
      consoleErrors.length = 0;
      pageErrors.length = 0;
      dialogs.length = 0;
      csp.length = 0;
    },
  };
}

/** Waits for the page root of `name` (any page when omitted) to be ready. */
export async function ready(page: Page, name?: string, timeout = 20_000): Promise<void> {
  const sel = name === undefined ? '[data-page][data-ready=true]' : `[data-page="${name}"][data-ready=true]`;
  await page.waitForSelector(sel, { timeout });
}

/** Parses CSV text (RFC 4180: quoted cells, doubled quotes, CRLF) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      // the \n ends the row
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
