/**
 * Base-path aware URLs. The site may be served under a sub-path (GitHub Pages
 * project sites: https://user.github.io/<repo>/), so every internal link and
 * asset must be built with `withBase`. Pure TypeScript, no DOM.
 */

/** True for URLs that must not be prefixed: absolute (scheme:), protocol-relative, fragment-only, or mailto/tel. */
export function isExternal(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//') || path.startsWith('#');
}

/**
 * Join a base path and a site-relative path.
 *   joinBase('/scorecam-3d/', 'method/')   -> '/scorecam-3d/method/'
 *   joinBase('/scorecam-3d',  '/models/x') -> '/scorecam-3d/models/x'
 *   joinBase('/', '/')                     -> '/'
 *   joinBase('/scorecam-3d', '')           -> '/scorecam-3d/'
 * Query strings and fragments are kept; external URLs are returned unchanged.
 */
export function joinBase(base: string, path = ''): string {
  if (isExternal(path)) return path;
  const b = '/' + base.replace(/^\/+|\/+$/g, '');
  const prefix = b === '/' ? '' : b;
  const p = path.replace(/^\/+/, '');
  if (p === '') return prefix + '/';
  return prefix + '/' + p;
}

/** Strip the base from a pathname (for "current page" checks). Returns a path starting with '/'. */
export function stripBase(base: string, pathname: string): string {
  const b = '/' + base.replace(/^\/+|\/+$/g, '');
  if (b === '/') return pathname.startsWith('/') ? pathname : '/' + pathname;
  if (pathname === b) return '/';
  if (pathname.startsWith(b + '/')) return pathname.slice(b.length);
  return pathname;
}

/** Normalise a site path for comparison: leading slash, no trailing slash (except root), no index.html. */
export function normalizePath(pathname: string): string {
  let p = pathname.replace(/index\.html$/, '').replace(/\/+$/, '');
  if (!p.startsWith('/')) p = '/' + p;
  return p === '' ? '/' : p;
}

/** Site path with the configured base (`import.meta.env.BASE_URL`). Use in .astro/.mdx files and islands. */
export function withBase(path = ''): string {
  return joinBase(import.meta.env.BASE_URL ?? '/', path);
}

/** Is `href` (site-relative, without base) the current page or a section of it? */
export function isCurrent(base: string, currentPathname: string, href: string): boolean {
  const cur = normalizePath(stripBase(base, currentPathname));
  const target = normalizePath(href);
  if (target === '/') return cur === '/';
  return cur === target || cur.startsWith(target + '/');
}
