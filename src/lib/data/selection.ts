/**
 * Deterministic, model-independent choices of volumes from a split: the only implementation of
 * "the first N volumes of each organ" (explorer volumes, `npm run explain --eval`, the precompute)
 * and of "K crops of every subject".
 */
import { NUM_CLASSES } from './labels';

/** The first `perClass` indices of each class, in index order (null → every index). */
export function firstPerClass(labels: ArrayLike<number>, perClass: number | null): number[] {
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (perClass === null || taken[c] < perClass) {
      out.push(i);
      taken[c]++;
    }
  }
  return out;
}

/**
 * `perSubject` crops of every subject, sorted by index. Organs are taken in turn across subjects
 * (subject j starts at organ j mod 11 and takes the next organs it has), so that every subject is
 * represented and every organ gets about the same share.
 */
export function perSubject(labels: ArrayLike<number>, subjects: ArrayLike<number>, perSubjectCount: number): number[] {
  if (labels.length !== subjects.length) throw new Error(`perSubject: ${labels.length} labels but ${subjects.length} subject ids`);
  const bySubject = new Map<number, Map<number, number>>();
  for (let i = 0; i < labels.length; i++) {
    let m = bySubject.get(subjects[i]);
    if (!m) bySubject.set(subjects[i], (m = new Map()));
    if (!m.has(labels[i])) m.set(labels[i], i); // the subject's first crop of that organ
  }
  const out: number[] = [];
  [...bySubject.keys()]
    .sort((a, b) => a - b)
    .forEach((s, j) => {
      const crops = bySubject.get(s)!;
      let got = 0;
      for (let k = 0; k < NUM_CLASSES && got < perSubjectCount; k++) {
        const i = crops.get((j + k) % NUM_CLASSES);
        if (i !== undefined) out.push(i), got++;
      }
    });
  return out.sort((a, b) => a - b);
}
