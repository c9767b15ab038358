/** Deletion and insertion curves as a small SVG chart. */
export interface CurveData { x: number[]; y: number[]; auc: number }

const W = 560, H = 240, L = 46, R = 12, T = 14, B = 38;

export function curvesSvg(deletion: CurveData, insertion: CurveData, targetName: string): string {
  const px = (x: number) => L + x * (W - L - R);
  const py = (y: number) => T + (1 - y) * (H - T - B);
  const path = (c: CurveData) => c.x.map((x, i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(c.y[i]).toFixed(1)}`).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks
    .map((t) => `<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" stroke="currentColor" stroke-opacity="0.15"/>` +
      `<text x="${L - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>` +
      `<text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Deletion AUC ${deletion.auc.toFixed(3)}, insertion AUC ${insertion.auc.toFixed(3)}">
<title>Deletion and insertion curves for ${targetName}</title>
${grid}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="currentColor"/>
<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="currentColor"/>
<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">fraction of voxels deleted / inserted</text>
<text x="12" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(T + H - B) / 2})">p(${targetName})</text>
<path d="${path(deletion)}" fill="none" stroke="#1f77b4" stroke-width="2.2"/>
<path d="${path(insertion)}" fill="none" stroke="#d62728" stroke-width="2.2" stroke-dasharray="6 3"/>
<g transform="translate(${W - R - 190}, ${T + 6})">
<rect width="186" height="44" rx="4" fill="var(--bg-raised, #fff)" stroke="currentColor" stroke-opacity="0.2"/>
<line x1="8" x2="30" y1="15" y2="15" stroke="#1f77b4" stroke-width="2.2"/><text x="36" y="19" data-auc="deletion">Deletion AUC ${deletion.auc.toFixed(3)}</text>
<line x1="8" x2="30" y1="33" y2="33" stroke="#d62728" stroke-width="2.2" stroke-dasharray="6 3"/><text x="36" y="37" data-auc="insertion">Insertion AUC ${insertion.auc.toFixed(3)}</text>
</g></svg>`;
}
