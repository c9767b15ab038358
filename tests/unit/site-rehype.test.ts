import { describe, it, expect } from 'vitest';
import rehypeBaseLinks, { rebase } from '../../src/lib/site/rehype-base-links';

describe('rebase', () => {
  it('prefixes root-relative URLs only', () => {
    expect(rebase('/scorecam-3d/', '/results/')).toBe('/scorecam-3d/results/');
    expect(rebase('/scorecam-3d', '/figures/a.png')).toBe('/scorecam-3d/figures/a.png');
    expect(rebase('/scorecam-3d', 'relative/x')).toBe('relative/x');
    expect(rebase('/scorecam-3d', '#sec')).toBe('#sec');
    expect(rebase('/scorecam-3d', 'https://x.org/a')).toBe('https://x.org/a');
    expect(rebase('/scorecam-3d', '//x.org/a')).toBe('//x.org/a');
  });
  it('does not prefix twice', () => {
    expect(rebase('/scorecam-3d', '/scorecam-3d/results/')).toBe('/scorecam-3d/results/');
    expect(rebase('/scorecam-3d', '/scorecam-3d')).toBe('/scorecam-3d');
  });
  it('is a no-op for the root base', () => {
    expect(rebase('/', '/results/')).toBe('/results/');
  });
});

describe('rehypeBaseLinks', () => {
  it('rewrites a/img URLs in a hast tree', () => {
    const tree = {
      type: 'root',
      children: [
        { type: 'element', tagName: 'p', properties: {}, children: [
          { type: 'element', tagName: 'a', properties: { href: '/cite/' }, children: [] },
          { type: 'element', tagName: 'a', properties: { href: 'https://medmnist.com/' }, children: [] },
          { type: 'element', tagName: 'img', properties: { src: '/figures/f.svg' }, children: [] },
          { type: 'element', tagName: 'span', properties: { title: '/not-a-url' }, children: [] },
        ] },
      ],
    };
    rehypeBaseLinks({ base: '/b/' })(tree);
    const p = tree.children[0].children;
    expect(p[0].properties.href).toBe('/b/cite/');
    expect(p[1].properties.href).toBe('https://medmnist.com/');
    expect(p[2].properties.src).toBe('/b/figures/f.svg');
    expect(p[3].properties.title).toBe('/not-a-url');
  });
});
