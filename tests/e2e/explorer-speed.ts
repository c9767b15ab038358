/**
 * A returning reader's browser: the explorer keeps this browser's measured time per forward input in
 * localStorage (explorer.ts: SPEED_KEY, per backend and pool size, for a week) and, without it, times
 * a 16-input and a 32-input Score-CAM through the pool after the first prediction to estimate a run.
 * Tests whose subject is not that estimate start with a stored speed, so the page skips the timing
 * runs: they start after the first prediction and a test's own run cancels them (after the batch in
 * flight: 8 masked 64³ inputs, tens of seconds on software WebGL), so their work was thrown away.
 * The first-visit path itself is tested by explorer-feel.spec.ts.
 */
import type { Page } from '@playwright/test';

/** Stores a measured speed for `backend` on `workers` workers before the page's scripts run (every navigation). */
export async function rememberSpeed(page: Page, backend: string, workers: number, perInputMs = 50): Promise<void> {
  await page.addInitScript(
    ([b, w, ms]) => localStorage.setItem('scorecam-explorer-speed', JSON.stringify({ backend: b, workers: w, perInputMs: ms, at: Date.now() })),
    [backend, workers, perInputMs] as const,
  );
}
