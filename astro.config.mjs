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

/**
 * Small shared modules get chunks of their own in the browser build. Left to Rollup, the explorer's
 * cancellation helpers (src/lib/util/async.ts: isAbortError) and the CommonJS interop helpers went
 * into the 1.6 MB chunk that holds TensorFlow.js (the lazily loaded CAM methods share them), so the
 * explorer pages loaded and evaluated tfjs on the page's thread for a one-line function, and the
 * plotly chunk could not load without it (issue 27). The workers are bundled apart (worker.*).
 */
function sharedSmallChunks() {
  let ssr = false;
  return {
    name: 'scorecam:shared-small-chunks',
    apply: /** @type {const} */ ('build'),
    configResolved(/** @type {{ build: { ssr: unknown } }} */ c) {
      ssr = Boolean(c.build.ssr);
    },
    transform(/** @type {string} */ _code, /** @type {string} */ id) {
      if (!ssr && /[\\/]@tensorflow[\\/]tfjs[\\/]dist[\\/]index\.js$/.test(id)) return { code: _code, map: null, moduleSideEffects: false };
      return null;
    },
    outputOptions(/** @type {import('rollup').OutputOptions} */ o) {
      if (ssr) return null;
      const prev = o.manualChunks;
      return {
        ...o,
        /** @type {import('rollup').GetManualChunk} */
        manualChunks(id, meta) {
          if (id.includes('commonjsHelpers') || /[\\/]src[\\/]lib[\\/]util[\\/]async\.ts$/.test(id)) return 'shared';
          return typeof prev === 'function' ? prev(id, meta) : undefined;
        },
      };
    },
  };
}

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
    plugins: [sharedSmallChunks()],
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
