/**
 * The browser tests' accessibility scan: axe-core with the WCAG 2.x A/AA rules and best practices,
 * serious or critical violations only. The themes are CSS media queries that change colours only
 * (the DOM, its roles, names and order stay), so the dark scan runs the rules that read colours on
 * the DOM the light scan of the same loaded page checked.
 */
import type { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
/** The rules of AXE_TAGS whose result depends on the theme's colours. */
export const AXE_COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/** Serious and critical violations on the page as it is now shown in `scheme` (emulated by the caller). */
export async function axeViolations(page: Page, scheme: 'light' | 'dark') {
  const axe = new AxeBuilder({ page });
  const results = await (scheme === 'light' ? axe.withTags(AXE_TAGS) : axe.withRules(AXE_COLOUR_RULES)).analyze();
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
