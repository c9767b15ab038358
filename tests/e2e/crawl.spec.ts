/**
 * Crawl the site from the landing page, following every internal link: all
 * of them must resolve (HTTP 200) under the base path, and every built page
 * must be reachable from the landing page.
 */
import { test, expect } from '@playwright/test';
import { BASE, BASE_SLASH, ORIGIN, builtPages } from './site-config';

const HREF = /<a\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

test('every internal link resolves and every page is reachable from the landing page', async ({ request }) => {
  const start = ORIGIN + BASE_SLASH;
  const queue: string[] = [start];
  const visited = new Map<string, number>();
  const problems: string[] = [];

  while (queue.length) {
    const url = queue.shift()!;
    if (visited.has(url)) continue;
    const res = await request.get(url, { maxRedirects: 0 });
    visited.set(url, res.status());
    if (res.status() !== 200) continue;
    if (!(res.headers()['content-type'] ?? '').includes('text/html')) continue;
    const html = await res.text();
    for (const m of html.matchAll(HREF)) {
      const raw = decodeEntities(m[1] ?? m[2] ?? '');
      if (!raw || raw.startsWith('#') || /^(mailto|tel|javascript):/i.test(raw)) continue;
      const target = new URL(raw, url);
      if (target.origin !== ORIGIN) continue;
      if (!(target.pathname === BASE || target.pathname.startsWith(BASE_SLASH))) {
        problems.push(`${new URL(url).pathname} links outside the base path: ${raw}`);
        continue;
      }
      target.hash = '';
      if (!visited.has(target.href)) queue.push(target.href);
    }
  }

  for (const [url, status] of visited) {
    if (status !== 200) problems.push(`broken link target ${new URL(url).pathname}: HTTP ${status}`);
  }
  const reached = new Set([...visited.keys()].map((u) => new URL(u).pathname));
  for (const page of builtPages()) {
    if (!reached.has(page)) problems.push(`page ${page} is not linked from anywhere reachable from the landing page`);
  }
  expect(problems, problems.join('\n')).toEqual([]);
  expect(visited.size).toBeGreaterThan(1);
});

test('unknown addresses get the 404 page with a way home', async ({ request }) => {
  const res = await request.get(ORIGIN + BASE_SLASH + 'no-such-page/');
  expect(res.status()).toBe(404);
  const html = await res.text();
  expect(html).toContain('Page not found');
  expect(html).toContain(`href="${BASE_SLASH}"`);
});
