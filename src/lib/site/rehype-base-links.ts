/**
 * Rehype plugin: prefix root-relative URLs in Markdown/MDX content with the
 * site's base path, so authors can write `[Results](/results/)` or
 * `![fig](/figures/x.png)` and the link works under GitHub Pages' sub-path.
 * Only Markdown-produced elements are rewritten; JSX in MDX must call
 * withBase() itself. Pure, dependency-free.
 */
import { joinBase } from './url';

interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

const URL_PROPS: Record<string, string[]> = {
  a: ['href'],
  img: ['src'],
  source: ['src'],
  video: ['src', 'poster'],
  audio: ['src'],
};

/** Rewrite one URL: only root-relative paths ('/x', not '//host/x') get the base. */
export function rebase(base: string, url: string): string {
  if (!url.startsWith('/') || url.startsWith('//')) return url;
  const b = '/' + base.replace(/^\/+|\/+$/g, '');
  if (b !== '/' && (url === b || url.startsWith(b + '/'))) return url; // already based
  return joinBase(base, url);
}

export function rebaseTree(tree: HastNode, base: string): void {
  const visit = (node: HastNode) => {
    if (node.type === 'element' && node.tagName && node.properties) {
      for (const prop of URL_PROPS[node.tagName] ?? []) {
        const v = node.properties[prop];
        if (typeof v === 'string') node.properties[prop] = rebase(base, v);
      }
    }
    node.children?.forEach(visit);
  };
  visit(tree);
}

/** Usage in astro.config.mjs: rehypePlugins: [[rehypeBaseLinks, { base }]] */
export default function rehypeBaseLinks(options: { base: string }) {
  return (tree: HastNode) => rebaseTree(tree, options.base);
}
