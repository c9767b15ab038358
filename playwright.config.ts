import { defineConfig, devices } from '@playwright/test';
import { BASE_SLASH, ORIGIN, PORT } from './tests/e2e/site-config';

/**
 * Browser tests against the BUILT site (dist/), served by `astro preview`
 * under the configured base path. Uses Debian's Chromium (/usr/bin/chromium);
 * browsers cannot be downloaded on the build machines.
 * Run through `npm test` (builds first) or `npm run test:e2e` (needs dist/).
 */
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/artifacts',
  fullyParallel: true,
  workers: 2, // 2-core machines; raise locally with --workers
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    baseURL: ORIGIN + BASE_SLASH,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--enable-unsafe-webgpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `npx astro preview --port ${PORT} --host 127.0.0.1`,
    url: ORIGIN + BASE_SLASH,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
