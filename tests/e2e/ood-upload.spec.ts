/**
 * The explorer says when the model should not be trusted (issue 28):
 * - uniform random noise uploaded as a .npy is classified, and the prediction's own line says the
 *   volume is unlike the training data and the prediction and CAM are no organ finding; a shipped
 *   test volume's line does not;
 * - files with intensities no scanner writes are refused with the reason;
 * - a 4 × 512 × 512 slab opens with a visible warning naming its resampling factors;
 * - while a reader's file is shown, the URL names no shipped volume;
 * - an unknown ?volume= id is said, naming it and the available ids.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { implausibleCases } from '../malformed/generate';
import { writeNpy } from '../../src/lib/data/npy';

const INDEX = JSON.parse(readFileSync(join('public', 'volumes', 'index.json'), 'utf8')) as { volumes: { id: string }[] };
const VOL = INDEX.volumes[0];

type Hook = { __explorer: { ready(): Promise<unknown>; state(): { volume: string | null; probs: number[] | null } } };

async function open(page: Page, query: string): Promise<void> {
  await page.goto(`explorer/?autorun=0&backend=wasm&${query}`);
  await page.evaluate(() => (window as unknown as Hook).__explorer.ready());
}

async function upload(page: Page, name: string, buffer: Buffer): Promise<string> {
  await page.locator('[data-upload]').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
  const msg = page.locator('[data-upload-msg]');
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expect(msg).toContainText(new RegExp(`(Could not open|Opened) ${esc}`), { timeout: 60_000 });
  return (await msg.textContent()) ?? '';
}

async function classified(page: Page, volume: string): Promise<void> {
  await page.waitForFunction((v) => {
    const s = (window as unknown as Hook).__explorer.state();
    return s.volume === v && s.probs !== null;
  }, volume, { timeout: 90_000 });
}

test.describe('out-of-distribution and implausible uploads', () => {
  test('noise is flagged in the prediction line, a test volume is not; the URL names the file, not a shipped id', async ({ page }) => {
    test.setTimeout(180_000);
    await open(page, `volume=${VOL.id}`);
    await classified(page, VOL.id);
    const root = page.locator('[data-explorer]').first();
    await expect(root).toHaveAttribute('data-ood', 'none');
    await expect(page.locator('[data-prediction] [data-ood-verdict]')).toHaveCount(0);

    let seed = 9;
    const noise = Uint8Array.from({ length: 64 ** 3 }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
    const text = await upload(page, 'noise.npy', Buffer.from(writeNpy({ dtype: 'uint8', shape: [64, 64, 64], data: noise })));
    expect(text).toContain('Opened noise.npy');
    await classified(page, 'noise.npy');
    const line = page.locator('[data-prediction]');
    await expect(line).toContainText(/^Predicted: .*%.* — but This volume is unlike the training data, so the prediction and its CAM should not be read as an organ finding \(/);
    await expect(root).toHaveAttribute('data-ood', /features|intensity/);
    const url = new URL(page.url());
    expect(url.searchParams.get('volume')).toBeNull();
    expect(url.searchParams.get('file')).toBe('own'); // never the file's name (Referer headers carry the address)
    expect(page.url()).not.toContain('noise');
  });

  test('intensities no scanner writes are refused with the reason; a slab opens with its resampling factors named', async ({ page }) => {
    test.setTimeout(180_000);
    await open(page, `volume=${VOL.id}`);
    for (const c of implausibleCases()) {
      const text = await upload(page, c.name, Buffer.from(c.bytes));
      expect(text, c.id).toContain(`Could not open ${c.name}`);
      expect(text, c.id).toMatch(c.expect);
    }
    const slab = Int16Array.from({ length: 4 * 512 * 512 }, (_, i) => (i % 5 ? 40 + (i % 23) : -1000));
    const text = await upload(page, 'slab.npy', Buffer.from(writeNpy({ dtype: 'int16', shape: [4, 512, 512], data: slab })));
    expect(text).toContain('Opened slab.npy: 4 × 512 × 512 int16 resampled to 64³');
    const warn = page.locator('[data-input-warning]');
    await expect(warn).toBeVisible();
    await expect(warn).toContainText('Upsampled 16× along z');
    await expect(warn).toContainText('scales the axes by z 16×, y 1/8, x 1/8, distorting its proportions 128:1');
  });

  test('an unknown ?volume= id is said, with the available ids; picking a volume clears it', async ({ page }) => {
    test.setTimeout(120_000);
    await open(page, 'volume=test-9999');
    const note = page.locator('[data-volume-error]');
    await expect(note).toBeVisible({ timeout: 30_000 });
    await expect(note).toContainText(`There is no shipped test volume “test-9999”, so the explorer shows ${VOL.id} instead. The ${INDEX.volumes.length} available are: ${INDEX.volumes[0].id}, ${INDEX.volumes[1].id}`);
    // another organ in the picker opens its first volume
    const organs = await page.locator('[data-organ] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await page.locator('[data-organ]').selectOption(organs[1]);
    await expect(note).toBeHidden({ timeout: 30_000 });
  });
});
