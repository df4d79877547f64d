/**
 * The dashboard in a real browser: Debian's headless Chromium (playwright-core) against one real
 * `atp-siem demo` process that replays hostile records (test/e2e/dashboard-fixtures.ts) beside a day of
 * generated history. Every page must load with data and without console errors or CSP violations;
 * filters, drill-down, keyboard, CSV export and the URL-as-view work as an analyst uses them; and the
 * payloads in subjects, sender names, file names and URLs stay text. Screenshots of every page go to
 * test-output/dashboard/ for a person to look at.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CSV_FORMULA,
  FORMULA_NMID,
  HOSTILE_ATTACHMENT,
  HOSTILE_FILE,
  HOSTILE_INVESTIGATION,
  HOSTILE_NMID,
  HOSTILE_RECIPIENT,
  HOSTILE_SUBJECT,
  XSS,
  apiGet,
  launchBrowser,
  newContext,
  parseCsv,
  ready,
  startDemo,
  watchPage,
  writeHostileFile,
  type Context,
  type Demo,
  type PageWatch,
} from './dashboard-fixtures.js';
import { ROOT, stopProcess } from './helpers.js';

const SHOTS = path.join(ROOT, 'test-output', 'dashboard');
const T = { timeout: 60_000 };

interface Row {
  offset: number;
  [k: string]: unknown;
}
interface PageAnswer {
  rows: Row[];
  total: number;
}

describe('dashboard in headless Chromium against atp-siem demo', () => {
  let dir = '';
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  let context: Context;
  let page: Page;
  let watch: PageWatch;
  let base = '';
  let tenant = '';
  /** Offsets of the hostile records in the store. */
  const at = { mail: 0, formula: 0, click: 0, file: 0, investigation: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'atp-dash-browser-'));
    const hostile = await writeHostileFile(dir);
    [demo, browser] = await Promise.all([startDemo(path.join(dir, 'data'), hostile), launchBrowser()]);
    base = demo.url;
    context = await newContext(browser);
    page = await context.ctx.newPage();
    watch = watchPage(page, context.csp);
    await mkdir(SHOTS, { recursive: true });

    const meta = await apiGet<{ tenants: { id: string }[] }>(base, '/api/meta');
    tenant = meta.body.tenants[0]?.id ?? '';
    const one = async (p: string, pick: (r: Row) => boolean): Promise<number> => {
      const r = (await apiGet<PageAnswer>(base, p)).body.rows.find(pick);
      if (!r) throw new Error(`no hostile row in ${p}`);
      return r.offset;
    };
    at.mail = await one(`/api/emails?q=${HOSTILE_NMID}`, (r) => r.networkMessageId === HOSTILE_NMID);
    at.formula = await one(`/api/emails?q=${FORMULA_NMID}`, (r) => r.networkMessageId === FORMULA_NMID);
    at.click = await one('/api/clicks/rows?q=pat.victim', (r) => r.url === XSS.jsUrl);
    at.file = await one('/api/files/rows?q=pat.victim', (r) => r.fileName === HOSTILE_FILE);
    at.investigation = await one('/api/investigations/rows?q=xss', (r) => r.name === HOSTILE_INVESTIGATION);
  }, 120_000);

  afterAll(async () => {
    await context?.ctx.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stopProcess(demo?.cli);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  /** Loads `p` afresh and waits for page `name` to be ready. */
  async function open(p: string, name: string, on: Page = page): Promise<void> {
    await on.goto(base + p);
    await ready(on, name);
  }

  /** Runs `act`, then waits for the URL to match `url` and page `name` to be ready. */
  async function after(act: () => Promise<unknown>, url: (u: URL) => boolean, name: string): Promise<void> {
    await Promise.all([page.waitForURL(url, { timeout: 20_000 }), act()]);
    await ready(page, name);
  }

  const rowsOf = (table: string, on: Page = page) =>
    on.locator(`[data-table="${table}"] tbody tr, ul[data-table="${table}"] li`);
  const offsetsOf = (table: string, on: Page = page) =>
    on.$$eval(`[data-table="${table}"] tbody tr`, (trs) => trs.map((tr) => tr.getAttribute('data-offset')));
  const cellTexts = (table: string, col: string) =>
    page.$$eval(`[data-table="${table}"] tbody td[data-col="${col}"]`, (tds) =>
      tds.map((t) => t.textContent),
    );

  /** The page is free of console errors, page errors, dialogs and CSP violations since the last reset. */
  function expectClean(where: string): void {
    expect(watch.problems(), where).toEqual([]);
  }

  it(
    'every page loads with data (ready, tables with rows, no [data-error]) with no console error, page error or CSP violation, and is saved as a screenshot',
    T,
    async () => {
      const nmidQ = `tenant=${tenant}&nmid=${HOSTILE_NMID}`;
      const pages: { file: string; path: string; name: string; tables: string[] }[] = [
        {
          file: 'overview',
          path: '/',
          name: 'overview',
          tables: ['inboxed', 'click-throughs', 'approvals', 'outcome', 'top-recipients', 'health'],
        },
        {
          file: 'worklists',
          path: '/worklists',
          name: 'worklists',
          tables: ['inboxed', 'click-throughs', 'approvals'],
        },
        { file: 'emails', path: '/emails', name: 'emails', tables: ['emails'] },
        {
          file: 'email',
          path: `/email?${nmidQ}`,
          name: 'email',
          tables: ['timeline', 'authentication', 'attachments', 'urls'],
        },
        {
          file: 'user',
          path: `/user?user=${encodeURIComponent(HOSTILE_RECIPIENT)}`,
          name: 'user',
          tables: ['timeline'],
        },
        {
          file: 'clicks',
          path: '/clicks',
          name: 'clicks',
          tables: [
            'clicks-by-action-list',
            'clicks-by-app-list',
            'top-clicked-domains',
            'url-by-action',
            'click-heat',
            'clicks',
          ],
        },
        {
          file: 'files',
          path: '/files',
          name: 'files',
          tables: ['files-by-workload', 'files-by-family', 'files-by-site', 'files'],
        },
        {
          file: 'investigations',
          path: '/investigations',
          name: 'investigations',
          tables: ['investigations-by-status', 'investigations-by-type', 'investigations'],
        },
        { file: 'clusters', path: '/clusters', name: 'clusters', tables: ['clusters'] },
        { file: 'fleet', path: '/fleet', name: 'fleet', tables: ['fleet'] },
        { file: 'health', path: '/health', name: 'health', tables: ['health'] },
        { file: 'event', path: `/event/${at.mail}`, name: 'event', tables: ['related'] },
      ];
      for (const p of pages) {
        watch.reset();
        await open(p.path, p.name);
        expect(await page.locator('[data-error]').count(), `${p.path}: [data-error]`).toBe(0);
        for (const t of p.tables) {
          expect(await rowsOf(t).count(), `${p.path}: rows of ${t}`).toBeGreaterThan(0);
        }
        if (p.name === 'overview') expect(await page.locator('[data-tile]').count()).toBe(6);
        if (p.name === 'event') expect(await page.locator('pre[data-raw]').textContent()).not.toBe('');
        await page.screenshot({ path: path.join(SHOTS, `${p.file}.png`), fullPage: true });
        expectClean(p.path);
      }

      // The overview in the dark theme, through the theme button; then back to light.
      await open('/', 'overview');
      await page.click('#theme');
      await expect.poll(() => page.getAttribute('html', 'data-theme')).toBe('dark');
      await ready(page, 'overview');
      await page.screenshot({ path: path.join(SHOTS, 'overview-dark.png'), fullPage: true });
      await page.click('#theme');
      await expect.poll(() => page.getAttribute('html', 'data-theme')).toBe('light');
      await ready(page, 'overview');
      expectClean('overview, dark theme');
    },
  );

  it(
    'on /emails an "any of" verdict filter from the picker keeps only that verdict and puts any.verdict= in the URL; "none of" removes the value; #q narrows the rows',
    T,
    async () => {
      watch.reset();
      await open('/emails', 'emails');
      const all = Number(await page.getAttribute('[data-total]', 'data-total'));
      expect(all).toBeGreaterThan(0);

      await page.click('[data-filter=verdict] summary');
      await page.check('[data-filter=verdict] label[data-value=malware] input');
      await after(
        () => page.click('[data-filter=verdict] [data-apply]'),
        (u) => u.searchParams.get('any.verdict') === 'malware',
        'emails',
      );
      const malware = await cellTexts('emails', 'verdict');
      expect(malware.length).toBeGreaterThan(0);
      expect(new Set(malware)).toEqual(new Set(['Malware']));
      expect(await page.locator('[data-active-filter=verdict]').textContent()).toContain('any of');
      const anyTotal = Number(await page.getAttribute('[data-total]', 'data-total'));
      expect(anyTotal).toBeLessThan(all);

      await open('/emails', 'emails');
      await page.click('[data-filter=verdict] summary');
      await page.check('[data-filter=verdict] input[type=radio][value=none]');
      await page.check('[data-filter=verdict] label[data-value=phish] input');
      await after(
        () => page.click('[data-filter=verdict] [data-apply]'),
        (u) => u.searchParams.get('none.verdict') === 'phish' && !u.searchParams.has('any.verdict'),
        'emails',
      );
      const notPhish = await cellTexts('emails', 'verdict');
      expect(notPhish.length).toBeGreaterThan(0);
      expect(notPhish).not.toContain('Phish');
      expect(Number(await page.getAttribute('[data-total]', 'data-total'))).toBeLessThan(all);

      await open('/emails', 'emails');
      await page.fill('#q', 'pat.victim');
      await after(
        () => page.press('#q', 'Enter'),
        (u) => u.searchParams.get('q') === 'pat.victim',
        'emails',
      );
      const recipients = await cellTexts('emails', 'recipient');
      expect(recipients).toEqual([HOSTILE_RECIPIENT, HOSTILE_RECIPIENT]);
      expect(Number(await page.getAttribute('[data-total]', 'data-total'))).toBe(2);
      expectClean('/emails filters');
    },
  );

  it(
    'drill-down: a tile opens its list, a worklist row its record; an email row opens /event/<offset> whose raw record is exactly the API raw, a related event opens its own detail, and Back returns',
    T,
    async () => {
      watch.reset();
      await open('/', 'overview');
      await after(
        () => page.click('[data-tile=mailDetections]'),
        (u) => u.pathname === '/emails',
        'emails',
      );
      expect(await rowsOf('emails').count()).toBeGreaterThan(0);
      await after(
        () => page.goBack(),
        (u) => u.pathname === '/',
        'overview',
      );
      await after(
        () => page.click('[data-tile=pendingApprovals]'),
        (u) => u.pathname === '/worklists' && u.hash === '#approvals',
        'worklists',
      );
      expect(await rowsOf('approvals').count()).toBeGreaterThan(0);

      await open('/', 'overview');
      const approval = page.locator(`[data-table=approvals] tbody tr[data-offset="${at.investigation}"]`);
      await after(
        () => approval.locator('td[data-col=type]').click(),
        (u) => u.pathname === `/event/${at.investigation}`,
        'event',
      );
      expect(await page.getAttribute('[data-panel=event]', 'data-offset')).toBe(String(at.investigation));

      await open(`/emails?q=${HOSTILE_NMID}`, 'emails');
      const row = page.locator(`[data-table=emails] tbody tr[data-offset="${at.mail}"]`);
      expect(await row.getAttribute('data-open')).toBe(`/event/${at.mail}`);
      await after(
        () => row.locator('td[data-col=subject]').click(),
        (u) => u.pathname === `/event/${at.mail}`,
        'event',
      );
      const detail = await apiGet<{ raw: string; related: { offset: number }[] }>(
        base,
        `/api/event/${at.mail}`,
      );
      expect(await page.locator('pre[data-raw]').textContent()).toBe(detail.body.raw);
      const related = (await offsetsOf('related')).map(Number);
      expect(related).toEqual(detail.body.related.map((r) => r.offset));
      expect(related).toEqual(expect.arrayContaining([at.click, at.file, at.investigation]));

      await after(
        () =>
          page
            .locator(`[data-table=related] tbody tr[data-offset="${at.click}"] td[data-col=summary]`)
            .click(),
        (u) => u.pathname === `/event/${at.click}`,
        'event',
      );
      expect(await page.getAttribute('[data-panel=event]', 'data-offset')).toBe(String(at.click));
      const clickRaw = (await apiGet<{ raw: string }>(base, `/api/event/${at.click}`)).body.raw;
      expect(await page.locator('pre[data-raw]').textContent()).toBe(clickRaw);

      await after(
        () => page.goBack(),
        (u) => u.pathname === `/event/${at.mail}`,
        'event',
      );
      expect(await page.getAttribute('[data-panel=event]', 'data-offset')).toBe(String(at.mail));
      await after(
        () => page.goBack(),
        (u) => u.pathname === '/emails',
        'emails',
      );
      expect(await rowsOf('emails').count()).toBe(1);
      expectClean('drill-down');
    },
  );

  it(
    'keyboard: j/k and the arrows move the selection (class sel, aria-selected) in the table, Enter opens the selected row, Backspace and Escape go back',
    T,
    async () => {
      watch.reset();
      await open('/emails', 'emails');
      const offsets = await offsetsOf('emails');
      expect(offsets.length).toBeGreaterThan(3);
      const selected = () =>
        page.$$eval('[data-table=emails] tbody tr.sel[aria-selected=true]', (trs) =>
          trs.map((tr) => tr.getAttribute('data-offset')),
        );
      await page.keyboard.press('j');
      expect(await selected()).toEqual([offsets[0]]);
      await page.keyboard.press('j');
      expect(await selected()).toEqual([offsets[1]]);
      await page.keyboard.press('ArrowDown');
      expect(await selected()).toEqual([offsets[2]]);
      await page.keyboard.press('k');
      expect(await selected()).toEqual([offsets[1]]);
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('j');
      expect(await selected()).toEqual([offsets[1]]);

      await after(
        () => page.keyboard.press('Enter'),
        (u) => u.pathname === `/event/${offsets[1]}`,
        'event',
      );
      await after(
        () => page.keyboard.press('Backspace'),
        (u) => u.pathname === '/emails',
        'emails',
      );

      await page.keyboard.press('j');
      expect(await selected()).toEqual([offsets[0]]);
      await after(
        () => page.keyboard.press('Enter'),
        (u) => u.pathname === `/event/${offsets[0]}`,
        'event',
      );
      await after(
        () => page.keyboard.press('Escape'),
        (u) => u.pathname === '/emails',
        'emails',
      );
      expectClean('keyboard');
    },
  );

  it(
    'the CSV link downloads the whole table (rows = the JSON total of the same query, header present) with the formula cell neutralised by a leading quote',
    T,
    async () => {
      watch.reset();
      await open('/emails', 'emails');
      const link = page.locator('a[data-csv=emails]');
      const href = await link.getAttribute('href');
      expect(href).toMatch(/^\/api\/emails\?.*format=csv/);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const text = await readFile(await download.path(), 'utf8');
      expect(download.suggestedFilename()).toMatch(/\.csv$/);

      const json = new URL(href as string, base);
      json.searchParams.delete('format');
      json.searchParams.set('size', '1');
      const { body } = await apiGet<PageAnswer>(base, json.pathname + json.search);
      const rows = parseCsv(text).filter((r) => r.length > 1 || r[0] !== '');
      const header = rows[0] ?? [];
      expect(header).toEqual(
        expect.arrayContaining(['offset', 'time', 'subject', 'sender', 'networkMessageId']),
      );
      expect(rows.length - 1).toBe(body.total);
      expect(body.total).toBeGreaterThan(50); // more than the page on screen

      const subject = header.indexOf('subject');
      const nmid = header.indexOf('networkMessageId');
      const formula = rows.find((r) => r[nmid] === FORMULA_NMID);
      expect(formula?.[subject]).toBe(`'${CSV_FORMULA}`);
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
      expect(rows.every((r) => !(r[subject] ?? '').startsWith('='))).toBe(true);
      expectClean('CSV export');
    },
  );

  it(
    'hostile records stay text on every page that shows them: window.__xss stays undefined, no dialog, the payload is visible literally, no img[src=x] / svg[onload] / javascript: link in the DOM, no CSP violation',
    T,
    async () => {
      const nmidQ = `tenant=${tenant}&nmid=${HOSTILE_NMID}`;
      const views: { path: string; name: string; text: { sel: string; has: string }[] }[] = [
        {
          path: '/emails?q=pat.victim&cols=time,verdict,recipient,sender,subject,attachments,networkMessageId',
          name: 'emails',
          text: [
            { sel: `[data-table=emails] tr[data-offset="${at.mail}"] td[data-col=subject]`, has: XSS.script },
            {
              sel: `[data-table=emails] tr[data-offset="${at.mail}"] td[data-col=attachments]`,
              has: HOSTILE_ATTACHMENT,
            },
          ],
        },
        {
          path: `/email?${nmidQ}`,
          name: 'email',
          text: [
            { sel: '[data-panel=message]', has: HOSTILE_SUBJECT },
            { sel: '[data-table=attachments]', has: HOSTILE_ATTACHMENT },
            { sel: '[data-table=urls]', has: XSS.jsUrl },
            { sel: '[data-table=authentication]', has: XSS.img },
          ],
        },
        {
          path: `/user?user=${encodeURIComponent(HOSTILE_RECIPIENT)}`,
          name: 'user',
          text: [
            { sel: '[data-table=timeline]', has: HOSTILE_FILE },
            { sel: '[data-table=timeline]', has: XSS.svg },
          ],
        },
        {
          path: '/clicks?q=pat.victim',
          name: 'clicks',
          text: [{ sel: '[data-table=clicks] td[data-col=url]', has: XSS.jsUrl }],
        },
        {
          path: '/files?q=pat.victim',
          name: 'files',
          text: [{ sel: '[data-table=files] td[data-col=fileName]', has: HOSTILE_FILE }],
        },
        {
          path: '/investigations?q=xss',
          name: 'investigations',
          text: [{ sel: '[data-table=investigations] td[data-col=name]', has: HOSTILE_INVESTIGATION }],
        },
        {
          path: `/event/${at.mail}`,
          name: 'event',
          text: [
            { sel: 'pre[data-raw]', has: '<img src=x onerror=window.__xss=1> IT' },
            { sel: 'pre[data-raw]', has: XSS.script },
            { sel: '[data-table=related]', has: XSS.script },
          ],
        },
        {
          path: `/event/${at.investigation}`,
          name: 'event',
          text: [{ sel: 'pre[data-raw]', has: HOSTILE_INVESTIGATION }],
        },
        {
          path: '/worklists?q=pat.victim',
          name: 'worklists',
          text: [
            { sel: '[data-table=inboxed] td[data-col=subject]', has: XSS.script },
            { sel: '[data-table=click-throughs] td[data-col=url]', has: XSS.jsUrl },
          ],
        },
        {
          path: '/worklists?q=xss',
          name: 'worklists',
          text: [{ sel: '[data-table=approvals] td[data-col=name]', has: HOSTILE_INVESTIGATION }],
        },
      ];
      for (const v of views) {
        watch.reset();
        await open(v.path, v.name);
        // Give an onerror / onload the time to fire if the payload had become markup.
        await page.waitForTimeout(150);
        for (const t of v.text) {
          const texts = await page.locator(t.sel).allTextContents();
          expect(texts.join('\n'), `${v.path}: text of ${t.sel}`).toContain(t.has);
        }
        const dom = await page.evaluate(() => {
          // Runs in the page (this project's TypeScript has no DOM types): what it needs, typed by hand.
          interface El {
            tagName: string;
            attributes: ArrayLike<{ name: string }>;
            getAttribute(name: string): string | null;
          }
          const g = globalThis as unknown as {
            __xss?: unknown;
            document: { querySelectorAll(selector: string): ArrayLike<El> };
          };
          const all = (selector: string): El[] => Array.from(g.document.querySelectorAll(selector));
          return {
            xss: g.__xss,
            imgX: all('img[src=x], img[onerror]').length,
            svgOnload: all('svg[onload], [onload]').length,
            jsLinks: all('a[href^="javascript:" i], [href^="javascript:" i], [src^="javascript:" i]').length,
            handlers: all('*').flatMap((el) =>
              Array.from(el.attributes)
                .filter((a) => /^on/i.test(a.name))
                .map((a) => `${el.tagName} ${a.name}`),
            ),
            scripts: all('script').map((s) => s.getAttribute('src') ?? 'inline'),
          };
        });
        expect(dom, v.path).toEqual({
          xss: undefined,
          imgX: 0,
          svgOnload: 0,
          jsLinks: 0,
          handlers: [],
          scripts: ['/assets/theme.js', '/assets/vendor/chart.umd.js', '/assets/app.js'],
        });
        expect(watch.dialogs, v.path).toEqual([]);
        expectClean(v.path);
      }
    },
  );

  it(
    'the URL holds the view: /emails with filter, sort and page in the query shows the same rows in a fresh page; #tenant and #range write tenant= and range= into the URL',
    T,
    async () => {
      watch.reset();
      const view = '/emails?any.verdict=phish,malware&sort=recipient&dir=asc&page=2&size=25';
      await open(view, 'emails');
      const first = await offsetsOf('emails');
      expect(first.length).toBe(25);
      expect(await page.getAttribute('[data-table=emails] th[data-col=recipient]', 'aria-sort')).toBe(
        'ascending',
      );

      const fresh = await context.ctx.newPage();
      const freshWatch = watchPage(fresh, context.csp);
      try {
        await open(view, 'emails', fresh);
        expect(await offsetsOf('emails', fresh)).toEqual(first);
        expect(await fresh.locator('.count').textContent()).toMatch(/^26–50 of /);
        expect(await fresh.locator('[data-active-filter=verdict]').count()).toBe(1);
        expect(freshWatch.problems()).toEqual([]);
      } finally {
        await fresh.close();
      }
      // The same query straight from the API: the CSV link carries the page's range, filter and sort.
      const q = new URL((await page.getAttribute('a[data-csv=emails]', 'href')) as string, base);
      q.searchParams.delete('format');
      q.searchParams.set('page', '2');
      q.searchParams.set('size', '25');
      const api = await apiGet<PageAnswer>(base, q.pathname + q.search);
      expect(api.body.rows.map((r) => String(r.offset))).toEqual(first);

      await after(
        () => page.selectOption('#tenant', tenant),
        (u) =>
          u.searchParams.get('tenant') === tenant && u.searchParams.get('any.verdict') === 'phish,malware',
        'emails',
      );
      expect(await page.inputValue('#tenant')).toBe(tenant);
      expect(await rowsOf('emails').count()).toBeGreaterThan(0);
      await after(
        () => page.selectOption('#range', '7d'),
        (u) =>
          u.searchParams.get('range') === '7d' &&
          u.searchParams.get('tenant') === tenant &&
          !u.searchParams.has('page'),
        'emails',
      );
      expect(await page.inputValue('#range')).toBe('7d');
      await after(
        () => page.selectOption('#range', '1h'),
        (u) => u.searchParams.get('range') === '1h',
        'emails',
      );
      expectClean('URL view');
    },
  );

  it(
    'each overview tile, and each outcome row that links to a list, opens a list whose total equals the number it shows',
    T,
    async () => {
      watch.reset();
      await open('/', 'overview');
      const num = (t: string | null) => Number((t ?? '').replace(/[^\d]/g, ''));
      const targets: { what: string; shown: number; href: string }[] = [];
      for (const tile of await page.locator('[data-tile]').all()) {
        targets.push({
          what: `tile ${await tile.getAttribute('data-tile')}`,
          shown: num(await tile.locator('.tile-n').textContent()),
          href: (await tile.getAttribute('href')) ?? '',
        });
      }
      for (const row of await page.locator('[data-table=outcome] tr[data-outcome]').all()) {
        const a = row.locator('a[href]');
        if ((await a.count()) === 0) continue;
        targets.push({
          what: `outcome ${await row.getAttribute('data-outcome')}`,
          shown: num(await row.locator('td.num').first().textContent()),
          href: (await a.first().getAttribute('href')) ?? '',
        });
      }
      // Six tiles and the outcome row that has a list of the same count (Still there).
      expect(targets.length).toBeGreaterThanOrEqual(7);
      const wrong: string[] = [];
      for (const t of targets) {
        const u = new URL(t.href, base);
        const table = u.hash ? u.hash.slice(1) : u.pathname.slice(1);
        const name = u.pathname.slice(1);
        await open(u.pathname + u.search + u.hash, name);
        const listed = Number(
          await page.getAttribute(`[data-table-wrap="${table}"] [data-total]`, 'data-total'),
        );
        if (listed !== t.shown) wrong.push(`${t.what} shows ${t.shown}, ${t.href} lists ${listed}`);
      }
      expect(wrong).toEqual([]);
      expectClean('overview counts');
    },
  );

  it(
    'clusters are listed by records descending, as their Records header says, and each holds at least two mails',
    T,
    async () => {
      watch.reset();
      await open('/clusters', 'clusters');
      expect(await page.getAttribute('[data-table=clusters] th[data-col=records]', 'aria-sort')).toBe(
        'descending',
      );
      const records = (await cellTexts('clusters', 'records')).map((t) => Number(t.replace(/[^\d]/g, '')));
      expect(records.length).toBeGreaterThan(0);
      expect(records).toEqual([...records].sort((x, y) => y - x));
      const mails = (await cellTexts('clusters', 'mails')).map((t) => Number(t.replace(/[^\d]/g, '')));
      for (const m of mails) expect(m).toBeGreaterThanOrEqual(2);
      expectClean('clusters order');
    },
  );

  it(
    "the HTML answer carries a Content-Security-Policy without 'unsafe-inline'; /api/emails?size=abc answers 400 with a JSON error, and a refused view shows the server's error in [data-error]",
    T,
    async () => {
      const res = await page.goto(`${base}/emails`);
      const csp = res?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);

      const bad = await fetch(`${base}/api/emails?size=abc`);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
      const err = (await bad.json()) as { error?: unknown };
      expect(typeof err.error).toBe('string');
      expect(err.error).toMatch(/size/);

      // The UI passes dir= through as it is: the server's 400 text must reach the page.
      const refused = (await apiGet<{ error: string }>(base, '/api/emails?dir=sideways')).body.error;
      watch.reset();
      await open('/emails?dir=sideways', 'emails');
      const shown = await page.locator('[data-error]').textContent();
      expect(shown).toContain(refused);
      expect(watch.pageErrors).toEqual([]);
      expect(context.csp).toEqual([]);
      // The browser logs the failed request itself; nothing else may be logged.
      expect(watch.consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    },
  );
});
