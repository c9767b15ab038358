/**
 * One page shared by the tests of a describe block, so that a page (or the explorer with its live
 * model) is loaded once for the group instead of once per test:
 *
 *   test.describe('the explorer on wasm', () => {
 *     const shared = sharedPage();            // the group's tests now run in order, in one worker
 *     test('a', async () => { await shared.open('explorer/?backend=wasm'); ... shared.page ... });
 *     test('b', async () => { await shared.open('explorer/?backend=wasm'); ... }); // no reload
 *   });
 *
 * The group runs in order in one worker (`mode: 'default'`, not 'serial': a failing test does not
 * skip the rest). When a test fails, Playwright replaces the worker, and the next test of the group
 * gets a fresh page in a fresh context; so each test must call `open()` itself and must not rely
 * on what an earlier test did to the page beyond that.
 */
import { test, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';

export interface SharedPage {
  /** The group's page (in a context of its own, with the project's options plus `options`). */
  readonly page: Page;
  /**
   * Goes to `url` unless the page is still where an earlier `open(url)` of the group took it
   * (same URL, not navigated away since). Returns true when it navigated.
   */
  open(url: string, options?: Parameters<Page['goto']>[1]): Promise<boolean>;
}

export function sharedPage(options: BrowserContextOptions = {}): SharedPage {
  test.describe.configure({ mode: 'default' });
  let context: BrowserContext | null = null;
  let page: Page | null = null;
  /** the URL last asked for, and where the page was right after it loaded */
  let asked: string | null = null;
  let landed: string | null = null;
  test.beforeAll(async ({ browser }) => {
    context = await browser.newContext(options);
    page = await context.newPage();
    asked = landed = null;
  });
  test.afterAll(async () => {
    await context?.close();
    context = page = null;
  });
  return {
    get page(): Page {
      if (!page) throw new Error('sharedPage(): its page exists only inside the tests of the describe block that called it');
      return page;
    },
    async open(url, opts) {
      const p = this.page;
      if (asked === url && landed === p.url() && !p.isClosed()) return false;
      await p.goto(url, opts);
      asked = url;
      landed = p.url();
      return true;
    },
  };
}
