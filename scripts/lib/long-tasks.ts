/**
 * The page's long tasks (over 50 ms on its main thread), recorded from its first script on: used by
 * `npm run profile:explorer` and the browser tests that look for freezes.
 */
import type { Page } from '@playwright/test';

export interface LongTask {
  /** ms after navigation start (the page's performance.now() clock) */
  start: number;
  duration: number;
}

/** Installs the recorder before any page script runs (buffered: tasks before it attached count too). */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The long tasks recorded so far (a string expression: tsx's keep-names helper does not exist in the page). */
export function longTasks(page: Page): Promise<LongTask[]> {
  return page.evaluate('window.__longTasks') as Promise<LongTask[]>;
}
