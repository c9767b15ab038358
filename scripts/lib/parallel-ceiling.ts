/**
 * How well this machine runs independent work in parallel: the same forward-pass loop in one
 * process alone, then in `n` processes at once (parallel-probe.ts). On shared or virtual machines
 * cores slow each other down (memory bandwidth, caches, neighbours), so n workers cannot reach 1/n
 * of the one-worker time; `floor` is the best ratio a perfect n-worker split could reach here.
 */
import { spawn } from 'node:child_process';
import { TSX_LOADER, TSX_NODE } from './tsx-node';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./parallel-probe.ts', import.meta.url));

function probe(modelDir: string, reps: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(TSX_NODE[0], [...TSX_LOADER, PROBE, modelDir, String(reps)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve((JSON.parse(line) as { ms: number }).ms);
      } catch (e) {
        reject(new Error(`parallel probe failed (${e instanceof Error ? e.message : e}): ${err.trim().split('\n').slice(-3).join(' ')}`));
      }
    });
  });
}

export interface ParallelCeiling {
  n: number;
  aloneMs: number;
  /** Mean time of the n simultaneous runs. */
  togetherMs: number;
  /** togetherMs / aloneMs: how much each run slows when n run at once (1 = not at all). */
  slowdown: number;
  /** slowdown / n: the best n-worker / 1-worker time ratio a perfect split could reach here. */
  floor: number;
}

export async function parallelCeiling(modelDir: string, n: number, reps = 12): Promise<ParallelCeiling> {
  const aloneMs = await probe(modelDir, reps);
  const together = await Promise.all(Array.from({ length: n }, () => probe(modelDir, reps)));
  const togetherMs = together.reduce((a, b) => a + b, 0) / n;
  const slowdown = togetherMs / aloneMs;
  return { n, aloneMs, togetherMs, slowdown, floor: slowdown / n };
}
