/**
 * Shared settings for the browser tests: base path (same env var as
 * astro.config.mjs), server origin, and the list of built pages read from dist/.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const BASE = '/' + (process.env.BASE_PATH ?? '/scorecam-3d').replace(/^\/+|\/+$/g, '');
/** Base with a trailing slash: '/scorecam-3d/' or '/'. */
export const BASE_SLASH = BASE === '/' ? '/' : BASE + '/';
export const PORT = Number(process.env.E2E_PORT ?? 4321);
export const ORIGIN = `http://127.0.0.1:${PORT}`;
export const DIST = join(process.cwd(), 'dist');

/** Site paths (with base) of every built HTML page except 404.html, e.g. '/scorecam-3d/method/'. */
export function builtPages(): string[] {
  if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it for you).');
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== '_astro') walk(full);
      } else if (name.endsWith('.html')) {
        const rel = relative(DIST, full).split(sep).join('/');
        if (rel === '404.html') continue;
        const path = rel === 'index.html' ? '' : rel.replace(/index\.html$/, '');
        pages.push(BASE_SLASH + path);
      }
    }
  };
  walk(DIST);
  return pages.sort();
}

/** Messages that are not bugs in the site (add sparingly, with a reason). */
export const IGNORED_CONSOLE: RegExp[] = [];
