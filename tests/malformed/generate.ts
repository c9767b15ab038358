/**
 * A battery of malformed and hostile npy / npz / NIfTI / gzip files, generated (never committed as
 * binaries). Each case carries the message its reader must give. Used by the unit battery
 * (tests/unit/hostile-input.test.ts) and, for the upload formats, by the browser test
 * (tests/e2e/hostile-upload.spec.ts).
 */
import { deflateSync, gzipSync } from 'fflate';
import { writeNpy, type NdArray } from '../../src/lib/data/npy';
import { writeNpz } from '../../src/lib/data/npz';
import { writeNifti } from '../../src/lib/data/nifti';

export interface MalformedCase {
  /** short id, e.g. 'gz-crc' */
  id: string;
  /** file name (the extension picks the reader) */
  name: string;
  /** what is wrong, for the report */
  what: string;
  bytes: Uint8Array;
  /** the message the reader must give (matched against the error) */
  expect: RegExp;
}

const u8 = (n: number, f: (i: number) => number = (i) => i % 251): Uint8Array => Uint8Array.from({ length: n }, (_, i) => f(i));

/** A small valid NIfTI (8×8×8 uint8) and its bytes. */
export function smallNifti(): Uint8Array {
  return writeNifti({ dtype: 'uint8', shape: [8, 8, 8], data: u8(512) });
}

function patch(b: Uint8Array, f: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const c = b.slice();
  f(new DataView(c.buffer), c);
  return c;
}

/** gzip with the trailer rewritten (CRC, ISIZE). */
function setTrailer(gz: Uint8Array, crc?: number, isize?: number): Uint8Array {
  return patch(gz, (dv, b) => {
    if (crc !== undefined) dv.setUint32(b.length - 8, crc >>> 0, true);
    if (isize !== undefined) dv.setUint32(b.length - 4, isize >>> 0, true);
  });
}

/** gzip framing around a raw deflate stream, with the given trailer. */
export function gzipRaw(deflated: Uint8Array, crc: number, isize: number): Uint8Array {
  const out = new Uint8Array(10 + deflated.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3], 0);
  out.set(deflated, 10);
  const dv = new DataView(out.buffer);
  dv.setUint32(out.length - 8, crc >>> 0, true);
  dv.setUint32(out.length - 4, isize >>> 0, true);
  return out;
}

/**
 * A gzip "bomb" with a lying trailer: a valid NIfTI header declaring 8³ uint8, then `extraMB` of
 * zeros; the trailer claims the small size. ~1 kB compressed per MB of output.
 */
export function lyingNiftiBomb(extraMB: number): Uint8Array {
  const head = smallNifti();
  const body = new Uint8Array(head.length + extraMB * 1024 * 1024);
  body.set(head, 0);
  return gzipRaw(deflateSync(body, { level: 9 }), 0, head.length);
}

/** Upload-format cases (.npy, .nii, .nii.gz): the reader is readUserFile / the upload worker. */
export function uploadCases(): MalformedCase[] {
  const nii = smallNifti();
  const gz = gzipSync(nii);
  const npy = writeNpy({ dtype: 'uint8', shape: [8, 8, 8], data: u8(512) });
  const setF32 = (off: number, v: number) => patch(nii, (dv) => dv.setFloat32(off, v, true));
  const setI16 = (off: number, v: number) => patch(nii, (dv) => dv.setInt16(off, v, true));
  const npyHeader = (dict: string) => {
    const text = dict.padEnd(118, ' ') + '\n';
    const b = new Uint8Array(10 + text.length);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8], 0);
    for (let i = 0; i < text.length; i++) b[10 + i] = text.charCodeAt(i);
    return b;
  };
  const flipped = gz.slice();
  flipped[20] ^= 0x10; // a bit flip inside the deflate data
  return [
    { id: 'empty', name: 'empty.npy', what: 'empty file', bytes: new Uint8Array(0), expect: /the file is empty/ },
    { id: 'npy-magic', name: 'x.npy', what: '.npy with a wrong magic', bytes: u8(200), expect: /not a \.npy file \(wrong magic/ },
    { id: 'npy-short', name: 'short.npy', what: '.npy of 7 bytes', bytes: npy.subarray(0, 7), expect: /truncated: 7 bytes is too short for a \.npy header/ },
    { id: 'npy-header-cut', name: 'cut.npy', what: '.npy cut inside its header', bytes: npy.subarray(0, 40), expect: /truncated header/ },
    { id: 'npy-data-cut', name: 'datacut.npy', what: '.npy cut inside its data', bytes: npy.subarray(0, npy.length - 100), expect: /truncated: header says 8×8×8 uint8/ },
    { id: 'npy-extra', name: 'extra.npy', what: '.npy with more data than its shape', bytes: new Uint8Array([...npy, 1, 2, 3]), expect: /shape disagrees with data/ },
    { id: 'npy-bigendian', name: 'be.npy', what: "big-endian '>f4'", bytes: npyHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (8, 8, 8), }"), expect: /big-endian data is not supported/ },
    { id: 'npy-fortran', name: 'f.npy', what: 'fortran_order True', bytes: npyHeader("{'descr': '|u1', 'fortran_order': True, 'shape': (8, 8, 8), }"), expect: /fortran_order=True is not supported/ },
    { id: 'npy-huge-shape', name: 'huge.npy', what: 'shape declaring 10^21 elements', bytes: npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000, 100), }"), expect: /impossible shape/ },
    { id: 'npy-5gb', name: 'fivegb.npy', what: 'shape declaring 5 GB, 0 bytes of data', bytes: npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (5000, 1000, 1000), }"), expect: /truncated: header says 5000×1000×1000 uint8 \(5\.00 GB\)/ },
    { id: 'npy-dict', name: 'dict.npy', what: 'malformed header dict', bytes: npyHeader("{'descr': '|u1', 'shape': (8,8,8)}"), expect: /malformed \.npy header/ },
    { id: 'npy-complex', name: 'c.npy', what: "unsupported dtype '<c16'", bytes: npyHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (8, 8, 8), }"), expect: /unsupported dtype '<c16'/ },
    { id: 'nii-voxoffset-nan', name: 'nan.nii', what: 'vox_offset NaN', bytes: setF32(108, NaN), expect: /invalid vox_offset NaN/ },
    { id: 'nii-voxoffset-neg', name: 'neg.nii', what: 'vox_offset −352', bytes: setF32(108, -352), expect: /invalid vox_offset -352/ },
    { id: 'nii-voxoffset-inside', name: 'inside.nii', what: 'vox_offset 100 (inside the header)', bytes: setF32(108, 100), expect: /vox_offset 100: it points inside the 348-byte header/ },
    { id: 'nii-voxoffset-huge', name: 'far.nii', what: 'vox_offset 1e9', bytes: setF32(108, 1e9), expect: /truncated: the header says 8 × 8 × 8 uint8/ },
    { id: 'nii-dim-neg', name: 'dneg.nii', what: 'dim[2] = −8', bytes: setI16(44, -8), expect: /invalid dimensions \(8 × -8 × 8\)/ },
    { id: 'nii-ndim', name: 'ndim.nii', what: 'dim[0] = 9', bytes: setI16(40, 9), expect: /invalid number of dimensions 9/ },
    { id: 'nii-overflow', name: 'big.nii', what: 'dims 32767³ (3.5·10^13 voxels)', bytes: patch(nii, (dv) => [42, 44, 46].forEach((o) => dv.setInt16(o, 32767, true))), expect: /too large: 32767 × 32767 × 32767 voxels/ },
    { id: 'nii-slope-nan', name: 'slope.nii', what: 'scl_slope NaN', bytes: setF32(112, NaN), expect: /invalid intensity scaling .*scl_slope NaN/ },
    { id: 'nii-inter-inf', name: 'inter.nii', what: 'scl_inter +Infinity', bytes: setF32(116, Infinity), expect: /invalid intensity scaling .*scl_inter Infinity/ },
    { id: 'nii-4d', name: 'time.nii', what: '4-D with 5 time points', bytes: patch(nii, (dv) => { dv.setInt16(40, 4, true); dv.setInt16(48, 5, true); }), expect: /only 3-D volumes/ },
    { id: 'nii-dtype', name: 'rgb.nii', what: 'datatype RGB24', bytes: setI16(70, 128), expect: /unsupported NIfTI datatype RGB24/ },
    { id: 'nii-v2', name: 'v2.nii', what: 'NIfTI-2 header', bytes: patch(nii, (dv) => dv.setInt32(0, 540, true)), expect: /NIfTI-2 files are not supported/ },
    { id: 'nii-cut', name: 'cut.nii', what: '.nii cut inside its data', bytes: nii.subarray(0, 600), expect: /truncated: the header says 8 × 8 × 8 uint8/ },
    { id: 'gz-crc', name: 'crc.nii.gz', what: 'gzip trailer CRC-32 wrong', bytes: setTrailer(gz, 0xdeadbeef), expect: /CRC-32 mismatch \(trailer deadbeef/ },
    { id: 'gz-bitflip', name: 'flip.nii.gz', what: 'one bit flipped in the deflate data', bytes: flipped, expect: /corrupt gzip|CRC-32 mismatch|truncated|invalid|not a NIfTI|holds more/ },
    { id: 'gz-isize-small', name: 'isize.nii.gz', what: 'trailer ISIZE 100 (true: 864)', bytes: setTrailer(gz, undefined, 100), expect: /the trailer says 100 B uncompressed but the data inflate to 864 B/ },
    { id: 'gz-isize-huge', name: 'isize4g.nii.gz', what: 'trailer ISIZE 4 294 967 295', bytes: setTrailer(gz, undefined, 0xffffffff), expect: /the trailer says 4\.29 GB uncompressed but the data inflate to 864 B/ },
    ...[0.1, 0.5, 0.9].map((f) => ({ id: `gz-cut-${f * 100}`, name: `cut${f * 100}.nii.gz`, what: `.nii.gz cut at ${f * 100}%`, bytes: gz.subarray(0, Math.floor(gz.length * f)), expect: /truncated/ })),
    { id: 'gz-cut-4', name: 'cut4.nii.gz', what: '.nii.gz missing its last 4 bytes', bytes: gz.subarray(0, gz.length - 4), expect: /truncated: the gzip stream ends/ },
    { id: 'gz-cut-header', name: 'hdr.nii.gz', what: '.nii.gz of 6 bytes', bytes: gz.subarray(0, 6), expect: /truncated: 6 bytes is too short for a gzip header/ },
    { id: 'gz-lying-bomb', name: 'bomb.nii.gz', what: '64 MB of zeros behind an 8³ header, trailer claims 864 B', bytes: lyingNiftiBomb(64), expect: /holds more than the 864 B its header declares/ },
    { id: 'gz-not-nifti', name: 'zeros.nii.gz', what: 'gzip of 64 MB of zeros (no NIfTI header)', bytes: gzipSync(new Uint8Array(64 << 20), { level: 9 }), expect: /not a NIfTI-1 file/ },
  ];
}

function npzWith(arrays: Record<string, NdArray>, compress = false): Uint8Array {
  return writeNpz(arrays, { compress });
}

/** Offsets of a one-member zip's fields (as writeNpz writes it: no zip64 unless asked). */
function centralEntry(zip: Uint8Array): number {
  for (let p = zip.length - 22; p >= 0; p--) if (zip[p] === 0x50 && zip[p + 1] === 0x4b && zip[p + 2] === 1 && zip[p + 3] === 2) return p;
  throw new Error('no central directory entry');
}

/** npz cases: the reader is readNpz (keys given where the file has other members). */
export function npzCases(): (MalformedCase & { keys?: string[]; maxMemberBytes?: number })[] {
  const vol = { dtype: 'uint8' as const, shape: [8, 8, 8], data: u8(512) };
  const stored = npzWith({ image: vol });
  const deflated = npzWith({ image: { ...vol, data: new Uint8Array(512) } }, true);
  const cen = (z: Uint8Array) => centralEntry(z);
  const withCentral = (z: Uint8Array, f: (dv: DataView, c: number) => void) => patch(z, (dv) => f(dv, cen(z)));
  const crcFlip = stored.slice();
  crcFlip[30 + 'image.npy'.length + 200] ^= 1;
  return [
    { id: 'npz-5gb', name: 'fivegb.npz', what: 'member declaring 5 GB (zip64 size)', bytes: stored, expect: /fivegb\.npz\/image\.npy: too large: the member declares 5\.00 GB uncompressed/, maxMemberBytes: undefined },
    { id: 'npz-cap', name: 'capped.npz', what: '1 MB member, 100 kB cap (an honest bomb)', bytes: npzWith({ image: { dtype: 'uint8', shape: [1024, 1024], data: new Uint8Array(1 << 20) } }, true), expect: /capped\.npz\/image\.npy: too large: the member declares 1\.0 MB uncompressed \(limit 100\.0 kB\); refusing it before reading/, maxMemberBytes: 100_000 },
    { id: 'npz-lying-bomb', name: 'bomb.npz', what: 'deflated member inflating past its declared size', bytes: withCentral(deflated, (dv, c) => dv.setUint32(c + 24, 300, true)), expect: /bomb\.npz\/image\.npy: corrupt zip: the member inflates to more than the 300 B it declares/ },
    { id: 'npz-truncated', name: 'half.npz', what: 'npz cut in half', bytes: stored.subarray(0, stored.length >> 1), expect: /half\.npz: corrupt or truncated zip: end-of-central-directory record not found/ },
    { id: 'npz-crc', name: 'crc.npz', what: 'a byte flipped in a stored member', bytes: crcFlip, expect: /crc\.npz\/image\.npy: CRC mismatch/ },
    { id: 'npz-deflate-cut', name: 'dcut.npz', what: 'deflated member whose compressed size is cut to 5 bytes', bytes: withCentral(deflated, (dv, c) => dv.setUint32(c + 20, 5, true)), expect: /dcut\.npz\/image\.npy: truncated: the compressed member ends after 5 B/ },
    { id: 'npz-method', name: 'bz.npz', what: 'member compressed with bzip2 (method 12)', bytes: withCentral(stored, (dv, c) => dv.setUint16(c + 10, 12, true)), expect: /bz\.npz\/image\.npy: unsupported zip compression method 12/ },
    { id: 'npz-missing', name: 'nokey.npz', what: 'a needed key is missing', bytes: stored, keys: ['image', 'mask'], expect: /nokey\.npz: missing key mask \(file has: image\)/ },
    { id: 'npz-magic', name: 'text.npz', what: 'a text file named .npz', bytes: new TextEncoder().encode('hello, this is not a zip file at all'), expect: /text\.npz: not a zip\/\.npz file \(wrong magic/ },
  ].map((c) => (c.id === 'npz-5gb' ? { ...c, bytes: declareZip64Size(stored, 5e9) } : c));
}

/**
 * A one-member zip whose central directory declares `size` uncompressed bytes through a zip64
 * extra field (as numpy writes for big members), the data left as they are.
 */
function declareZip64Size(zip: Uint8Array, size: number): Uint8Array {
  const c = centralEntry(zip);
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const nameLen = dv.getUint16(c + 28, true);
  const head = zip.slice(c, c + 46 + nameLen);
  const hv = new DataView(head.buffer);
  hv.setUint32(24, 0xffffffff, true);
  hv.setUint16(30, 12, true);
  const extra = new Uint8Array(12);
  const ev = new DataView(extra.buffer);
  ev.setUint16(0, 1, true);
  ev.setUint16(2, 8, true);
  ev.setUint32(4, size % 2 ** 32, true);
  ev.setUint32(8, Math.floor(size / 2 ** 32), true);
  const eocd = zip.slice(zip.length - 22);
  new DataView(eocd.buffer).setUint32(12, head.length + extra.length, true);
  const out = new Uint8Array(c + head.length + extra.length + 22);
  out.set(zip.subarray(0, c), 0);
  out.set(head, c);
  out.set(extra, c + head.length);
  out.set(eocd, c + head.length + extra.length);
  return out;
}

/**
 * Files that parse but hold intensities no scanner writes: each must be refused by
 * prepareUserVolume (the explorer's upload worker and `npm run explain -- --file`) with the reason.
 * The NIfTI slope is refused already by the header reader.
 */
export function implausibleCases(): MalformedCase[] {
  const n = 16 ** 3;
  const f64 = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1.7e308 : (i % 13) * 1e300));
  const i32 = Int32Array.from({ length: n }, (_, i) => (i % 2 ? 2_100_000_000 : -2_100_000_000) + (i % 11));
  const hu = Int16Array.from({ length: n }, (_, i) => (i % 3 ? 40 + (i % 50) : -1000));
  return [
    { id: 'range-f64', name: 'huge.npy', what: 'float64 values up to 1.7e308', bytes: writeNpy({ dtype: 'float64', shape: [16, 16, 16], data: f64 }), expect: /implausible intensities: values reach 1\.7e308/ },
    { id: 'range-i32', name: 'int32.npy', what: 'int32 values ±2.1e9', bytes: writeNpy({ dtype: 'int32', shape: [16, 16, 16], data: i32 }), expect: /implausible intensities: values reach -?2\.1e9 \(range -2\.1e9 … 2\.1e9\)/ },
    { id: 'range-slope', name: 'slope1e30.nii', what: 'NIfTI scl_slope 1e30', bytes: writeNifti({ dtype: 'int16', shape: [16, 16, 16], data: hu }, { slope: 1e30 }), expect: /implausible intensity scaling in the header \(scl_slope 1\.00e\+30/ },
    { id: 'range-hu', name: 'hu40k.nii', what: 'int16 "HU" from −32,000 to +32,000', bytes: writeNifti({ dtype: 'int16', shape: [16, 16, 16], data: Int16Array.from({ length: n }, (_, i) => ((i * 7919) % 64000) - 32000) }), expect: /implausible Hounsfield units: .*% of voxels lie outside −1,100 … \+4,000 HU/ },
  ];
}
