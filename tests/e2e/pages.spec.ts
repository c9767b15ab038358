/**
 * Every built page (read from dist/, so new pages are covered automatically):
 * renders with a title, one h1 and a <main> landmark; loads with no console
 * errors, no uncaught exceptions and no failed requests; every link and
 * asset it references stays under the base path; axe-core finds no serious or critical
 * violation (WCAG 2.x A/AA rules + best practices) in the light and the dark theme; and it fits a
 * 390 px phone screen. The tests of a page share one load of it (the explorer's loads its model):
 * the themes are CSS media queries and the layout follows the viewport, so the dark scan and the
 * phone check switch the setting on the loaded page (the dark scan runs the colour rules: axe.ts).
 */
import { test, expect, type Page } from '@playwright/test';
import { BASE, BASE_SLASH, ORIGIN, IGNORED_CONSOLE, builtPages } from './site-config';
import { sharedPage } from './shared-page';
import { axeViolations } from './axe';

const pages = builtPages();

function underBase(url: URL): boolean {
  return url.pathname === BASE || url.pathname.startsWith(BASE_SLASH);
}

/** Open a page and record console errors, page errors and failed requests. */
export async function openAndWatch(page: Page, path: string) {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (IGNORED_CONSOLE.some((re) => re.test(text))) return;
    problems.push(`console error: ${text} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
    const u = new URL(res.url());
    if (u.origin === ORIGIN && !underBase(u)) problems.push(`request outside the base path: ${res.url()}`);
  });
  const response = await page.goto(path, { waitUntil: 'load' });
  await page.waitForLoadState('networkidle');
  return { response, problems };
}

for (const path of pages) {
  test.describe(`page ${path}`, () => {
    const shared = sharedPage();
    let opened: ReturnType<typeof openAndWatch> | null = null;
    test.beforeAll(() => {
      opened = null;
    });
    /** The page, loaded once for this group with its problems recorded from the first request on. */
    const load = () => (opened ??= openAndWatch(shared.page, ORIGIN + path));

    test('renders without errors', async () => {
      const page = shared.page;
      const { response, problems } = await load();
      expect(response?.status(), 'HTTP status').toBe(200);
      await expect(page).toHaveTitle(/\S/);
      await expect(page.locator('main#main')).toHaveCount(1);
      await expect(page.locator('h1')).toHaveCount(1);
      await expect(page.locator('header nav a').first()).toBeVisible();
      await expect(page.locator('footer')).toContainText('MIT');
      // give late scripts (islands, probes) a moment to report errors
      await page.waitForTimeout(300);
      expect(problems, problems.join('\n')).toEqual([]);
    });

    test('links and assets stay under the base path and resolve', async ({ request }) => {
      const page = shared.page;
      await load();
      const refs = await page.evaluate(() => {
        const out: { kind: string; url: string }[] = [];
        const add = (kind: string, v: string | null) => { if (v) out.push({ kind, url: v }); };
        document.querySelectorAll('a[href]').forEach((e) => add('a', (e as HTMLAnchorElement).href));
        document.querySelectorAll('link[href]').forEach((e) => add('link', (e as HTMLLinkElement).href));
        document.querySelectorAll('script[src]').forEach((e) => add('script', (e as HTMLScriptElement).src));
        document.querySelectorAll('img[src], source[src], video[src], audio[src], iframe[src]').forEach((e) => add('media', (e as HTMLImageElement).src));
        document.querySelectorAll('[srcset]').forEach((e) => {
          for (const part of (e.getAttribute('srcset') ?? '').split(',')) {
            const u = part.trim().split(/\s+/)[0];
            if (u) add('srcset', new URL(u, document.baseURI).href);
          }
        });
        return out;
      });
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const { kind, url } of refs) {
        const u = new URL(url);
        if (u.origin !== ORIGIN) continue; // external links are not checked offline
        if (!underBase(u)) { problems.push(`${kind} outside base path: ${u.pathname}`); continue; }
        u.hash = '';
        if (seen.has(u.href)) continue;
        seen.add(u.href);
        const res = await request.get(u.href, { maxRedirects: 0 });
        if (res.status() !== 200) problems.push(`${kind} ${u.pathname} -> HTTP ${res.status()}`);
      }
      // in-page anchors must point at an existing id
      const missing = await page.evaluate(() =>
        [...document.querySelectorAll('a[href^="#"]')]
          .map((a) => decodeURIComponent(a.getAttribute('href')!.slice(1)))
          .filter((id) => id && !document.getElementById(id)),
      );
      for (const id of missing) problems.push(`anchor #${id} has no target`);
      expect(problems, problems.join('\n')).toEqual([]);
    });

    for (const colorScheme of ['light', 'dark'] as const) {
      test(`a11y ${path} (${colorScheme})`, async () => {
        const page = shared.page;
        await load();
        await page.emulateMedia({ colorScheme });
        const bad = await axeViolations(page, colorScheme);
        const report = bad
          .map((v) => `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.slice(0, 5).map((n) => `   ${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join('\n'))
          .join('\n');
        expect(bad, report).toEqual([]);
      });
    }

    test('fits a 390 px phone screen without sideways scrolling', async () => {
      const page = shared.page;
      await load();
      const before = page.viewportSize();
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, 'page is wider than the screen').toBeLessThanOrEqual(0);
      } finally {
        if (before) await page.setViewportSize(before);
      }
    });
  });
}
