/**
 * The small dense linear algebra the out-of-distribution score needs: class means, a pooled
 * within-class covariance shrunk towards a scaled identity (Ledoit & Wolf 2004, the estimator
 * scikit-learn's `ledoit_wolf` computes), its Cholesky factor and squared Mahalanobis distances.
 * Dimensions are small (≤ a few hundred features), so plain O(d³) loops in float64 are enough.
 */

export interface ShrunkCovariance {
  /** d × d covariance, row-major, float64 */
  cov: Float64Array;
  d: number;
  /** weight of the identity target: cov = (1 − λ)·S + λ·(tr S / d)·I */
  shrinkage: number;
}

/**
 * Per-class means of the rows of `x` (n × d, row-major) and the within-class centred rows.
 * Classes without rows get no mean (null).
 */
export function classMeans(x: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, numClasses: number): { means: (Float64Array | null)[]; centred: Float64Array } {
  const sums = Array.from({ length: numClasses }, () => new Float64Array(d));
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const k = labels[i];
    counts[k]++;
    for (let j = 0; j < d; j++) sums[k][j] += x[i * d + j];
  }
  const means = sums.map((s, k) => (counts[k] > 0 ? s.map((v) => v / counts[k]) : null));
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const m = means[labels[i]]!;
    for (let j = 0; j < d; j++) centred[i * d + j] = x[i * d + j] - m[j];
  }
  return { means, centred };
}

/**
 * Ledoit–Wolf shrinkage covariance of centred rows (n × d). With fewer rows than dimensions the
 * sample covariance is singular; the shrunk one is always positive definite unless every row is 0
 * (then a tiny identity is used so the distance stays defined).
 */
export function ledoitWolf(centred: Float64Array, n: number, d: number): ShrunkCovariance {
  const s = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const r = i * d;
    for (let a = 0; a < d; a++) {
      const xa = centred[r + a];
      if (xa === 0) continue;
      for (let b = a; b < d; b++) s[a * d + b] += xa * centred[r + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) {
    s[a * d + b] /= Math.max(1, n);
    s[b * d + a] = s[a * d + b];
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += s[a * d + a];
  const mu = trace / d;
  // sklearn's ledoit_wolf_shrinkage (assume_centered: the rows are already centred)
  let beta_ = 0; // Σ_i (Σ_j x_ij²)²
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let j = 0; j < d; j++) q += centred[i * d + j] ** 2;
    beta_ += q * q;
  }
  let delta_ = 0; // ||S||_F²
  for (let k = 0; k < d * d; k++) delta_ += s[k] * s[k];
  const nn = Math.max(1, n);
  let beta = (beta_ / nn - delta_) / (d * nn);
  const delta = (delta_ - 2 * mu * trace + d * mu * mu) / d;
  beta = Math.min(beta, delta);
  const shrinkage = delta <= 0 || beta <= 0 ? (delta <= 0 ? 1 : 0) : beta / delta;
  const floor = mu > 0 ? 0 : 1e-12;
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] = (1 - shrinkage) * s[a * d + b] + (a === b ? shrinkage * mu + floor : 0);
  return { cov, d, shrinkage };
}

/** Lower-triangular Cholesky factor L (row-major, d × d) with L·Lᵀ = A; throws if A is not positive definite. */
export function cholesky(a: ArrayLike<number>, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j];
      for (let k = 0; k < j; k++) sum -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error(`cholesky: the matrix is not positive definite (pivot ${i}: ${sum})`);
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / l[j * d + j];
    }
  }
  return l;
}

/** Squared Mahalanobis distance vᵀ A⁻¹ v given A's Cholesky factor (forward substitution). */
export function mahalanobis2(chol: Float64Array, d: number, v: ArrayLike<number>): number {
  const y = new Float64Array(d);
  let out = 0;
  for (let i = 0; i < d; i++) {
    let s = v[i];
    for (let k = 0; k < i; k++) s -= chol[i * d + k] * y[k];
    y[i] = s / chol[i * d + i];
    out += y[i] * y[i];
  }
  return out;
}

/** The smallest squared distance from `x` to any class mean (tied covariance). */
export function minClassDistance2(chol: Float64Array, d: number, means: ReadonlyArray<ArrayLike<number> | null>, x: ArrayLike<number>): { d2: number; nearest: number } {
  let best = Infinity;
  let nearest = -1;
  const diff = new Float64Array(d);
  means.forEach((m, k) => {
    if (!m) return;
    for (let j = 0; j < d; j++) diff[j] = x[j] - m[j];
    const d2 = mahalanobis2(chol, d, diff);
    if (d2 < best) {
      best = d2;
      nearest = k;
    }
  });
  return { d2: best, nearest };
}

/** Packs the lower triangle (diagonal included) of a symmetric d × d matrix, row by row. */
export function packLower(a: ArrayLike<number>, d: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) out.push(a[i * d + j]);
  return out;
}

/** The symmetric d × d matrix of a packed lower triangle; throws on a wrong length. */
export function unpackLower(p: ArrayLike<number>, d: number): Float64Array {
  if (p.length !== (d * (d + 1)) / 2) throw new Error(`packed triangle of a ${d} × ${d} matrix needs ${(d * (d + 1)) / 2} numbers, got ${p.length}`);
  const a = new Float64Array(d * d);
  let k = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) a[i * d + j] = a[j * d + i] = p[k++];
  return a;
}

/** Quantile q ∈ [0, 1] with linear interpolation between order statistics (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const h = (v.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo] + (h - lo) * (v[hi] - v[lo]);
}
