/**
 * The site's two kinds of curve, as SVG strings built on lineChartSvg: deletion/insertion curves
 * of one volume and the training curves of the shipped model.
 */
import { lineChartSvg } from './svg';

export const SERIES_COLORS = {
  train: '#d9480f',
  val: '#1971c2',
  deletion: '#c2255c',
  insertion: '#2b8a3e',
} as const;

const pct = (v: number) => `${Math.round(v * 100)}%`;

export interface CurveData {
  x: number[];
  y: number[];
  auc: number;
}

const UNIT_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** The x axis of every deletion/insertion chart: the fraction of voxels changed, 0–100 %. */
export function perturbationXAxis(kind: 'deletion' | 'insertion') {
  return { xLabel: `Fraction of voxels ${kind === 'deletion' ? 'deleted' : 'inserted'}`, xDomain: [0, 1] as [number, number], xTicks: UNIT_TICKS, xFormat: pct };
}

/** Deletion/insertion axes with a probability on y, on [0, 1]. */
function perturbationAxes(kind: 'deletion' | 'insertion') {
  return { ...perturbationXAxis(kind), yDomain: [0, 1] as [number, number], yTicks: UNIT_TICKS };
}

/** One panel: deletion or insertion, probability of the target class vs fraction of voxels. */
export function perturbationCurveSvg(
  kind: 'deletion' | 'insertion',
  curve: CurveData,
  opts: { id: string; organ: string; yLabel?: string; width?: number; height?: number },
): string {
  const what = kind === 'deletion' ? 'deleted' : 'inserted';
  const name = kind === 'deletion' ? 'DAUC' : 'IAUC';
  return lineChartSvg({
    id: opts.id,
    width: opts.width ?? 320,
    height: opts.height ?? 220,
    series: [{ label: `${name} ${curve.auc.toFixed(3)}`, x: curve.x, y: curve.y, color: SERIES_COLORS[kind], fill: true }],
    ...perturbationAxes(kind),
    yLabel: opts.yLabel ?? 'p(target class)',
    title: `${kind === 'deletion' ? 'Deletion' : 'Insertion'} curve, ${opts.organ}: ${name} = ${curve.auc.toFixed(3)}`,
    desc: `Probability of the ${opts.organ} class as the most salient voxels are ${what} first, in ${curve.x.length - 1} steps; area under the curve ${curve.auc.toFixed(4)}.`,
  });
}

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export function trainingCurveSvg(epochs: EpochPoint[], metric: 'accuracy' | 'loss', id: string): string {
  const x = epochs.map((e) => e.epoch);
  const train = epochs.map((e) => (metric === 'accuracy' ? e.trainAccuracy : e.trainLoss));
  const val = epochs.map((e) => (metric === 'accuracy' ? e.valAccuracy : e.valLoss));
  const all = [...train, ...val].filter(Number.isFinite);
  const yMax = metric === 'accuracy' ? 1 : Math.max(0.1, Math.ceil(Math.max(...all) * 10) / 10);
  const yMin = metric === 'accuracy' ? Math.max(0, Math.floor(Math.min(...all) * 10) / 10) : 0;
  const xMax = Math.max(2, x[x.length - 1] ?? 1);
  const last = epochs[epochs.length - 1];
  const fmt = (v: number) => (metric === 'accuracy' ? pct(v) : v.toFixed(3));
  return lineChartSvg({
    id,
    width: 480,
    height: 300,
    series: [
      { label: 'train', x, y: train, color: SERIES_COLORS.train, markers: epochs.length <= 30 },
      { label: 'validation', x, y: val, color: SERIES_COLORS.val, dash: '6 3', markers: epochs.length <= 30 },
    ],
    xLabel: 'Epoch',
    yLabel: metric === 'accuracy' ? 'Accuracy' : 'Cross-entropy loss',
    title: `${metric === 'accuracy' ? 'Accuracy' : 'Loss'} curves of the 3D ResNet on the train and validation sets`,
    desc: last
      ? `${epochs.length} epochs. After epoch ${last.epoch}: train ${fmt(metric === 'accuracy' ? last.trainAccuracy : last.trainLoss)}, validation ${fmt(metric === 'accuracy' ? last.valAccuracy : last.valLoss)}.`
      : 'No epochs recorded.',
    xDomain: [x[0] ?? 1, xMax],
    yDomain: [yMin, yMax],
    yFormat: metric === 'accuracy' ? pct : (v) => v.toFixed(2),
  });
}

/** Line colours of the charts with several series (distinct in light and dark themes). */
export const SERIES_PALETTE = ['#c2255c', '#1971c2', '#2b8a3e', '#e8590c', '#6741d9'] as const;

/**
 * Deletion or insertion curves of one map under several baseline states, in one panel: how much
 * the state the voxels are replaced by decides the score.
 */
export function curveComparisonSvg(kind: 'deletion' | 'insertion', curves: { label: string; curve: CurveData }[], opts: { id: string; organ: string }): string {
  const name = kind === 'deletion' ? 'DAUC' : 'IAUC';
  return lineChartSvg({
    id: opts.id,
    width: 340,
    height: 240,
    series: curves.map((c, i) => ({ label: `${c.label}: ${c.curve.auc.toFixed(3)}`, x: c.curve.x, y: c.curve.y, color: SERIES_PALETTE[i % SERIES_PALETTE.length], dash: i % 2 ? '5 3' : undefined })),
    ...perturbationAxes(kind),
    yLabel: `p(target class); ${name} in the legend`,
    title: `${kind === 'deletion' ? 'Deletion' : 'Insertion'} curves of one map, ${opts.organ}, under ${curves.length} baseline states`,
    desc: curves.map((c) => `${c.label}: ${name} ${c.curve.auc.toFixed(4)}`).join('; '),
    legend: true,
  });
}
