import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { PROJECT_TITLE, projectBibtex, ORIGINAL_BIBTEX } from '../../src/lib/site/citation';
import { NAV } from '../../src/lib/site/nav';

const cff = readFileSync(new URL('../../CITATION.cff', import.meta.url), 'utf8');

describe('citation metadata', () => {
  it('CITATION.cff describes this project with the same title as the Cite page', () => {
    expect(cff).toMatch(/^cff-version: 1\.2\.0$/m);
    const title = cff.match(/^title:\s*"(.*)"$/m)?.[1];
    expect(title).toBe(PROJECT_TITLE);
  });
  it('CITATION.cff credits the original author', () => {
    expect(cff).toContain('family-names: Al-Fahsi');
    expect(cff).toContain('https://github.com/reshalfahsi/3d-viz-score-cam');
  });
  it('BibTeX entries are balanced and carry the URL', () => {
    const bib = projectBibtex('https://example.github.io/scorecam-3d/');
    for (const entry of [bib, ORIGINAL_BIBTEX]) {
      expect(entry.split('{').length).toBe(entry.split('}').length);
    }
    expect(bib).toContain('url = {https://example.github.io/scorecam-3d/}');
  });
});

describe('navigation', () => {
  it('has unique, root-relative hrefs ending in a slash, Home first', () => {
    expect(NAV[0].href).toBe('/');
    const hrefs = NAV.map((n) => n.href);
    expect(new Set(hrefs).size).toBe(hrefs.length);
    for (const h of hrefs) expect(h).toMatch(/^\/([a-z0-9-]+\/)*$/);
  });
});
