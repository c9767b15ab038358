import { describe, expect, it } from 'vitest';
import { colormap, colormapLut, MASK_RGB, plotlyColorscale } from '../../src/lib/viz/colormap';
import { lineChartSvg, niceTicks, escapeXml } from '../../src/lib/viz/svg';
import { perturbationCurveSvg, trainingCurveSvg } from '../../src/lib/viz/curves';
import { argmax3d, renderSnapshot } from '../../src/lib/viz/snapshot';
import { sliceOf } from '../../src/lib/viz/orient';
import { encodePng } from '../../src/lib/viz/png';

describe('colormap', () => {
  it('has 256 RGB entries with the documented end points', () => {
    for (const name of ['inferno', 'gray'] as const) expect(colormapLut(name)).toHaveLength(768);
    expect(colormap('inferno', 0)).toEqual([0, 0, 4]);
    expect(colormap('inferno', 1)).toEqual([252, 255, 164]);
    expect(colormap('gray', 0.5)).toEqual([128, 128, 128]);
  });
  it('clamps and treats NaN as 0', () => {
    expect(colormap('inferno', -3)).toEqual(colormap('inferno', 0));
    expect(colormap('inferno', 7)).toEqual(colormap('inferno', 1));
    expect(colormap('inferno', NaN)).toEqual(colormap('inferno', 0));
  });
  it('inferno gets brighter monotonically (luma)', () => {
    const lut = colormapLut('inferno');
    let prev = -1;
    for (let i = 0; i < 256; i += 8) {
      const l = 0.2126 * lut[i * 3] + 0.7152 * lut[i * 3 + 1] + 0.0722 * lut[i * 3 + 2];
      expect(l).toBeGreaterThanOrEqual(prev - 0.5);
      prev = l;
    }
  });
  it('builds plotly colorscales', () => {
    const cs = plotlyColorscale('inferno', 5);
    expect(cs).toHaveLength(5);
    expect(cs[0][0]).toBe(0);
    expect(cs[4][0]).toBe(1);
    expect(cs[4][1]).toBe('rgb(252,255,164)');
  });
});

describe('svg charts', () => {
  it('nice ticks cover the range', () => {
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(1, 14, 5)).toEqual([5, 10]);
    expect(niceTicks(0, 20, 5)).toEqual([0, 5, 10, 15, 20]);
  });
  it('escapes text and labels the chart for assistive technology', () => {
    const svg = lineChartSvg({ id: 'c', title: 'a < b & "c"', desc: 'd', xLabel: 'x', yLabel: 'y', series: [{ label: 's', x: [0, 1], y: [0, 1], color: 'red' }] });
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="c-title c-desc"');
    expect(svg).toContain(`<title id="c-title">${escapeXml('a < b & "c"')}</title>`);
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<path /g)?.length).toBe(1);
  });
  it('wraps a legend that would run past the right edge into rows, and makes room above the plot', () => {
    const long = (label: string) => ({ label, x: [0, 1], y: [0, 1], color: 'red' });
    const one = lineChartSvg({ id: 'e', title: 't', xLabel: 'x', yLabel: 'y', width: 340, series: [long('a')] });
    const three = lineChartSvg({ id: 'f', title: 't', xLabel: 'x', yLabel: 'y', width: 340, series: [long('mean value (the build’s): 0.266'), long('zeros: 0.475'), long('blur σ 1.43: 0.980')] });
    const ys = (svg: string) => [...svg.matchAll(/<text x="([\d.]+)" y="(\d+)">(?:mean|zeros|blur|a<)/g)].map((m) => Number(m[2]));
    expect(new Set(ys(three)).size).toBeGreaterThan(1);
    // every legend entry starts inside the chart
    for (const m of three.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)" y1="(\d+)"/g)) if (Number(m[3]) < 60) expect(Number(m[2])).toBeLessThan(340);
    expect(one).toContain('<text x="83" y="20">a</text>');
  });

  it('skips non-finite points and draws the area for filled series', () => {
    const svg = lineChartSvg({ id: 'd', title: 't', xLabel: 'x', yLabel: 'y', xDomain: [0, 1], yDomain: [0, 1], series: [{ label: 's', x: [0, 0.5, 1], y: [0, NaN, 1], color: 'red', fill: true }] });
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<path /g)?.length).toBe(2);
  });
  it('draws deletion and training curves', () => {
    const x = Array.from({ length: 33 }, (_, i) => i / 32);
    const del = perturbationCurveSvg('deletion', { x, y: x.map((v) => 1 - v), auc: 0.5 }, { id: 'del', organ: 'Liver' });
    expect(del).toContain('DAUC = 0.500');
    expect(del).toContain('Fraction of voxels deleted');
    const tr = trainingCurveSvg(
      [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, valLoss: 1.2 / epoch, trainAccuracy: 0.5 + epoch / 10, valAccuracy: 0.45 + epoch / 10 })),
      'accuracy',
      'acc',
    );
    expect(tr).toContain('validation');
    expect(tr).toContain('3 epochs');
  });
});

describe('snapshot', () => {
  const S = 16;
  const ct = new Uint8Array(S ** 3);
  const cam = new Float32Array(S ** 3);
  const mask = new Uint8Array(S ** 3);
  for (let z = 0; z < S; z++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const i = (z * S + y) * S + x;
        ct[i] = (x * 16) & 255;
        const d = (z - 4) ** 2 + (y - 10) ** 2 + (x - 12) ** 2;
        cam[i] = Math.exp(-d / 8);
        mask[i] = d < 9 ? 1 : 0;
      }
  it('finds the CAM maximum and slices through it', () => {
    expect(argmax3d(cam, S)).toEqual([4, 10, 12]);
    const ax = sliceOf(cam, S, 'axial', 4);
    expect(ax[10 * S + 12]).toBe(1);
    const sag = sliceOf(cam, S, 'sagittal', 12);
    expect(sag[4 * S + 10]).toBe(1);
    const cor = sliceOf(cam, S, 'coronal', 10);
    expect(cor[4 * S + 12]).toBe(1);
  });
  it('renders 2 rows × 4 panels with the outline and overlay', () => {
    const { image, layout } = renderSnapshot(ct, cam, mask, S, { scale: 2, gap: 2 });
    expect(image.width).toBe(4 * 32 + 3 * 2);
    expect(image.height).toBe(2 * 32 + 2);
    expect(layout.at).toEqual({ z: 4, y: 10, x: 12 });
    // mask outline pixels exist
    let cyan = 0;
    const [mr, mg, mb] = MASK_RGB;
    for (let i = 0; i < image.width * image.height; i++) if (image.rgba[i * 4] === mr && image.rgba[i * 4 + 1] === mg && image.rgba[i * 4 + 2] === mb) cyan++;
    expect(cyan).toBeGreaterThan(10);
    // the overlay changes the bottom row where the CAM is high: pixel at the CAM max, axial panel
    const top = ((10 * 2) * image.width + 12 * 2) * 4;
    const bottom = (((32 + 2) + 10 * 2 - 3) * image.width + 12 * 2) * 4;
    expect(image.rgba.slice(bottom, bottom + 3)).not.toEqual(image.rgba.slice(top, top + 3));
    const png = encodePng(image.width, image.height, image.rgba);
    expect(Array.from(png.slice(1, 4))).toEqual([80, 78, 71]);
  });
  it('rejects wrong sizes', () => {
    expect(() => renderSnapshot(ct, new Float32Array(8), mask, S)).toThrow(/16³/);
  });
});
