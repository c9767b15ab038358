/**
 * A forest plot as an SVG string (pure TypeScript, no DOM): per row (an organ, or all organs), one
 * point and 95 % interval per series (a method), in one or more panels (a metric against a
 * control), with the zero line. Drawn at build time, so it reads without JavaScript; text uses
 * `currentColor` to follow the page's theme.
 */
import { escapeXml, niceTicks } from './svg';

export interface ForestInterval {
  mean: number;
  lo: number;
  hi: number;
}

export interface ForestPanel {
  title: string;
  /** Which side of zero is better, printed under the axis. */
  better: 'lower' | 'higher';
  /** values[row][series]; null where the estimate does not exist. */
  values: Array<Array<ForestInterval | null>>;
}

export interface ForestPlotOptions {
  id: string;
  title: string;
  desc: string;
  rows: string[];
  series: Array<{ label: string; color: string }>;
  panels: ForestPanel[];
  /** Width of one panel's plotting area, px. */
  panelWidth?: number;
}

const LABEL_W = 150;
const GAP = 18;
const TOP = 40;
const ROW_PAD = 6;
const SERIES_H = 7;
const AXIS_H = 44;
const LEGEND_ROW = 20;

/** Rounds a domain outwards to a tick and always includes 0. */
function domainOf(panel: ForestPanel): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const row of panel.values)
    for (const v of row)
      if (v && Number.isFinite(v.lo) && Number.isFinite(v.hi)) {
        lo = Math.min(lo, v.lo);
        hi = Math.max(hi, v.hi);
      }
  if (hi - lo < 1e-9) return [-0.05, 0.05];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

export function forestPlotSvg(o: ForestPlotOptions): string {
  const pw = o.panelWidth ?? 170;
  const rowH = ROW_PAD * 2 + SERIES_H * Math.max(1, o.series.length);
  const plotH = rowH * o.rows.length;
  const width = LABEL_W + o.panels.length * (pw + GAP);
  // legend items wrap onto as many rows as the width needs
  const itemW = (label: string) => 22 + label.length * 6.4;
  const legendRows: Array<Array<{ label: string; color: string }>> = [[]];
  let used = 0;
  for (const s of o.series) {
    if (used + itemW(s.label) > width - 8 && legendRows[legendRows.length - 1].length) legendRows.push([]), (used = 0);
    legendRows[legendRows.length - 1].push(s);
    used += itemW(s.label);
  }
  const height = TOP + plotH + AXIS_H + LEGEND_ROW * legendRows.length + 4;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-t ${o.id}-d" class="forest-plot" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="${o.id}-t">${escapeXml(o.title)}</title><desc id="${o.id}-d">${escapeXml(o.desc)}</desc>`,
  );
  // row bands and labels
  o.rows.forEach((r, i) => {
    const y = TOP + i * rowH;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${width}" height="${rowH}" fill="currentColor" opacity="0.05"/>`);
    out.push(`<text x="${LABEL_W - 8}" y="${y + rowH / 2 + 4}" text-anchor="end" fill="currentColor"${i === 0 ? ' font-weight="600"' : ''}>${escapeXml(r)}</text>`);
  });
  o.panels.forEach((p, k) => {
    const x0 = LABEL_W + k * (pw + GAP);
    const [lo, hi] = domainOf(p);
    const sx = (v: number) => x0 + ((v - lo) / (hi - lo)) * pw;
    out.push(`<text x="${x0 + pw / 2}" y="${TOP - 22}" text-anchor="middle" font-weight="600" fill="currentColor">${escapeXml(p.title)}</text>`);
    out.push(`<text x="${x0 + pw / 2}" y="${TOP - 8}" text-anchor="middle" fill="currentColor" opacity="0.75">${p.better === 'lower' ? '← map better' : 'map better →'}</text>`);
    // axis, ticks and the zero line
    const yAxis = TOP + plotH;
    out.push(`<line x1="${x0}" x2="${x0 + pw}" y1="${yAxis}" y2="${yAxis}" stroke="currentColor" opacity="0.6"/>`);
    for (const t of niceTicks(lo, hi, 4)) {
      if (t < lo || t > hi) continue;
      out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${yAxis}" y2="${yAxis + 4}" stroke="currentColor" opacity="0.6"/>`);
      out.push(`<text x="${sx(t)}" y="${yAxis + 16}" text-anchor="middle" fill="currentColor" font-size="11">${t === 0 ? '0' : t.toFixed(Math.abs(t) < 0.1 ? 2 : 1)}</text>`);
    }
    out.push(`<line x1="${sx(0)}" x2="${sx(0)}" y1="${TOP}" y2="${yAxis}" stroke="currentColor" opacity="0.7" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${x0 + pw / 2}" y="${yAxis + 32}" text-anchor="middle" fill="currentColor" font-size="11">Δ (map − control)</text>`);
    p.values.forEach((row, i) =>
      row.forEach((v, j) => {
        if (!v || !Number.isFinite(v.mean)) return;
        const y = TOP + i * rowH + ROW_PAD + SERIES_H * j + SERIES_H / 2;
        const c = o.series[j].color;
        const clear = v.lo > 0 || v.hi < 0;
        out.push(`<line x1="${sx(v.lo)}" x2="${sx(v.hi)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"/>`);
        // filled: the interval excludes zero; open: it does not
        out.push(`<circle cx="${sx(v.mean)}" cy="${y}" r="3" stroke="${c}" stroke-width="1.5" fill="${clear ? c : 'none'}"><title>${escapeXml(`${o.rows[i]}, ${o.series[j].label}: ${v.mean.toFixed(3)} [${v.lo.toFixed(3)}, ${v.hi.toFixed(3)}]`)}</title></circle>`);
      }),
    );
  });
  // legend
  legendRows.forEach((row, r) => {
    let lx = 8;
    const ly = TOP + plotH + AXIS_H + LEGEND_ROW * (r + 1) - 6;
    for (const s of row) {
      out.push(`<circle cx="${lx + 4}" cy="${ly - 4}" r="4" fill="${s.color}"/><text x="${lx + 12}" y="${ly}" fill="currentColor" font-size="12">${escapeXml(s.label)}</text>`);
      lx += itemW(s.label);
    }
  });
  out.push('</svg>');
  return out.join('');
}
