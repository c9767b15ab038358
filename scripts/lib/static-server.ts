/**
 * A static file server for the built site (dist/) under its base path, with extra response
 * headers. `npm run bench:browser -- --isolated` uses it to send the two headers that make a page
 * cross-origin isolated (COOP same-origin, COEP require-corp), which multithreaded wasm needs and
 * which GitHub Pages cannot send; `astro preview` serves the site as Pages does, without them.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.bib': 'text/plain; charset=utf-8',
};

/** The file a URL path names under `root` (a folder gives its index.html), or null (outside root, missing). */
export function resolveFile(root: string, base: string, urlPath: string): string | null {
  const prefix = '/' + base.replace(/^\/*|\/*$/g, '');
  let p = decodeURIComponent(urlPath.split('?')[0]);
  if (prefix !== '/') {
    if (p !== prefix && !p.startsWith(prefix + '/')) return null;
    p = p.slice(prefix.length) || '/';
  }
  const abs = resolve(root, '.' + normalize('/' + p));
  if (abs !== resolve(root) && !abs.startsWith(resolve(root) + '/')) return null;
  for (const f of [abs, join(abs, 'index.html')]) {
    try {
      if (statSync(f).isFile()) return f;
    } catch {
      // try the next
    }
  }
  return null;
}

/** Serves `root` at http://host:port/base/ with `headers` on every response; resolves once listening. */
export function serveStatic(o: { root: string; base: string; port: number; host?: string; headers?: Record<string, string> }): Promise<Server> {
  const server = createServer((req, res) => {
    const file = resolveFile(o.root, o.base, req.url ?? '/');
    for (const [k, v] of Object.entries(o.headers ?? {})) res.setHeader(k, v);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host ?? '127.0.0.1', () => ok(server));
  });
}
