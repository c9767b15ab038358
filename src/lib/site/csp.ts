/**
 * The Content-Security-Policy every built page carries (a <meta> tag: GitHub Pages sends no
 * headers). Everything is same-origin; the only inline script is the theme snippet below, allowed
 * by its SHA-256, so no other inline script can run. Astro's own small module scripts are emitted
 * as files (astro.config.mjs: no script inlining), so 'self' covers them.
 *
 * Trade-offs, stated:
 * - style-src needs 'unsafe-inline': KaTeX writes style="…" attributes on every formula, Astro
 *   inlines small scoped stylesheets, and plotly injects <style> elements at run time; hashes
 *   cannot cover style attributes. Inline styles cannot run code, so this is the usual compromise.
 * - script-src has 'wasm-unsafe-eval' (TensorFlow.js's WebAssembly backend); no 'unsafe-eval'
 *   (the explorer's model worker, wasm and plotly 3D view run without it: tests/e2e/hostile-upload.spec.ts).
 * - frame-ancestors cannot be set from a <meta> tag (browsers ignore it there).
 */

/** Applies a stored manual theme before first paint (no flash). Without JS or without a stored choice the theme follows prefers-color-scheme. */
export const THEME_SCRIPT =
  "try{var t=localStorage.getItem('theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}";

/** 'sha256-…' source expression for an inline script's exact text. */
export async function scriptHash(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let bin = '';
  for (const b of new Uint8Array(digest)) bin += String.fromCharCode(b);
  return `'sha256-${btoa(bin)}'`;
}

export interface CspOptions {
  /** hashes of the page's inline scripts */
  scriptHashes: string[];
}

export function contentSecurityPolicy(o: CspOptions): string {
  const script = ["'self'", "'wasm-unsafe-eval'", ...o.scriptHashes];
  return [
    "default-src 'self'",
    `script-src ${script.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}
