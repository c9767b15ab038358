import { DATASETS } from '../data/medmnist';
import type { Provenance } from './format';

/**
 * The original project's reported numbers: quoted, not measured here. The only place they live;
 * pages show them beside this site's numbers with this citation.
 */
export const ORIGINAL_REFERENCE = {
  citation: {
    author: 'Resha Dwika Hefni Al-Fahsi',
    title: 'Visualizing 3D ResNet for Medical Image Classification With Score-CAM',
    url: 'https://github.com/reshalfahsi/3d-viz-score-cam',
    where: 'README, section “Result”',
  },
  dataset: 'OrganMNIST3D (MedMNIST v2), test split',
  classification: { loss: '0.570', accuracy: '89.79%' },
  /** Score-CAM on the 4th layer (last stage); the original's curves are 0/1 (prediction still correct). */
  faithfulness: { layer: 4, dauc: '0.2576 ± 0.1710', iauc: '0.6750 ± 0.1944' },
} as const;

/**
 * Whether a table was computed on the data the original project reports on: the real OrganMNIST3D
 * test split at 64³ (610 volumes). Only then are its numbers a like-for-like comparison (same
 * volumes, other model and framework); otherwise they stay a cited reference.
 */
export function sameDataAsOriginal(p: Provenance): boolean {
  return p.dataset.name === 'organmnist3d' && p.dataset.size === 64 && p.dataset.count === DATASETS.organmnist3d.splitSizes.test;
}
