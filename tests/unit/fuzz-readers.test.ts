/**
 * Property-based fuzzing (fast-check) of the readers that take untrusted bytes: .npy, .npz, NIfTI
 * (.nii, .nii.gz) and the bounded gzip / raw-deflate inflaters, plus the upload path behind them
 * (readUserFile + prepareUserVolume). Thousands of generated files (valid ones, whose content must
 * come back exactly) and mutated ones (bit flips, cuts, inserted and overwritten bytes, header fields
 * set to hostile values). For every input:
 * - the outcome is a valid result (shape × dtype consistent with the data, values as written) or a
 *   DataFormatError naming the file; any other exception is a bug;
 * - no single read takes 1 s or more;
 * - no typed array or ArrayBuffer larger than the stated cap (plus the input's own size) is
 *   allocated: every typed-array constructor is wrapped while a reader runs and the largest
 *   allocation is checked against the cap passed to the reader.
 * Seeds are fixed (reproducible in CI); a failure prints the shrunk counterexample and its seed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateSync, gzipSync } from 'fflate';
import { DataFormatError, readNpy, writeNpy, DTYPES, type DType, type NdArray } from '../../src/lib/data/npy';
import { readNpz, writeNpz } from '../../src/lib/data/npz';
import { readNifti, writeNifti } from '../../src/lib/data/nifti';
import { BoundedGunzip, gunzipLimited, inflateRawLimited } from '../../src/lib/data/inflate';
import { prepareUserVolume, readUserFile } from '../../src/lib/data/user-volume';

const SEED = 20261207;
/** the fuzz budget: runs per property (the whole file stays well under ~20 s on 2 cores) */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const MAX_MS = 1000;

// ------------------------------------------------------------------ allocation and time tracking

const TYPED = ['Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'Uint8ClampedArray'] as const;
type Ctor = new (...a: unknown[]) => ArrayBufferView;

/**
 * Runs `f` with every typed-array and ArrayBuffer constructor of the global scope wrapped, and
 * returns its outcome, the largest allocation in bytes and the time it took. (fflate keeps its own
 * references to the constructors; its allocations are bounded by the 16 kB slices we feed it.)
 */
function tracked<T>(f: () => T): { value?: T; error?: unknown; maxAlloc: number; ms: number } {
  const g = globalThis as unknown as Record<string, Ctor>;
  const saved = new Map<string, Ctor>();
  let maxAlloc = 0;
  for (const name of TYPED) {
    const Base = g[name] as Ctor & { BYTES_PER_ELEMENT: number };
    saved.set(name, Base);
    const Wrapped = class extends (Base as unknown as new (...a: unknown[]) => object) {
      constructor(...args: unknown[]) {
        if (typeof args[0] === 'number') maxAlloc = Math.max(maxAlloc, args[0] * Base.BYTES_PER_ELEMENT);
        super(...args);
      }
    };
    Object.defineProperty(Wrapped, 'name', { value: name });
    g[name] = Wrapped as unknown as Ctor;
  }
  const AB = g.ArrayBuffer;
  saved.set('ArrayBuffer', AB);
  g.ArrayBuffer = class extends (AB as unknown as new (n: number) => object) {
    constructor(n: number) {
      maxAlloc = Math.max(maxAlloc, Number(n) || 0);
      super(n);
    }
  } as unknown as Ctor;
  const t0 = performance.now();
  try {
    return { value: f(), maxAlloc, ms: performance.now() - t0 };
  } catch (error) {
    return { error, maxAlloc, ms: performance.now() - t0 };
  } finally {
    for (const [name, C] of saved) g[name] = C;
  }
}

const stats = { cases: 0, ok: 0, refused: 0, maxMs: 0 };

/** The common property: a typed error or a value `check` accepts, under the time and allocation caps. */
function outcome<T>(what: string, input: Uint8Array, cap: number, f: () => T, check: (v: T) => void): void {
  const r = tracked(f);
  stats.cases++;
  stats.maxMs = Math.max(stats.maxMs, r.ms);
  expect(r.ms, `${what}: took ${r.ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  expect(r.maxAlloc, `${what}: allocated ${r.maxAlloc} bytes (cap ${cap}, input ${input.length})`).toBeLessThanOrEqual(cap + input.length + 64);
  if ('error' in r && r.error !== undefined) {
    if (!(r.error instanceof DataFormatError)) throw new Error(`${what}: not a DataFormatError: ${(r.error as Error)?.stack ?? r.error}`);
    expect(r.error.message.length).toBeGreaterThan(r.error.file.length + 2);
    stats.refused++;
    return;
  }
  stats.ok++;
  check(r.value as T);
}

function checkArray(a: NdArray, maxElements = Infinity): void {
  expect(Object.keys(DTYPES)).toContain(a.dtype);
  expect(a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  expect(a.data.length).toBe(a.shape.reduce((p, d) => p * d, 1));
  expect(a.data.length).toBeLessThanOrEqual(maxElements);
  expect(a.data.BYTES_PER_ELEMENT).toBe(DTYPES[a.dtype].size);
}

// ------------------------------------------------------------------ generators

const DT: DType[] = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'float32', 'float64', 'int64', 'bool'];

/** A valid array: dtype, a small shape, random bytes of the right length. */
const arrayArb = fc
  .record({ dtype: fc.constantFrom(...DT), shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }) })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((p, d) => p * d, 1);
    return fc.uint8Array({ minLength: n * DTYPES[dtype].size, maxLength: n * DTYPES[dtype].size }).map((bytes): NdArray => {
      const Ctor = DTYPES[dtype].ctor;
      const buf = new Uint8Array(bytes.length);
      buf.set(dtype === 'bool' ? bytes.map((b) => b & 1) : bytes);
      return { dtype, shape, data: new Ctor(buf.buffer, 0, n) };
    });
  });

type Mutation = { kind: 'flip' | 'cut' | 'insert' | 'overwrite' | 'set32' | 'setf32'; at: number; value: number; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'cut', 'insert', 'overwrite', 'set32', 'setf32'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  value: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 0x7fffffff, 0xffffffff, 348, 540, 1e30, -1e30, NaN, Infinity, 1e6, 65535)),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
});

/** Applies mutations; positions are fractions of the current length, so they land anywhere in any file. */
function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of ms) {
    const p = Math.min(b.length, Math.floor(m.at * (b.length + 1)));
    if (m.kind === 'flip' && b.length) b[Math.min(p, b.length - 1)] ^= 1 << (m.bytes[0] & 7);
    else if (m.kind === 'cut') b = b.slice(0, p);
    else if (m.kind === 'insert') {
      const c = new Uint8Array(b.length + m.bytes.length);
      c.set(b.subarray(0, p));
      c.set(m.bytes, p);
      c.set(b.subarray(p), p + m.bytes.length);
      b = c;
    } else if (m.kind === 'overwrite') b.set(m.bytes.subarray(0, Math.max(0, b.length - p)), p);
    else if (p + 4 <= b.length) {
      const dv = new DataView(b.buffer);
      if (m.kind === 'set32') dv.setUint32(p, m.value >>> 0, true);
      else dv.setFloat32(p, m.value, true);
    }
  }
  return b;
}
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): void {
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
}

// ------------------------------------------------------------------ .npy

describe('fuzz: .npy', () => {
  it('valid files round-trip exactly; mutated files are read consistently or refused', () => {
    fc.assert(
      fc.property(arrayArb, mutationsArb, (arr, ms) => {
        const bytes = writeNpy(arr);
        outcome('npy valid', bytes, bytes.length, () => readNpy(bytes, 'a.npy'), (r) => {
          checkArray(r);
          expect(r.shape).toEqual(arr.shape);
          sameBytes(r.data, arr.data);
        });
        const bad = mutate(bytes, ms);
        outcome('npy mutated', bad, bad.length, () => readNpy(bad, 'a.npy'), (r) => checkArray(r));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('generated headers (any descr, shape text, version, declared length) are read consistently or refused', () => {
    const shapeText = fc.oneof(
      fc.array(fc.oneof(fc.nat(8), fc.constantFrom(0, 65536, 2 ** 31, 2 ** 53, 1e21)).map(String), { maxLength: 5 }).map((p) => `(${p.join(', ')}${p.length === 1 ? ',' : ''})`),
      fc.string({ maxLength: 12 }).map((s) => `(${s})`),
    );
    const dict = fc.record({
      descr: fc.oneof(fc.constantFrom('|u1', '<f4', '<f8', '<i2', '<u2', '<i4', '<i8', '|b1', '>f4', '<c16', '|O', '<f2', 'u1'), fc.string({ maxLength: 6 })),
      fortran: fc.constantFrom('False', 'True', 'maybe'),
      shape: shapeText,
      pad: fc.nat(80),
    });
    fc.assert(
      fc.property(dict, fc.constantFrom(1, 2, 3, 4), fc.boolean(), fc.uint8Array({ maxLength: 300 }), (d, version, lie, tail) => {
        const text = `{'descr': '${d.descr}', 'fortran_order': ${d.fortran}, 'shape': ${d.shape}, }${' '.repeat(d.pad)}\n`;
        const hb = new TextEncoder().encode(text);
        const pre = version === 1 ? 10 : 12;
        const b = new Uint8Array(pre + hb.length + tail.length);
        b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
        const declared = lie ? hb.length + tail.length + 7 : hb.length;
        if (version === 1) b.set([declared & 0xff, (declared >> 8) & 0xff], 8);
        else new DataView(b.buffer).setUint32(8, declared, true);
        b.set(hb, pre);
        b.set(tail, pre + hb.length);
        outcome('npy header', b, b.length, () => readNpy(b, 'h.npy'), (r) => checkArray(r, tail.length));
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------------ .npz

describe('fuzz: .npz', () => {
  const CAP = 64 * 1024;
  const membersArb = fc.dictionary(fc.constantFrom('a', 'b', 'train_images', 'x_y'), arrayArb, { minKeys: 1, maxKeys: 3 });
  it('valid archives (stored and deflated) round-trip; mutated ones are read consistently or refused, members capped', () => {
    fc.assert(
      fc.property(membersArb, fc.boolean(), mutationsArb, (members, compress, ms) => {
        const zip = writeNpz(members, { compress });
        outcome('npz valid', zip, CAP, () => readNpz(zip, 'd.npz', { maxMemberBytes: CAP }), (r) => {
          expect(Object.keys(r).sort()).toEqual(Object.keys(members).sort());
          for (const [k, a] of Object.entries(members)) {
            expect(r[k].shape).toEqual(a.shape);
            sameBytes(r[k].data, a.data);
          }
        });
        const bad = mutate(zip, ms);
        const keys = Object.keys(members).slice(0, 1);
        outcome('npz mutated', bad, CAP, () => readNpz(bad, 'd.npz', { keys, maxMemberBytes: CAP }), (r) => {
          expect(Object.keys(r)).toEqual(keys);
          for (const a of Object.values(r)) checkArray(a, CAP);
        });
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------------ NIfTI and the upload path

describe('fuzz: NIfTI (.nii, .nii.gz) and the upload path', () => {
  const LIMITS = { maxBytes: 256 * 1024, maxVoxels: 16 ** 3 };
  const NIFTI_DT = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'float32', 'float64'] as const;
  const niftiArb = fc
    .record({
      dtype: fc.constantFrom(...NIFTI_DT),
      shape: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })),
      le: fc.boolean(),
      slope: fc.oneof(fc.constant(0), fc.double({ min: -100, max: 100, noNaN: true }), fc.constantFrom(1e30, 1e6, -1e7)),
      inter: fc.oneof(fc.constant(0), fc.integer({ min: -2000, max: 2000 })),
      pixdim: fc.tuple(fc.double({ min: 0.1, max: 8, noNaN: true }), fc.double({ min: 0.1, max: 8, noNaN: true }), fc.double({ min: 0.1, max: 8, noNaN: true })),
      seed: fc.nat(),
    })
    .map((o) => {
      const n = o.shape[0] * o.shape[1] * o.shape[2];
      let s = o.seed;
      const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
      const range = o.dtype === 'uint8' ? [0, 255] : o.dtype === 'int8' ? [-128, 127] : o.dtype === 'uint16' ? [0, 65535] : [-1024, 3071];
      const data = Array.from({ length: n }, () => Math.round(range[0] + rnd() * (range[1] - range[0])));
      const bytes = writeNifti({ dtype: o.dtype, shape: [...o.shape], data }, { littleEndian: o.le, slope: o.slope, inter: o.inter, pixdim: o.pixdim });
      return { ...o, n, data, bytes };
    });
  /** header fields at their offsets, to be set to hostile values */
  const fieldArb = fc.record({
    off: fc.constantFrom(0, 40, 42, 44, 46, 48, 70, 72, 80, 108, 112, 116, 344),
    kind: fc.constantFrom('i16', 'i32', 'f32'),
    value: fc.oneof(fc.integer({ min: -40000, max: 40000 }), fc.constantFrom(NaN, Infinity, -1, 0, 1e9, 32767, 348, 352, 1e30)),
  });
  function setField(b: Uint8Array, f: { off: number; kind: string; value: number }, le: boolean): Uint8Array {
    const c = b.slice();
    const dv = new DataView(c.buffer);
    if (f.kind === 'i16') dv.setInt16(f.off, f.value | 0, le);
    else if (f.kind === 'i32') dv.setInt32(f.off, f.value | 0, le);
    else dv.setFloat32(f.off, f.value, le);
    return c;
  }
  const upload = (b: Uint8Array, name: string) => {
    const arr = readNifti(b, name, LIMITS);
    // every volume that reads must also prepare (as the explorer's upload worker does) or be refused with a reason
    try {
      const p = prepareUserVolume(arr, name, 8);
      for (const v of p.volume) if (!(v >= 0 && v <= 1)) throw new Error(`${name}: prepared value ${v} outside [0, 1]`);
    } catch (e) {
      if (!(e instanceof DataFormatError)) throw e;
    }
    return arr;
  };
  const checkVol = (r: NdArray) => {
    checkArray(r, LIMITS.maxVoxels);
    expect(r.shape).toHaveLength(3);
  };

  it('valid files (both endiannesses, scalings, .nii and .nii.gz) read back their values; slopes ≥ 1e6 are refused', () => {
    fc.assert(
      fc.property(niftiArb, fc.boolean(), (v, gz) => {
        const bytes = gz ? gzipSync(v.bytes) : v.bytes;
        outcome('nifti valid', bytes, LIMITS.maxBytes + LIMITS.maxVoxels * 8, () => upload(bytes, gz ? 'v.nii.gz' : 'v.nii'), (r) => {
          checkVol(r);
          expect(r.shape).toEqual(v.shape);
          const slope = Math.fround(v.slope) === 0 ? 1 : Math.fround(v.slope);
          const inter = Math.fround(v.slope) === 0 ? 0 : v.inter;
          for (let i = 0; i < v.n; i += Math.max(1, Math.floor(v.n / 16))) expect(Number(r.data[i])).toBeCloseTo(Math.fround(v.data[i] * slope + inter), 0);
        });
        if (Math.abs(Math.fround(v.slope)) >= 1e6) expect(() => readNifti(v.bytes, 'v.nii', LIMITS)).toThrow(/implausible intensity scaling/);
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  it('hostile header fields and mutated bytes (.nii and .nii.gz) are read consistently or refused, within the caps', () => {
    fc.assert(
      fc.property(niftiArb, fc.array(fieldArb, { minLength: 1, maxLength: 3 }), mutationsArb, fc.boolean(), (v, fields, ms, gz) => {
        let b = v.bytes;
        for (const f of fields) b = setField(b, f, v.le);
        outcome('nifti fields', b, LIMITS.maxBytes + LIMITS.maxVoxels * 8, () => upload(b, 'f.nii'), checkVol);
        const m = gz ? mutate(gzipSync(v.bytes), ms) : mutate(v.bytes, ms);
        outcome('nifti mutated', m, LIMITS.maxBytes + LIMITS.maxVoxels * 8, () => upload(m, gz ? 'm.nii.gz' : 'm.nii'), checkVol);
        // the same bytes through readUserFile (name-based sniffing), as an upload
        outcome('user file', m, 256 * 1024 * 1024, () => readUserFile(m, gz ? 'u.nii.gz' : 'u.npy'), (r) => checkArray(r));
      }),
      { seed: SEED + 4, numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------------ gzip and raw deflate

describe('fuzz: bounded gzip and raw-deflate inflation', () => {
  const CAP = 64 * 1024;
  const payloadArb = fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.nat(200_000).map((n) => new Uint8Array(n))); // random, or zeros up to 3× the cap
  it('gunzip: valid streams come back exactly (or stop at the cap); mutated ones are refused or CRC-consistent; streamed = one-shot', () => {
    fc.assert(
      fc.property(payloadArb, mutationsArb, fc.integer({ min: 1, max: 5000 }), (payload, ms, chunk) => {
        const gz = gzipSync(payload, { level: 6 });
        outcome('gzip valid', gz, CAP, () => gunzipLimited(gz, 'p.gz', CAP), (r) => sameBytes(r, payload));
        if (payload.length > CAP) expect(() => gunzipLimited(gz, 'p.gz', CAP)).toThrow(/too large: inflates to more than/);
        const bad = mutate(gz, ms);
        const one = tracked(() => gunzipLimited(bad, 'p.gz', CAP));
        outcome('gzip mutated', bad, CAP, () => gunzipLimited(bad, 'p.gz', CAP), (r) => expect(r.length).toBeLessThanOrEqual(CAP));
        // the upload worker's streamed decoder gives the same bytes or the same message, however the file is chunked
        const streamed = tracked(() => {
          const g = new BoundedGunzip('p.gz', CAP, 0);
          for (let p = 0; p < bad.length; p += chunk) g.push(bad.subarray(p, p + chunk));
          return g.finish();
        });
        if (one.error) expect((streamed.error as Error)?.message).toBe((one.error as Error).message);
        else sameBytes(streamed.value!, one.value!);
      }),
      { seed: SEED + 5, numRuns: RUNS },
    );
  });

  it('raw deflate (zip members): exactly the declared size or refused, whatever is declared', () => {
    fc.assert(
      fc.property(payloadArb, mutationsArb, fc.oneof(fc.constant(-1), fc.nat(300_000), fc.constantFrom(2 ** 40, NaN)), (payload, ms, declared) => {
        const raw = deflateSync(payload);
        const expected = declared === -1 ? payload.length : declared;
        outcome('deflate', raw, Math.min(CAP, Number.isFinite(expected) ? expected : 0), () => inflateRawLimited(raw, 'z/m.npy', { expected, max: CAP }), (r) => {
          expect(r.length).toBe(expected);
          sameBytes(r, payload);
        });
        const bad = mutate(raw, ms);
        outcome('deflate mutated', bad, Math.min(CAP, payload.length), () => inflateRawLimited(bad, 'z/m.npy', { expected: payload.length, max: CAP }), (r) => expect(r.length).toBe(payload.length));
      }),
      { seed: SEED + 6, numRuns: RUNS },
    );
  });

  it(`ran thousands of cases, each under ${MAX_MS} ms`, () => {
    console.log(`fuzz: ${stats.cases} reads (${stats.ok} valid, ${stats.refused} refused with a DataFormatError), slowest ${stats.maxMs.toFixed(1)} ms`);
    expect(stats.cases).toBeGreaterThanOrEqual(13 * RUNS);
  });
});

describe('fuzz harness controls', () => {
  it('the allocation tracker sees the readers’ buffers, and restores the constructors', () => {
    const zeros = gzipSync(new Uint8Array(300_000), { level: 9 });
    const r = tracked(() => gunzipLimited(zeros, 'z.gz', 1 << 20));
    expect(r.maxAlloc).toBeGreaterThanOrEqual(300_000);
    expect(tracked(() => new Float64Array(1000)).maxAlloc).toBe(8000);
    expect(new Uint8Array(1).constructor).toBe(Uint8Array);
    expect(Uint8Array.name).toBe('Uint8Array');
    expect(Object.getPrototypeOf(Uint8Array.prototype)).not.toBe(Uint8Array.prototype);
    // a cut at the middle shortens the file there
    expect(mutate(new Uint8Array([1, 2, 3]), [{ kind: 'cut', at: 0.5, value: 0, bytes: new Uint8Array([0]) }])).toEqual(new Uint8Array([1, 2]));
});
});
