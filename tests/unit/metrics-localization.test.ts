import { describe, expect, it } from 'vitest';
import { energyPointingGame, maskFraction, pearson, pointingGameHit } from '../../src/lib/metrics';

describe('localisation', () => {
  const mask = Uint8Array.from([0, 1, 1, 0, 0, 0]);
  it('energy-based pointing game: share of CAM energy inside the mask', () => {
    expect(energyPointingGame(Float32Array.from([0, 1, 1, 0, 0, 0]), mask)).toBe(1);
    expect(energyPointingGame(Float32Array.from([1, 1, 1, 1, 0, 0]), mask)).toBe(0.5);
    expect(energyPointingGame(Float32Array.from([0.2, 0.3, 0, 0.5, 0, 0]), mask)).toBeCloseTo(0.3, 6);
    expect(energyPointingGame(new Float32Array(6), mask)).toBe(0);
    expect(maskFraction(mask)).toBeCloseTo(1 / 3, 12);
    expect(() => energyPointingGame(new Float32Array(3), mask)).toThrow();
  });
  it('pointing game hit: the maximum inside the mask', () => {
    expect(pointingGameHit(Float32Array.from([0, 0.2, 0.9, 0.1, 0, 0]), mask)).toBe(true);
    expect(pointingGameHit(Float32Array.from([0, 0.2, 0.3, 0.9, 0, 0]), mask)).toBe(false);
  });
  it('pearson', () => {
    const a = Float32Array.from([1, 2, 3, 4]);
    expect(pearson(a, Float32Array.from([2, 4, 6, 8]))).toBeCloseTo(1, 12);
    expect(pearson(a, Float32Array.from([4, 3, 2, 1]))).toBeCloseTo(-1, 12);
    expect(pearson(a, Float32Array.from([1, 1, 1, 1]))).toBe(0);
    expect(pearson(Float32Array.from([1, 0, 1, 0]), Float32Array.from([1, 1, 0, 0]))).toBeCloseTo(0, 12);
  });
});
