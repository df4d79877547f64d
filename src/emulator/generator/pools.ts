/**
 * Value pools for realistic records: fictional organisations and people,
 * attacker infrastructure, malware families, subjects, file names, URLs.
 * All names are invented (Contoso, Fabrikam, Northwind, Tailspin and Woodgrove
 * are Microsoft's own fictional companies); attacker domains use reserved or
 * obviously fake TLD-lookalikes so nothing here points at a real victim.
 */

export interface Organisation {
  name: string;
  domain: string;
  /** SharePoint host prefix: `<prefix>.sharepoint.com`, `<prefix>-my.sharepoint.com`. */
  spPrefix: string;
  people: readonly Person[];
}

export interface Person {
  given: string;
  family: string;
  /** Local part of the mail address. */
  alias: string;
}

function people(names: string): Person[] {
  return names.split(',').map((full) => {
    const [given = '', family = ''] = full.trim().split(' ');
    return { given, family, alias: `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '') };
  });
}

export const ORGANISATIONS: readonly Organisation[] = [
  {
    name: 'Contoso',
    domain: 'contoso.com',
    spPrefix: 'contoso',
    people: people(
      'Megan Bowen, Alex Wilber, Adele Vance, Diego Siciliani, Isaiah Langer, Lee Gu, Lidia Holloway, Lynne Robbins, Miriam Graham, Nestor Wilke, Patti Fernandez, Pradeep Gupta, Johanna Lorenz, Grady Archie, Henrietta Mueller',
    ),
  },
  {
    name: 'Fabrikam',
    domain: 'fabrikam.com',
    spPrefix: 'fabrikaminc',
    people: people(
      'Ines Moreau, Tomasz Nowak, Akira Tanaka, Fatima Haddad, Oskar Lindqvist, Priya Raman, Samuel Okafor, Chloe Dubois, Mateo Rossi, Hannah Becker',
    ),
  },
  {
    name: 'Northwind Traders',
    domain: 'northwindtraders.com',
    spPrefix: 'northwind',
    people: people(
      'Nancy Davolio, Andrew Fuller, Janet Leverling, Margaret Peacock, Steven Buchanan, Michael Suyama, Robert King, Laura Callahan, Anne Dodsworth',
    ),
  },
  {
    name: 'Tailspin Toys',
    domain: 'tailspintoys.com',
    spPrefix: 'tailspin',
    people: people(
      'Zoe Marsh, Ravi Iyer, Ewa Kowalska, Jonas Berg, Lucia Fernandes, Kenji Mori, Amara Nwosu, Felix Wagner',
    ),
  },
  {
    name: 'Woodgrove Bank',
    domain: 'woodgrovebank.com',
    spPrefix: 'woodgrove',
    people: people(
      'Olivia Grant, Noah Brennan, Sofia Lindgren, Yusuf Demir, Mei Chen, Arjun Mehta, Clara Schmidt, Liam Walsh',
    ),
  },
];

/** Domains attackers send from or host payloads on (fictional lookalikes). */
export const ATTACKER_DOMAINS: readonly string[] = [
  'contoso-secure-login.example',
  'micros0ft-support.test',
  'fabrikam-invoices.invalid',
  'office365-verify.example.net',
  'docusign-review.example.org',
  'sharepoint-files.invalid',
  'dhl-parcel-track.example',
  'payroll-update.test',
  'xn--cntoso-3ya.example',
  'wellsfargo-alerts.example.com',
  'mail-secure-gateway.invalid',
  'bit-ly-redirect.example',
];

/** Legitimate bulk/newsletter senders (for Spam/Bulk verdicts). */
export const BULK_DOMAINS: readonly string[] = [
  'news.adventure-works.com',
  'offers.wideworldimporters.com',
  'mailer.litwareinc.com',
  'promo.proseware.com',
];

export const ATTACKER_LOCALPARTS: readonly string[] = [
  'no-reply',
  'security',
  'it-helpdesk',
  'billing',
  'ceo',
  'accounts.payable',
  'notification',
  'docs',
  'hr-payroll',
  'postmaster',
];

export const MALWARE_FAMILIES: readonly string[] = [
  'HTML/Phish.VS!MSR',
  'Trojan:Win32/Emotet.PE!MTB',
  'TrojanDownloader:O97M/Qakbot.RVA!MTB',
  'Trojan:HTML/Phish.AAX!MTB',
  'Backdoor:Win32/IcedID.ST',
  'Trojan:Win32/AgentTesla!ml',
  'TrojanSpy:MSIL/FormBook.KA!MTB',
  'Trojan:JS/Nemucod.AB',
  'iPhoneOS/Vortex.C',
  'Ransom:Win32/LockBit.AB!MTB',
  'Malicious Payload',
];

export const MALICIOUS_FILES: readonly (readonly [name: string, type: string])[] = [
  ['Invoice_0492.zip', 'exe;zip'],
  ['Remittance Advice.html', 'html'],
  ['scan_20241107.iso', 'iso'],
  ['Payroll Q3.xlsm', 'xlsm;zip'],
  ['DHL-Shipment-Doc.img', 'img'],
  ['Purchase Order #8812.docm', 'docm;zip'],
  ['voicemail_00:42.htm', 'htm'],
  ['setup_update.exe', 'exe'],
  ['Secure Message.eml', 'eml;mime'],
  ['Contract_Signed.pdf.lnk', 'lnk'],
  ['Überweisung_Bestätigung.js', 'js'],
  ['請求書_2024.rar', 'rar;exe'],
];

export const CLEAN_FILES: readonly (readonly [name: string, type: string])[] = [
  ['Quarterly Review.pptx', 'pptx;zip'],
  ['Budget 2025.xlsx', 'xlsx;zip'],
  ['meeting-notes.docx', 'docx;zip'],
  ['logo.png', 'png'],
  ['Project Plan (final) v2.pdf', 'pdf'],
];

/** Attacker-style subjects, including characters downstream formats must escape. */
export const NASTY_SUBJECTS: readonly string[] = [
  'Your mailbox is almost full | Action required',
  'RE: "Urgent" wire transfer =?utf-8?B?8J+TpQ==?= today',
  'Invoice <INV-2024-0019> overdue \\\\ final notice',
  'Password expires in 24h; click here=verify',
  'Voicemail from +1 (555) 0134 \u2014 00:42',
  'DocuSign: Please review "Contract_Signed.pdf"',
  'Shared with you: Q3 Payroll.xlsx\r\nBcc: attacker@evil.invalid',
  'Ваш пароль истекает — подтвердите учётную запись',
  '【重要】アカウントの確認が必要です',
  'Paiement refusé : mettez à jour vos coordonnées',
  '<script>alert(1)</script> New document shared',
  'CEF:0|Evil|Inject|1|100|x|10|msg=pwned',
  'Account suspended\tverify now => http://x',
  '\u202Efdp.exe Statement',
  'Hello | world = "quoted" \\ back\\slash \u00e9\u00e8\n second line',
];

export const PLAIN_SUBJECTS: readonly string[] = [
  'Quarterly business review',
  'Invoice 4471 attached',
  'Your package is on its way',
  'Action required: verify your account',
  'Team offsite agenda',
  'Updated purchase order',
  'Shared document: Budget 2025',
  'Payment confirmation',
  'New voicemail message',
  'Weekly newsletter',
  'Your Microsoft 365 subscription',
  'Benefits enrolment closes Friday',
];

/** URL path/query templates; `{d}` becomes a domain, `{r}` a random token. */
export const URL_TEMPLATES: readonly string[] = [
  'https://{d}/login.php?user={u}&next=%2Fowa',
  'https://{d}/o365/auth/{r}',
  'http://{d}/invoice/{r}.zip',
  'https://{d}/s/{r}?ref=mail&utm_source=newsletter',
  'https://{d}/redirect?url=https%3A%2F%2Flogin.microsoftonline.com&id={r}',
  'https://{d}/doc/view#{r}',
  'https://{d}/pay/ü/{r}?amount=100&cur=€',
  'https://{d}/a?b="quoted"&c=<tag>|pipe',
  'http://{d}:8080/wp-content/uploads/{r}/index.html',
  'https://{d}/\u0441ecure/{r}',
];

export const APP_NAMES: readonly (readonly [name: string, version: string])[] = [
  ['Mail', '0.0.0000'],
  ['Outlook', '16.0.17928.20114'],
  ['Teams', '1.7.00.13456'],
  ['Word', '16.0.17928.20114'],
  ['Mail', '0.0.00000'],
  ['OneDrive', '24.151.0728.0003'],
];

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)',
  'OneDriveMpc-Transform_Thumbnail/1.0',
  'python-requests/2.31.0',
];
