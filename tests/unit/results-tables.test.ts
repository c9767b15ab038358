/**
 * The tables on the built Results page (dist/) show exactly what the precompute wrote
 * (cache/precompute/*.json). Run after `npm run build`; skipped when dist/ or the cache is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fmt, type MeanStd } from '../../src/lib/precompute/format';
import { loadResults } from '../../src/lib/precompute/load.node.ts';

const DIST = process.env.DIST_DIR ?? 'dist';
const page = join(DIST, 'results', 'index.html');
const R = loadResults();
const ready = existsSync(page) && !!R.classification && !!R.faithfulness && !!R.snapshots;
const html = ready ? readFileSync(page, 'utf8') : '';

function table(name: string): string {
  const m = new RegExp(`<table[^>]*data-table="${name}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
  if (!m) throw new Error(`table ${name} not found in ${page}`);
  return m[1];
}
function row(tableHtml: string, attr: string, value: string | number): string {
  const m = new RegExp(`<tr[^>]*${attr}="${value}"[^>]*>([\\s\\S]*?)</tr>`).exec(tableHtml);
  if (!m) throw new Error(`row ${attr}=${value} not found`);
  return m[1];
}
function cell(html: string, key: string): string {
  const m = new RegExp(`<td[^>]*data-key="${key.replace(/[.]/g, '\\.')}"[^>]*>([\\s\\S]*?)</td>`).exec(html);
  if (!m) throw new Error(`cell ${key} not found`);
  return m[1].replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').trim();
}
const ms = (m: MeanStd | undefined) => (m && m.n ? fmt.meanStd(m) : '—');

describe.skipIf(!ready)('Results page = precompute JSON', () => {
  it('classification summary and per-class table', () => {
    const t = R.classification!;
    const s = table('classification-summary');
    expect(cell(s, 'loss')).toBe(t.loss.toFixed(4));
    expect(cell(s, 'accuracy')).toBe(fmt.pct(t.accuracy));
    expect(cell(s, 'macroAuc')).toBe(t.macroAuc.toFixed(4));
    const pc = table('classification-per-class');
    for (const c of t.perClass) {
      const r = row(pc, 'data-label', c.label);
      expect(cell(r, 'n')).toBe(String(c.n));
      expect(cell(r, 'correct')).toBe(String(c.correct));
      expect(cell(r, 'accuracy')).toBe(fmt.pct(c.accuracy));
      expect(cell(r, 'auc')).toBe(c.auc.toFixed(4));
    }
  });
  it('confusion matrix', () => {
    const t = R.classification!;
    const cm = table('confusion');
    t.confusion.forEach((rowVals, i) => {
      const r = row(cm, 'data-label', i);
      rowVals.forEach((v, j) => expect(cell(r, `c${i}-${j}`)).toBe(String(v)));
    });
    expect(t.confusion.flat().reduce((a, b) => a + b, 0)).toBe(t.provenance.volumes.n);
  });
  it('faithfulness, per organ and localisation', () => {
    const f = R.faithfulness!;
    const o = table('faithfulness-overall');
    for (const m of f.methods) {
      const r = row(o, 'data-method', m.key);
      const b = f.overall.byMethod[m.key];
      expect(cell(r, 'dauc')).toBe(ms(b.dauc));
      expect(cell(r, 'iauc')).toBe(ms(b.iauc));
      expect(cell(r, 'dauc01')).toBe(ms(b.dauc01));
      expect(cell(r, 'iauc01')).toBe(ms(b.iauc01));
    }
    const po = table('faithfulness-per-organ');
    for (const org of f.perOrgan) {
      const r = row(po, 'data-label', org.label!);
      expect(cell(r, 'n')).toBe(String(org.n));
      for (const m of f.methods) {
        expect(cell(r, `${m.key}.dauc`)).toBe(ms(org.byMethod[m.key]?.dauc));
        expect(cell(r, `${m.key}.iauc`)).toBe(ms(org.byMethod[m.key]?.iauc));
      }
    }
    const loc = table('localisation');
    for (const m of f.methods) {
      const b = f.overall.byMethod[m.key];
      if (!b.pointing) continue;
      const r = row(loc, 'data-method', m.key);
      expect(cell(r, 'hits')).toBe(`${b.pointing.hits} / ${b.pointing.n}`);
      expect(cell(r, 'energy')).toBe(ms(b.energy));
    }
    expect(html).toContain(`N = ${f.provenance.volumes.n}`);
  });
  it('one snapshot per organ, each image built and described', () => {
    const s = R.snapshots!;
    expect(s.items).toHaveLength(11);
    for (const it of s.items) {
      const fig = new RegExp(`<figure[^>]*data-organ="${it.organ}"[^>]*>([\\s\\S]*?)</figure>`).exec(html);
      expect(fig, it.organ).toBeTruthy();
      expect(fig![1]).toMatch(/<img[^>]+alt="[^"]{40,}"/);
      expect(fig![1]).toContain('<figcaption');
      expect(cell(fig![1].replace(/<span data-key/g, '<td data-key').replace(/<\/span>/g, '</td>'), 'dauc')).toBe(it.deletion.auc.toFixed(4));
      expect(existsSync(join(DIST, 'figures', 'snapshots', `${it.organ}.png`))).toBe(true);
    }
  });
});
