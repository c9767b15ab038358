/**
 * Hostile input in the browser, and the Content-Security-Policy:
 * - every malformed upload of the generated battery (tests/malformed/generate.ts) shows its
 *   message, the page never has a long task over 200 ms while a file is parsed (PerformanceObserver
 *   'longtask'; on a loaded machine, 200 ms beyond the longest task the idle page shows), and the explorer still classifies a good file afterwards; a blank volume is
 *   flagged beside the prediction; a ~100 MB int16 volume parses without freezing the page;
 * - every built page carries the CSP meta tag and reports no violation (securitypolicyviolation
 *   events and console messages), the explorer included while the model, the worker, wasm and
 *   the 3D view run.
 */
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { builtPages, ORIGIN } from './site-config';
import { uploadCases } from '../malformed/generate';
import { writeNpy } from '../../src/lib/data/npy';
import { writeNifti } from '../../src/lib/data/nifti';
import { watchLongTasks } from '../../scripts/lib/long-tasks';

const INDEX = JSON.parse(readFileSync(join('public', 'volumes', 'index.json'), 'utf8')) as { volumes: { id: string }[] };
const VOL = INDEX.volumes[0];

/** Collects long tasks and CSP violations from the first script on. */
async function instrument(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  await watchLongTasks(page);
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
  });
  return problems;
}

const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

/** Uploads a file and returns the message and the longest task while it was parsed. */
async function upload(page: Page, file: { name: string; buffer?: Buffer; path?: string }): Promise<{ text: string; longest: number; drawLongest: number; ms: number }> {
  const msg = page.locator('[data-upload-msg]');
  const t0 = await page.evaluate(() => performance.now());
  await page.locator('[data-upload]').setInputFiles(file.path ?? { name: file.name, mimeType: 'application/octet-stream', buffer: file.buffer! });
  const name = file.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expect(msg).toContainText(new RegExp(`(Could not open|Opened) ${name}`), { timeout: 60_000 });
  const t1 = await page.evaluate(() => performance.now());
  // parsing ends when the worker's result arrives (explorer.ts marks 'upload-parsed'); what follows is drawing the new volume
  const r = await page.evaluate(
    ([a, b]) => {
      const parsed = performance.getEntriesByName('upload-parsed').map((m) => m.startTime).filter((t) => t >= a).pop() ?? b;
      const tasks = (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= a && t.start <= b);
      const max = (l: { duration: number }[]) => Math.max(0, ...l.map((t) => t.duration));
      return { parse: max(tasks.filter((t) => t.start < parsed)), draw: max(tasks.filter((t) => t.start >= parsed)), parseMs: parsed - a };
    },
    [t0, t1],
  );
  return { text: (await msg.textContent()) ?? '', longest: r.parse, drawLongest: r.draw, ms: r.parseMs };
}

/**
 * A machine running more than ~1.5 runnable processes per core (this 2-core box is shared with a
 * training job) stretches every task by preemption, so long tasks there measure the machine, not
 * the page: the freeze assertions are skipped (and said so) while the messages are still checked.
 */
function overloaded(): boolean {
  const load = os.loadavg()[0] / os.cpus().length;
  if (load > 1.5) test.info().annotations.push({ type: 'timing not asserted', description: `load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores` });
  return load > 1.5;
}

/**
 * The longest main-thread task while the page sits idle for `ms`: on a loaded machine (the CI box
 * is shared) even idle tasks stretch, so the freeze budget of an upload is 200 ms beyond this.
 */
async function idleLongest(page: Page, ms = 1500): Promise<number> {
  if (overloaded()) return Infinity;
  const t0 = await page.evaluate(() => performance.now());
  await page.waitForTimeout(ms);
  return page.evaluate((a) => Math.max(0, ...(window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= a).map((t) => t.duration)), t0);
}

/** The explorer with its first volume classified and drawn, so its own start-up work is over before an upload is timed. */
async function openSettled(page: Page): Promise<void> {
  await page.goto(`explorer/?autorun=0&volume=${VOL.id}&backend=wasm`);
  await page.evaluate(() => (window as unknown as { __explorer: { ready(): Promise<unknown> } }).__explorer.ready());
  await page.waitForFunction(() => {
    const s = (window as unknown as { __explorer: { state(): { probs: unknown; draw3dMs: number | null } } }).__explorer.state();
    return s.probs !== null && s.draw3dMs !== null;
  }, null, { timeout: 90_000 });
  await page.waitForTimeout(1000);
}

test.describe('hostile uploads', () => {
  test('every malformed file shows its message, no long task over 200 ms, and the explorer keeps working', async ({ page }) => {
    test.setTimeout(240_000);
    const problems = await instrument(page);
    await openSettled(page);
    const budget = 200 + (await idleLongest(page));
    const rows: string[] = [];
    for (const c of uploadCases()) {
      const r = await upload(page, { name: c.name, buffer: Buffer.from(c.bytes) });
      rows.push(`${c.id}\t${r.longest.toFixed(0)} ms\t${r.text}`);
      expect(r.text, c.id).toContain(`Could not open ${c.name}`);
      expect(r.text, c.id).toMatch(c.expect);
      expect(r.longest, `${c.id}: the page froze ${r.longest.toFixed(0)} ms (budget ${budget.toFixed(0)} ms)`).toBeLessThan(budget);
    }
    test.info().annotations.push({ type: 'messages', description: rows.join('\n') });

    // a blank volume opens, and the warning sits beside the prediction
    const blank = writeNpy({ dtype: 'uint8', shape: [64, 64, 64], data: new Uint8Array(64 ** 3) });
    const b = await upload(page, { name: 'blank.npy', buffer: Buffer.from(blank) });
    expect(b.text).toContain('Opened blank.npy');
    await expect(page.locator('[data-input-warning]')).toBeVisible();
    await expect(page.locator('[data-input-warning]')).toContainText(/Blank input: every voxel has the same value/);

    // a good file afterwards: opens, classifies, and the warning is gone
    const [nz, ny, nx] = [30, 40, 50];
    const hu = Int16Array.from({ length: nx * ny * nz }, (_, i) => {
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      return Math.hypot((x - 25) / 20, (y - 20) / 16, (z - 15) / 12) < 1 ? 40 + ((x * 7 + y * 3 + z) % 40) : -1000;
    });
    const good = await upload(page, { name: 'good.nii', buffer: Buffer.from(writeNifti({ dtype: 'int16', shape: [nz, ny, nx], data: hu })) });
    expect(good.text).toMatch(/Opened good\.nii: 30 × 40 × 50 int16 resampled to 64³.*W400\/L40/);
    await page.waitForFunction(() => {
      const s = (window as unknown as { __explorer: { state(): { volume: string | null; probs: number[] | null } } }).__explorer.state();
      return s.volume === 'good.nii' && s.probs !== null;
    }, null, { timeout: 60_000 });
    await expect(page.locator('[data-input-warning]')).toBeHidden();
    expect(await cspViolations(page)).toEqual([]);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  test('a ~100 MB int16 volume parses in the worker without freezing the page', async ({ page }) => {
    test.setTimeout(180_000);
    const problems = await instrument(page);
    await openSettled(page);
    const n = 368; // 368³ int16 ≈ 99.7 MB
    const data = new Int16Array(n ** 3);
    for (let i = 0; i < data.length; i++) data[i] = (i % 997) - 500;
    const file = join(mkdtempSync(join(os.tmpdir(), 'scorecam-big-')), 'big.nii');
    writeFileSync(file, writeNifti({ dtype: 'int16', shape: [n, n, n], data }));
    const budget = 200 + (await idleLongest(page));
    const r = await upload(page, { name: 'big.nii', path: file });
    expect(r.text).toContain('Opened big.nii: 368 × 368 × 368 int16 resampled to 64³');
    console.log(`big.nii: parsed in ${r.ms.toFixed(0)} ms, longest main-thread task while parsing ${r.longest.toFixed(0)} ms, while drawing the new volume ${r.drawLongest.toFixed(0)} ms`);
    expect(r.longest, `the page froze ${r.longest.toFixed(0)} ms while parsing (${r.ms.toFixed(0)} ms in all; budget ${budget.toFixed(0)} ms)`).toBeLessThan(budget);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

test.describe('content security policy', () => {
  for (const path of builtPages()) {
    test(`no CSP violation on ${path}`, async ({ page }) => {
      const problems = await instrument(page);
      await page.goto(ORIGIN + path);
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).not.toMatch(/https?:/); // no external origin
      if (/explorer\/$/.test(path)) {
        test.setTimeout(120_000);
        // the model worker, wasm, the upload worker and the 3D view all run under the policy
        await page.goto(ORIGIN + path + '?backend=wasm');
        await page.waitForFunction(() => (window as unknown as { __explorer: { state(): { probs: unknown; draw3dMs: number | null } } }).__explorer.state().draw3dMs !== null, null, { timeout: 90_000 });
      } else {
        await page.waitForLoadState('networkidle');
        // the theme toggle is shown by an Astro module script: it must run under the policy
        const toggle = page.locator('[data-theme-toggle]').first();
        await expect(toggle).toBeVisible();
        await toggle.click();
      }
      expect(await cspViolations(page)).toEqual([]);
      expect(problems, problems.join('\n')).toEqual([]);
      // control: the policy is enforced and the listener hears it (an injected inline script and external image are blocked)
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.append(s);
        const img = new Image();
        img.src = 'https://example.org/pixel.png';
        document.body.append(img);
      });
      await expect.poll(() => cspViolations(page)).toHaveLength(2);
      expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
    });
  }
});
