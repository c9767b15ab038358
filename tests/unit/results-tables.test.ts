/**
 * The tables on the built Results page (dist/) show exactly what the precompute wrote
 * (cache/precompute/*.json). Run after `npm run build`; skipped when dist/ or the cache is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fmt, SANITY_OUTCOME, type ClusterEstimate, type MeanStd } from '../../src/lib/precompute/format';
import { loadResults } from '../../src/lib/precompute/load.node.ts';
import type { AuditResult } from '../../src/lib/audit/audit';

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
  it('faithfulness with controls and intervals, per organ, localisation, extras', () => {
    const f = R.faithfulness!;
    const keys = [...f.methods.map((m) => m.key), ...f.controls.map((c) => c.key)];
    const ci = (e: ClusterEstimate | undefined) => (e ? fmt.ci(e) : '—');
    const o = table('faithfulness-overall');
    for (const k of keys) {
      const r = row(o, 'data-method', k);
      const b = f.overall.byMethod[k];
      for (const m of ['dauc', 'iauc', 'ndauc', 'niauc', 'dauc01', 'iauc01'] as const) expect(cell(r, m)).toBe(ms(b[m]));
      expect(cell(r, 'vsRandom.dauc')).toBe(ci(b.vsRandom?.dauc));
      expect(cell(r, 'vsRandom.iauc')).toBe(ci(b.vsRandom?.iauc));
    }
    const po = table('faithfulness-per-organ');
    for (const org of f.perOrgan) {
      const r = row(po, 'data-label', org.label!);
      expect(cell(r, 'n')).toBe(String(org.n));
      for (const k of keys) {
        expect(cell(r, `${k}.dauc`)).toBe(ms(org.byMethod[k]?.dauc));
        expect(cell(r, `${k}.iauc`)).toBe(ms(org.byMethod[k]?.iauc));
      }
    }
    const loc = table('localisation');
    for (const k of keys) {
      const b = f.overall.byMethod[k];
      if (!b.pointing) continue;
      const r = row(loc, 'data-method', k);
      expect(cell(r, 'hits')).toBe(`${b.pointing.hits} / ${b.pointing.n} (${fmt.pct(b.pointing.rate, 1)})`);
      expect(cell(r, 'energy')).toBe(ms(b.energy));
      expect(cell(r, 'vsCentre.energy')).toBe(ci(b.vsCentre?.energy));
      expect(cell(r, 'vsCentre.pointing')).toBe(ci(b.vsCentre?.pointing));
    }
    const ex = table('faithfulness-extras');
    for (const [k, b] of Object.entries(f.extras.overall.byMethod)) {
      const r = row(ex, 'data-method', k);
      expect(cell(r, 'dauc')).toBe(ms(b.dauc));
      expect(cell(r, 'vsRandom.iauc')).toBe(ci(b.vsRandom?.iauc));
    }
    for (const control of ['random', 'centre'] as const) {
      const fp = table(`forest-${control}`);
      for (const org of [f.overall, ...f.perOrgan.filter((x) => x.n > 0)]) {
        const r = row(fp, 'data-label', org.label === null ? 'all' : org.label);
        for (const m of f.methods) for (const metric of ['dauc', 'iauc'] as const) expect(cell(r, `${m.key}.${metric}`)).toBe(ci(control === 'random' ? org.byMethod[m.key]?.vsRandom?.[metric] : org.byMethod[m.key]?.vsCentre?.[metric]));
      }
    }
    if (f.secondState) {
      const st = table('second-state');
      for (const [k, b] of Object.entries(f.secondState.overall.byMethod)) {
        const r = row(st, 'data-method', k);
        expect(cell(r, 'second.dauc')).toBe(fmt.meanStd(b.dauc, 3));
        expect(cell(r, 'first.dauc')).toBe(fmt.meanStd(f.secondState.first.overall.byMethod[k].dauc, 3));
      }
    }
    const pre = table('comparisons');
    for (const c of f.preregistered) {
      const r = row(pre, 'data-cmp', `${c.a}\\|${c.b}\\|${c.metric}`);
      expect(cell(r, 'est')).toBe(fmt.ci(c.est));
      expect(cell(r, 'p').replace('&lt;', '<')).toBe(fmt.p(c.pHolm));
    }
    const cmp = table('comparisons-all');
    for (const c of f.comparisons) {
      const r = row(cmp, 'data-cmp', `${c.a}\\|${c.b}\\|${c.metric}`);
      expect(cell(r, 'est')).toBe(fmt.ci(c.est));
      expect(cell(r, 'p').replace('&lt;', '<')).toBe(fmt.p(c.pHolm));
    }
    expect(html).toContain(`N = ${f.provenance.volumes.n}`);
  });
  it('baseline check, sanity checks and occlusion', () => {
    const f = R.faithfulness!;
    const bt = table('baselines');
    for (const c of f.baseline.candidates) {
      const r = row(bt, 'data-baseline', c.key.replace(/[.]/g, '\\.'));
      expect(cell(r, 'medianPTrue')).toBe(fmt.num(c.medianPTrue, 3));
      expect(cell(r, 'accuracy')).toBe(fmt.pct(c.accuracy, 1));
      expect(cell(r, 'pass')).toBe(c.pass ? 'pass' : 'fail');
    }
    const st = table('sanity');
    for (const [k, m] of Object.entries(f.sanity.byMethod)) {
      const r = row(st, 'data-method', k);
      for (const c of m.cascade.slice(0, -1)) expect(cell(r, `cascade.${c.level}`)).toBe(fmt.quartiles(c.absRho));
      expect(cell(r, 'full.absRho')).toBe(fmt.quartiles(m.full.absRho));
      expect(cell(r, 'full.ssim')).toBe(fmt.quartiles(m.full.ssim));
      expect(cell(r, 'full.degenerate')).toBe(fmt.pct(m.full.degenerate, 0));
      expect(cell(r, 'contrast')).toBe(fmt.quartiles(m.contrast.absRho));
      expect(cell(r, 'outcome')).toBe(SANITY_OUTCOME[m.outcome]);
    }
    const oc = table('occlusion');
    const all = row(oc, 'data-label', 'all');
    expect(cell(all, 'organReplaced')).toBe(fmt.pct(f.occlusion.accuracy.organReplaced, 1));
    expect(cell(all, 'contextRemoved')).toBe(fmt.pct(f.occlusion.accuracy.contextRemoved, 1));
    expect(cell(all, 'n')).toBe(String(f.occlusion.n));
  });
  it('one snapshot per organ, each image built and described', () => {
    const s = R.snapshots!;
    expect(s.items).toHaveLength(11);
    for (const it of [...s.items, ...s.failures]) {
      const fig = new RegExp(`<figure[^>]*data-organ="${it.organ}"[^>]*>([\\s\\S]*?)</figure>`).exec(html);
      expect(fig, it.organ).toBeTruthy();
      expect(fig![1]).toMatch(/<img[^>]+alt="[^"]{40,}"/);
      expect(fig![1]).toContain('<figcaption');
      expect(cell(fig![1].replace(/<span data-key/g, '<td data-key').replace(/<\/span>/g, '</td>'), 'dauc')).toBe(it.deletion.auc.toFixed(4));
      expect(existsSync(join(DIST, 'figures', 'snapshots', `${it.organ}.png`))).toBe(true);
    }
  });
});

const dataPage = join(DIST, 'data', 'index.html');
const auditFile = join('cache', 'audit', 'phantom_28.json');
describe.skipIf(!existsSync(dataPage) || !existsSync(auditFile))('Data page = audit JSON', () => {
  it('the small CNN with each crop’s organ replaced, organ by organ', () => {
    const audit = JSON.parse(readFileSync(auditFile, 'utf8')) as AuditResult;
    const cnn = audit.baselines.find((b) => b.organReplaced)!;
    expect(cnn, 'the 28³ audit has the occlusion row (npm run data:audit -- --size 28)').toBeDefined();
    const m = /<table[^>]*data-table="audit-occlusion"[^>]*>([\s\S]*?)<\/table>/.exec(readFileSync(dataPage, 'utf8'));
    expect(m, 'the Data page shows the occlusion audit').not.toBeNull();
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    cnn.perClass!.forEach((r, k) => {
      const tr = row(m![1], 'data-organ', k);
      expect(cell(tr, 'recall')).toBe(pct(r));
      expect(cell(tr, 'organ-replaced')).toBe(pct(cnn.organReplaced!.perClass[k]));
    });
    expect(m![1].replace(/\s+/g, ' ')).toContain(`points or more in ${cnn.organReplaced!.organsFalling10} of 11 organs`);
  });
});
