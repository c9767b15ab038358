/** OrganMNIST3D class labels, in MedMNIST's order (info.py "label" 0..10). */
export const ORGAN_LABELS = [
  'liver',
  'kidney-right',
  'kidney-left',
  'femur-right',
  'femur-left',
  'bladder',
  'heart',
  'lung-right',
  'lung-left',
  'spleen',
  'pancreas',
] as const;

export type OrganLabel = (typeof ORGAN_LABELS)[number];

export const NUM_CLASSES = ORGAN_LABELS.length; // 11

/** Human-readable names for figures and the UI. */
export const ORGAN_DISPLAY_NAMES: Record<OrganLabel, string> = {
  liver: 'Liver',
  'kidney-right': 'Right kidney',
  'kidney-left': 'Left kidney',
  'femur-right': 'Right femur',
  'femur-left': 'Left femur',
  bladder: 'Bladder',
  heart: 'Heart',
  'lung-right': 'Right lung',
  'lung-left': 'Left lung',
  spleen: 'Spleen',
  pancreas: 'Pancreas',
};

export function labelName(i: number): OrganLabel {
  const l = ORGAN_LABELS[i];
  if (l === undefined) throw new RangeError(`label ${i} out of range [0, ${NUM_CLASSES})`);
  return l;
}

export function displayName(i: number): string {
  return ORGAN_DISPLAY_NAMES[labelName(i)];
}
