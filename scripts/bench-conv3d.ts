/**
 * npm run bench:conv3d -- [--backends cpu,wasm] [--batches 1,8] [--reps 2] [--size 64] [--forms slice-sum,im2col,native]
 *
 * Default batches: 1 on cpu (batch 8 there takes minutes), 1 and 8 on wasm.
 *
 * Times the conv3d layers of the shipped network (ResNet-10, widths 16-128, 64³ input) in each
 * formulation of conv3d.ts (slice-sum: kd conv2d summed; im2col: one shift conv + one conv2d;
 * mixed: im2col on narrow layers (the stem), slice-sum elsewhere;
 * native: tfjs's own tf.conv3d), forward and
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

/** The formulations in conv3d.ts; slice-sum (the training path before im2col) is the baseline. */
const FORMS: Conv3dFormulation[] = ['slice-sum', 'mixed', 'im2col', 'native'];

export const SPEC: CliSpec = {
  command: 'npm run bench:conv3d --',
  summary: "Times the network's conv3d layers in each formulation (slice-sum, im2col, tf.conv3d), per backend.",
  flags: {
    backends: { type: 'string', arg: 'LIST', def: 'cpu,wasm', help: 'backends to time' },
    batches: { type: 'string', arg: 'LIST', def: '1 on cpu, 1,8 on wasm', help: 'batch sizes (1-64 each)' },
    reps: { type: 'string', arg: 'N', def: '2 (1 at batch ≥ 8)', help: 'repetitions (1-100)' },
    size: { type: 'string', arg: 'S', def: 64, help: 'input edge (4-128)' },
    forms: { type: 'string', arg: 'LIST', def: FORMS.join(','), help: 'formulations to time; the first is the ratios\' baseline' },
  },
};

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const backends = str(v, 'backends', 'cpu,wasm').split(',');
  const batchesFor = (backend: string) => str(v, 'batches', backend === 'cpu' ? '1' : '1,8').split(',').map((b) => parseNum('--batches', b, { min: 1, max: 64 }));
  // 2 timed reps after a warm-up; 1 at batch ≥ 8 (wasm's native conv3d takes ~9 s per pass there)
  const repsFor = (batch: number) => num(v, 'reps', batch >= 8 ? 1 : 2, { min: 1, max: 100 });
  const size = num(v, 'size', 64, { min: 4, max: 128 });
  const forms = str(v, 'forms', FORMS.join(',')).split(',') as Conv3dFormulation[];
  for (const f of forms) if (!FORMS.includes(f)) throw new Error(`--forms: unknown formulation '${f}' (${FORMS.join(', ')})`);
  const base = forms[0];
  const layers = layersOf(size);
  const started = performance.now();
  console.log(`conv3d layers of ResNet-10 (widths 16-128) at ${size}³; ms per call (mean of timed reps after a warm-up); ratio = that formulation's time / ${base}'s`);
  const summary: string[] = [];
  const cell = (t: number, ref: number, first: boolean) => (first ? t.toFixed(1).padStart(9) : `${t.toFixed(1).padStart(9)} ${(t / ref).toFixed(2).padStart(5)}×`);
  const header = (what: string) => forms.map((f, i) => `${what} ${f}`.padStart(i === 0 ? 9 : 16)).join(' ');
  for (const backend of backends) {
    await initNodeBackend(backend);
    const initial = conv3dFormulationFor(backend);
    for (const batch of batchesFor(backend)) {
      const totals: Record<string, { fwd: number; bwd: number }> = {};
      const reps = repsFor(batch);
      console.log(`\n${backend}, batch ${batch}, ${reps} rep(s)`);
      console.log(`${'layer'.padEnd(18)} ${header('fwd')}   ${header('f+b')}`);
      const print = (name: string, row: Record<string, { fwd: number; bwd: number }>) =>
        console.log(
          `${name.padEnd(18)} ${forms.map((f, i) => cell(row[f].fwd, row[base].fwd, i === 0)).join(' ')}   ${forms.map((f, i) => cell(row[f].bwd, row[base].bwd, i === 0)).join(' ')}`,
        );
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
        print(l.name + (nativeIsUnsafe([l.k, l.k, l.k], l.stride, 'same') ? '*' : ''), row);
      }
      print('total', totals);
      summary.push(
        `${backend} batch ${batch}: ` +
          forms.map((f) => `${f} forward ${totals[f].fwd.toFixed(0)} ms (${(totals[f].fwd / totals[base].fwd).toFixed(2)}×), forward+backward ${totals[f].bwd.toFixed(0)} ms (${(totals[f].bwd / totals[base].bwd).toFixed(2)}×)`).join('; '),
      );
    }
    setConv3dFormulation(backend, initial);
  }
  console.log(`\n* tf.conv3d is wrong for this layer (1×1×1, stride 2, 'same'): 'native' routes it to slice-sum`);
  console.log(`summary (× = time relative to ${base}; < 1 is faster):\n${summary.join('\n')}`);
  console.log(`default formulations now: ${backends.map((b) => `${b}=${conv3dFormulationFor(b)}`).join(', ')}; ${((performance.now() - started) / 1000).toFixed(0)}s`);
}

runCli(main);
