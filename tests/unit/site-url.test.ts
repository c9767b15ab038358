import { describe, it, expect } from 'vitest';
import { joinBase, stripBase, normalizePath, isCurrent, isExternal } from '../../src/lib/site/url';

describe('joinBase', () => {
  it('joins a sub-path base and a page path, with or without slashes', () => {
    expect(joinBase('/scorecam-3d/', 'method/')).toBe('/scorecam-3d/method/');
    expect(joinBase('/scorecam-3d', '/method/')).toBe('/scorecam-3d/method/');
    expect(joinBase('scorecam-3d', 'models/model.json')).toBe('/scorecam-3d/models/model.json');
  });
  it('maps the root to the base with a trailing slash', () => {
    expect(joinBase('/scorecam-3d', '/')).toBe('/scorecam-3d/');
    expect(joinBase('/scorecam-3d/', '')).toBe('/scorecam-3d/');
    expect(joinBase('/scorecam-3d')).toBe('/scorecam-3d/');
  });
  it('works with the root base', () => {
    expect(joinBase('/', '/')).toBe('/');
    expect(joinBase('/', 'cite/')).toBe('/cite/');
    expect(joinBase('', '/cite/')).toBe('/cite/');
  });
  it('keeps query strings and fragments', () => {
    expect(joinBase('/b/', '/explorer/?volume=3#view')).toBe('/b/explorer/?volume=3#view');
    expect(joinBase('/b', '?x=1')).toBe('/b/?x=1');
  });
  it('leaves external and fragment-only URLs alone', () => {
    for (const u of ['https://medmnist.com/', '//cdn.example/x.js', 'mailto:a@b.c', '#top', 'data:image/png;base64,AA']) {
      expect(isExternal(u)).toBe(true);
      expect(joinBase('/scorecam-3d/', u)).toBe(u);
    }
    expect(isExternal('/method/')).toBe(false);
    expect(isExternal('method/')).toBe(false);
  });
});

describe('stripBase / normalizePath / isCurrent', () => {
  it('strips the base from a pathname', () => {
    expect(stripBase('/scorecam-3d/', '/scorecam-3d/method/')).toBe('/method/');
    expect(stripBase('/scorecam-3d', '/scorecam-3d')).toBe('/');
    expect(stripBase('/scorecam-3d', '/scorecam-3dx/')).toBe('/scorecam-3dx/');
    expect(stripBase('/', '/cite/')).toBe('/cite/');
  });
  it('normalises trailing slashes and index.html', () => {
    expect(normalizePath('/method/')).toBe('/method');
    expect(normalizePath('/method/index.html')).toBe('/method');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('')).toBe('/');
  });
  it('marks the current section', () => {
    expect(isCurrent('/b/', '/b/method/', '/method/')).toBe(true);
    expect(isCurrent('/b/', '/b/method', '/method/')).toBe(true);
    expect(isCurrent('/b/', '/b/method/', '/')).toBe(false);
    expect(isCurrent('/b/', '/b/', '/')).toBe(true);
    expect(isCurrent('/b/', '/b/results/organ/heart/', '/results/')).toBe(true);
    expect(isCurrent('/b/', '/b/results-old/', '/results/')).toBe(false);
  });
});
