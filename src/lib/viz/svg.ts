/**
 * Static line charts as SVG strings (pure TypeScript, no DOM): deletion/insertion curves and
 * training curves are drawn at build time, crisp at any zoom and readable without JavaScript.
 * Axes and text use `currentColor`, so a chart follows the page's light or dark theme.
 */
export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** CSS colour of the line. */
  color: string;
  dash?: string;
  /** Shade the area under the line (as the original project's DAUC/IAUC plots do). */
  fill?: boolean;
  /** Draw as a step function (value held until the next x). */
  step?: boolean;
  /** Draw a dot at each data point. */
  markers?: boolean;
}

export interface LineChartOptions {
  series: Series[];
  width?: number;
  height?: number;
  xLabel: string;
  yLabel: string;
  /** Short accessible title (also the tooltip). */
  title: string;
  /** Longer accessible description. */
  desc?: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  xTicks?: number[];
  yTicks?: number[];
  /** Format a tick value. */
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  legend?: boolean;
  /** id prefix, unique within the page. */
  id: string;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "Nice" tick values covering [lo, hi] (about n of them). */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function extent(values: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of values) for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** Legend entries left to right, wrapping to a new row where the next would pass `right` (text ~6.6 px per character). */
function legendLayout(series: Series[], left: number, right: number): { x: number; row: number }[] {
  let x = left;
  let row = 0;
  return series.map((s) => {
    const w = 36 + s.label.length * 6.6;
    if (x > left && x + w - 9 > right) {
      x = left;
      row++;
    }
    const at = { x, row };
    x += w;
    return at;
  });
}

/** Widest chart drawing (user units = px at natural size). */
export const MAX_CHART_WIDTH = 340;

/** A complete <svg> element as a string. */
export function lineChartSvg(o: LineChartOptions): string {
  // the drawing is at most MAX_CHART_WIDTH units wide (taller charts keep their aspect): its 12-unit
  // text then stays ≥ 11 px wherever the chart is shown at ≥ 312 px, a phone's column included
  const scale = Math.min(1, MAX_CHART_WIDTH / (o.width ?? 480));
  const W = Math.round((o.width ?? 480) * scale);
  const H = Math.max(180, Math.round((o.height ?? 300) * scale));
  const legend = o.legend !== false && o.series.length ? legendLayout(o.series, 56, W - 22) : [];
  const rows = legend.length ? legend[legend.length - 1].row + 1 : 0;
  const m = { l: 56, r: 22, t: 14 + 20 * rows, b: 46 };
  const xd = o.xDomain ?? extent(o.series.map((s) => s.x));
  const yd = o.yDomain ?? extent(o.series.map((s) => s.y));
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const sx = (v: number) => m.l + ((v - xd[0]) / (xd[1] - xd[0])) * pw;
  const sy = (v: number) => m.t + ph - ((v - yd[0]) / (yd[1] - yd[0])) * ph;
  const xFmt = o.xFormat ?? ((v: number) => String(v));
  const yFmt = o.yFormat ?? ((v: number) => String(v));
  const xTicks = o.xTicks ?? niceTicks(xd[0], xd[1], 5);
  const yTicks = o.yTicks ?? niceTicks(yd[0], yd[1], 5);
  const parts: string[] = [];
  const tid = `${o.id}-title`;
  const did = `${o.id}-desc`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${tid}${o.desc ? ` ${did}` : ''}" class="chart" style="max-width:100%;height:auto" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(`<title id="${tid}">${escapeXml(o.title)}</title>`);
  if (o.desc) parts.push(`<desc id="${did}">${escapeXml(o.desc)}</desc>`);
  // grid + ticks
  parts.push(`<g stroke="currentColor" stroke-opacity="0.15">`);
  for (const t of yTicks) if (t >= yd[0] && t <= yd[1]) parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${r2(sy(t))}" y2="${r2(sy(t))}"/>`);
  for (const t of xTicks) if (t >= xd[0] && t <= xd[1]) parts.push(`<line y1="${m.t}" y2="${m.t + ph}" x1="${r2(sx(t))}" x2="${r2(sx(t))}"/>`);
  parts.push(`</g>`);
  parts.push(`<g fill="currentColor">`);
  for (const t of yTicks) if (t >= yd[0] && t <= yd[1]) parts.push(`<text x="${m.l - 6}" y="${r2(sy(t) + 4)}" text-anchor="end">${escapeXml(yFmt(t))}</text>`);
  for (const t of xTicks) if (t >= xd[0] && t <= xd[1]) parts.push(`<text x="${r2(sx(t))}" y="${m.t + ph + 16}" text-anchor="middle">${escapeXml(xFmt(t))}</text>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  parts.push(`</g>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="currentColor" stroke-opacity="0.6"/>`);
  // series
  for (const s of o.series) {
    const pts: Array<[number, number]> = [];
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      if (s.step && pts.length) pts.push([sx(s.x[i]), pts[pts.length - 1][1]]);
      pts.push([sx(s.x[i]), sy(s.y[i])]);
    }
    if (!pts.length) continue;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${r2(x)} ${r2(y)}`).join('');
    if (s.fill) {
      const base = sy(Math.max(yd[0], Math.min(yd[1], 0)));
      parts.push(`<path d="${d}L${r2(pts[pts.length - 1][0])} ${r2(base)}L${r2(pts[0][0])} ${r2(base)}Z" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    }
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    if (s.markers) parts.push(`<g fill="${s.color}">${pts.map(([x, y]) => `<circle cx="${r2(x)}" cy="${r2(y)}" r="3"/>`).join('')}</g>`);
  }
  // legend
  if (legend.length) {
    parts.push(`<g fill="currentColor">`);
    o.series.forEach((s, i) => {
      const { x, row } = legend[i];
      const y = 16 + 20 * row;
      parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      parts.push(`<text x="${x + 27}" y="${y + 4}">${escapeXml(s.label)}</text>`);
    });
    parts.push(`</g>`);
  }
  parts.push(`</svg>`);
  return parts.join('');
}
