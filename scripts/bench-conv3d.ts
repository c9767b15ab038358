/**
 * npm run bench:conv3d -- [--backends cpu,wasm] [--batches 1,8] [--reps 2] [--size 64]   (see --help)
 *
 * Default batches: 1 on cpu (batch 8 there takes minutes), 1 and 8 on wasm.
 *
 * Times the conv3d layers of the shipped network (ResNet-10, widths 16-128, 64³ input) with our
 * slice-summed conv2d formulation against tfjs's own tf.conv3d ('native'), forward and
 * forward+backward (input and filter gradients), per backend, in the same run, and prints the
 * speed-up. The per-backend default in src/lib/model/conv3d.ts comes from these numbers.
 * (Native is also WRONG in places: on cpu for 1×1×1 stride-2 'same'; on wasm its gradients.)
 */
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { conv3d, conv3dFormulationFor, nativeIsUnsafe, setConv3dFormulation, type Conv3dFormulation } from '../src/lib/model/conv3d';
import { resnetConfig, stageSizes } from '../src/lib/model/resnet3d';
import { num, parseCli, parseNum, runCli, str, type CliSpec } from './lib/cli';

interface Layer {
  name: string;
  inSize: number;
  k: number;
  stride: number;
  cin: number;
  cout: number;
}

/** The convolutions of ResNet-10 (one basic block per stage) for the config, with their input sizes. */
function layersOf(size: number): Layer[] {
  const c = resnetConfig(10, 1, size);
  const sizes = stageSizes(c);
  const stemOut = Math.ceil(size / c.stemStride);
  const layers: Layer[] = [{ name: 'stem', inSize: size, k: c.stemKernel, stride: c.stemStride, cin: 1, cout: c.stemChannels }];
  let inSize = stemOut;
  let cin = c.stemChannels;
  c.widths.forEach((cout, i) => {
    const s = c.stageStrides[i];
    layers.push({ name: `stage${i + 1}.conv1`, inSize, k: 3, stride: s, cin, cout });
    layers.push({ name: `stage${i + 1}.conv2`, inSize: sizes[i], k: 3, stride: 1, cin: cout, cout });
    if (s !== 1 || cin !== cout) layers.push({ name: `stage${i + 1}.shortcut`, inSize, k: 1, stride: s, cin, cout });
    inSize = sizes[i];
    cin = cout;
  });
  return layers;
}

function time(reps: number, f: () => void): number {
  f(); // warm-up (kernel compilation, allocation)
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  return (performance.now() - t0) / reps;
}

export const SPEC: CliSpec = {
  command: 'npm run bench:conv3d --',
  summary: "Times the network's conv3d layers: the slice-summed conv2d formulation against tf.conv3d, per backend.",
  flags: {
    backends: { type: 'string', arg: 'LIST', def: 'cpu,wasm', help: 'backends to time' },
    batches: { type: 'string', arg: 'LIST', def: '1 on cpu, 1,8 on wasm', help: 'batch sizes (1-64 each)' },
    reps: { type: 'string', arg: 'N', def: '2 (1 at batch ≥ 8)', help: 'repetitions (1-100)' },
    size: { type: 'string', arg: 'S', def: 64, help: 'input edge (4-128)' },
  },
};

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const backends = str(v, 'backends', 'cpu,wasm').split(',');
  const batchesFor = (backend: string) => str(v, 'batches', backend === 'cpu' ? '1' : '1,8').split(',').map((b) => parseNum('--batches', b, { min: 1, max: 64 }));
  // 2 timed reps after a warm-up; 1 at batch ≥ 8 (wasm's native conv3d takes ~9 s per pass there)
  const repsFor = (batch: number) => num(v, 'reps', batch >= 8 ? 1 : 2, { min: 1, max: 100 });
  const size = num(v, 'size', 64, { min: 4, max: 128 });
  const layers = layersOf(size);
  const forms: Conv3dFormulation[] = ['slice-sum', 'native'];
  const started = performance.now();
  console.log(`conv3d layers of ResNet-10 (widths 16-128) at ${size}³; ms per call (mean of timed reps after a warm-up)`);
  const summary: string[] = [];
  for (const backend of backends) {
    await initNodeBackend(backend);
    const initial = conv3dFormulationFor(backend);
    for (const batch of batchesFor(backend)) {
      const totals: Record<string, { fwd: number; bwd: number }> = {};
      const reps = repsFor(batch);
      console.log(`\n${backend}, batch ${batch}, ${reps} rep(s)`);
      console.log(`${'layer'.padEnd(18)} ${'fwd slice-sum'.padStart(14)} ${'fwd native'.padStart(11)} ${'ratio'.padStart(6)}   ${'f+b slice-sum'.padStart(14)} ${'f+b native'.padStart(11)} ${'ratio'.padStart(6)}`);
      for (const l of layers) {
        const row: Record<string, { fwd: number; bwd: number }> = {};
        const x = tf.randomNormal([batch, l.inSize, l.inSize, l.inSize, l.cin]) as tf.Tensor5D;
        const w = tf.randomNormal([l.k, l.k, l.k, l.cin, l.cout], 0, 0.1) as tf.Tensor5D;
        for (const f of forms) {
          setConv3dFormulation(backend, f);
          const fwd = time(reps, () => tf.tidy(() => void conv3d(x, w, l.stride, 'same').dataSync()));
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv3d(a as tf.Tensor5D, b as tf.Tensor5D, l.stride, 'same')));
          const bwd = time(reps, () =>
            tf.tidy(() => {
              const [dx, dw] = g([x, w]);
              dx.dataSync();
              dw.dataSync();
            }),
          );
          row[f] = { fwd, bwd };
          totals[f] ??= { fwd: 0, bwd: 0 };
          totals[f].fwd += fwd;
          totals[f].bwd += bwd;
        }
        tf.dispose([x, w]);
        const [a, b] = [row['slice-sum'], row.native];
        console.log(
          `${(l.name + (nativeIsUnsafe([l.k, l.k, l.k], l.stride, 'same') ? '*' : '')).padEnd(18)} ${a.fwd.toFixed(1).padStart(14)} ${b.fwd.toFixed(1).padStart(11)} ${(b.fwd / a.fwd).toFixed(2).padStart(6)}   ${a.bwd.toFixed(1).padStart(14)} ${b.bwd.toFixed(1).padStart(11)} ${(b.bwd / a.bwd).toFixed(2).padStart(6)}`,
        );
      }
      const [a, b] = [totals['slice-sum'], totals.native];
      const line = `${backend} batch ${batch}: forward ${a.fwd.toFixed(0)} ms slice-sum vs ${b.fwd.toFixed(0)} ms native (slice-sum ${(b.fwd / a.fwd).toFixed(2)}x faster); forward+backward ${a.bwd.toFixed(0)} vs ${b.bwd.toFixed(0)} ms (${(b.bwd / a.bwd).toFixed(2)}x)`;
      console.log(`${'total'.padEnd(18)} ${a.fwd.toFixed(1).padStart(14)} ${b.fwd.toFixed(1).padStart(11)} ${(b.fwd / a.fwd).toFixed(2).padStart(6)}   ${a.bwd.toFixed(1).padStart(14)} ${b.bwd.toFixed(1).padStart(11)} ${(b.bwd / a.bwd).toFixed(2).padStart(6)}`);
      summary.push(line);
    }
    setConv3dFormulation(backend, initial);
  }
  console.log(`\n* tf.conv3d is wrong for this layer (1×1×1, stride 2, 'same'): 'native' routes it to slice-sum`);
  console.log(`summary (ratio = native time / slice-sum time; > 1 means slice-sum is faster):\n${summary.join('\n')}`);
  console.log(`default formulations now: ${backends.map((b) => `${b}=${conv3dFormulationFor(b)}`).join(', ')}; ${((performance.now() - started) / 1000).toFixed(0)}s`);
}

runCli(main);
