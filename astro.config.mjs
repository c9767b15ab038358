// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import { fileURLToPath } from 'node:url';
import rehypeBaseLinks from './src/lib/site/rehype-base-links.ts';

/**
 * Deployment target, configurable through environment variables so that a fork
 * deploys to its own GitHub Pages URL without editing code:
 *   SITE_URL   origin of the deployed site   (default https://example.github.io)
 *   BASE_PATH  path the site is served under (default /scorecam-3d; use "/" for a user/org page)
 */
const site = process.env.SITE_URL || 'https://example.github.io';
const rawBase = process.env.BASE_PATH ?? '/scorecam-3d';
const base = '/' + rawBase.replace(/^\/+|\/+$/g, '');

export default defineConfig({
  site,
  base,
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  integrations: [mdx()],
  markdown: {
    remarkPlugins: [remarkMath],
    rehypePlugins: [
      [rehypeKatex, { strict: 'ignore', output: 'htmlAndMathml' }],
      // lets Markdown links like [Results](/results/) respect the base path
      [rehypeBaseLinks, { base }],
    ],
    shikiConfig: {
      themes: { light: 'github-light-default', dark: 'github-dark-default' },
      wrap: false,
    },
  },
  vite: {
    // module workers (new Worker(url, { type: 'module' })) may code-split (lazy imports)
    worker: { format: 'es' },
    // Astro inlines small page scripts; emitted as files instead, they are covered by the
    // Content-Security-Policy's script-src 'self' (src/lib/site/csp.ts) without per-build hashes
    build: { assetsInlineLimit: (file) => (file.endsWith('.js') ? false : undefined) },
    resolve: {
      alias: {
        // tfjs references node-fetch for Node; the site never uses it.
        'node-fetch': fileURLToPath(new URL('./src/lib/stubs/node-fetch.ts', import.meta.url)),
      },
    },
  },
});
