/**
 * NIfTI-1 reader (.nii and .nii.gz), browser-safe (fflate for gzip). No DOM.
 *
 * Supported: single-file NIfTI-1 (magic "n+1"), little- and big-endian, datatypes
 * uint8, int8, int16, uint16, int32, float32, float64; scl_slope/scl_inter applied;
 * 3-D volumes (or 4-D/5-D with every extra dimension of size 1).
 * The result is an NdArray of shape [nz, ny, nx] in C order (NIfTI stores x fastest,
 * which is exactly C order for [z][y][x]) — float32 when scaling applies, else the
 * file's own integer/float type (converted to native endianness).
 * Anything else throws a DataFormatError that says what is wrong.
 */
import { DataFormatError, formatBytes, type NdArray, type DType } from './npy';
import { gunzipLimited, isGzip } from './inflate';

export const NIFTI1_HEADER_SIZE = 348;

/** NIfTI datatype code → [our dtype, bytes per voxel]. */
const NIFTI_DTYPES: Record<number, [DType, number]> = {
  2: ['uint8', 1],
  4: ['int16', 2],
  8: ['int32', 4],
  16: ['float32', 4],
  64: ['float64', 8],
  256: ['int8', 1],
  512: ['uint16', 2],
};
const NIFTI_DTYPE_NAMES: Record<number, string> = {
  1: 'binary', 32: 'complex64', 128: 'RGB24', 768: 'uint32', 1024: 'int64', 1280: 'uint64',
  1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'RGBA32',
};

export interface NiftiLimits {
  /** largest number of voxels accepted (default 512³) */
  maxVoxels?: number;
  /** largest decompressed size in bytes (default 256 MB) */
  maxBytes?: number;
}
export const DEFAULT_MAX_VOXELS = 512 ** 3;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** scl_slope or |scl_inter| at or above this is refused: real scalings are ~1e-3 … 1e3 (CT: 1 and −1024). */
export const NIFTI_MAX_SLOPE = 1e6;

export interface NiftiVolume extends NdArray {
  /** voxel size (mm) along x, y, z */
  pixdim: [number, number, number];
  littleEndian: boolean;
  /** original datatype name */
  sourceDtype: DType;
}

/** Does this look like a NIfTI-1 header (either endianness)? */
export function looksLikeNifti(bytes: Uint8Array): boolean {
  if (bytes.length < NIFTI1_HEADER_SIZE) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dv.getInt32(0, true) === 348 || dv.getInt32(0, false) === 348;
}

export interface NiftiHeader {
  littleEndian: boolean;
  /** nx, ny, nz */
  dims: [number, number, number];
  dtype: DType;
  bytesPerVoxel: number;
  /** byte offset of the first voxel */
  dataOffset: number;
  /** bytes of voxel data the header declares */
  dataBytes: number;
  slope: number;
  inter: number;
  pixdim: [number, number, number];
}

/**
 * Parse and validate the 348-byte NIfTI-1 header: every field used to locate or scale the data is
 * checked (NaN, negative, out of range), so a damaged header is refused instead of reading header
 * bytes as voxels.
 */
export function readNiftiHeader(bytes: Uint8Array, name = 'volume.nii', limits: NiftiLimits = {}): NiftiHeader {
  const maxVoxels = limits.maxVoxels ?? DEFAULT_MAX_VOXELS;
  if (bytes.length < NIFTI1_HEADER_SIZE) {
    throw new DataFormatError(name, `not a NIfTI file: ${bytes.length} bytes is shorter than the 348-byte NIfTI-1 header`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (dv.getInt32(0, true) === 348) le = true;
  else if (dv.getInt32(0, false) === 348) le = false;
  else if (dv.getInt32(0, true) === 540 || dv.getInt32(0, false) === 540) {
    throw new DataFormatError(name, 'NIfTI-2 files are not supported (save as NIfTI-1)');
  } else throw new DataFormatError(name, 'not a NIfTI-1 file (sizeof_hdr is not 348)');
  const magic = String.fromCharCode(bytes[344], bytes[345], bytes[346]);
  if (magic === 'ni1') throw new DataFormatError(name, 'two-file NIfTI (.hdr + .img) is not supported: save as a single .nii or .nii.gz');
  if (magic !== 'n+1') throw new DataFormatError(name, `bad NIfTI magic "${magic.replace(/[^\x20-\x7e]/g, '?')}" (expected "n+1")`);

  const ndim = dv.getInt16(40, le);
  if (ndim < 1 || ndim > 7) throw new DataFormatError(name, `invalid number of dimensions ${ndim} (dim[0] must be 1–7)`);
  const dims: number[] = [];
  for (let i = 1; i <= ndim; i++) dims.push(dv.getInt16(40 + 2 * i, le));
  if (dims.some((d) => d < 1)) throw new DataFormatError(name, `invalid dimensions (${dims.join(' × ')}): every dimension must be at least 1`);
  if (ndim < 3) throw new DataFormatError(name, `is ${ndim}-D (${dims.join(' × ')}); a 3-D volume is needed`);
  if (dims.slice(3).some((d) => d !== 1)) {
    throw new DataFormatError(name, `is ${ndim}-D (${dims.join(' × ')}); only 3-D volumes (or 4-D with one time point) are supported`);
  }
  const [nx, ny, nz] = dims;
  const code = dv.getInt16(70, le);
  const dt = NIFTI_DTYPES[code];
  if (!dt) {
    const nm = NIFTI_DTYPE_NAMES[code] ?? `code ${code}`;
    throw new DataFormatError(name, `unsupported NIfTI datatype ${nm}; supported: uint8, int8, int16, uint16, int32, float32, float64`);
  }
  const [dtype, size] = dt;
  const count = nx * ny * nz; // each ≤ 32767 (int16): the product is an exact integer
  if (count > maxVoxels) {
    throw new DataFormatError(name, `too large: ${nx} × ${ny} × ${nz} voxels (limit ${Math.round(Math.cbrt(maxVoxels))}³)`);
  }
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (count * size > maxBytes) {
    throw new DataFormatError(name, `too large: ${nx} × ${ny} × ${nz} ${dtype} is ${formatBytes(count * size)} (limit ${formatBytes(maxBytes)})`);
  }
  const rawOffset = dv.getFloat32(108, le);
  if (!Number.isFinite(rawOffset) || rawOffset < 0 || !Number.isInteger(rawOffset)) {
    throw new DataFormatError(name, `invalid vox_offset ${rawOffset} in the header (must be a whole number of bytes ≥ 352): the header is damaged`);
  }
  // vox_offset 0 is what some old writers put in single-file NIfTI; the data then follow the 4 extension bytes
  const dataOffset = rawOffset === 0 ? 352 : rawOffset;
  if (dataOffset < NIFTI1_HEADER_SIZE) {
    throw new DataFormatError(name, `invalid vox_offset ${rawOffset}: it points inside the 348-byte header, so the header would be read as voxels`);
  }
  const slope = dv.getFloat32(112, le);
  const inter = dv.getFloat32(116, le);
  if (!Number.isFinite(slope) || !Number.isFinite(inter)) {
    throw new DataFormatError(name, `invalid intensity scaling in the header (scl_slope ${slope}, scl_inter ${inter}): both must be finite numbers`);
  }
  // a slope this large turns any stored value into intensities no scanner writes (CT: −1,024 … a few thousand HU)
  if (Math.abs(slope) >= NIFTI_MAX_SLOPE || Math.abs(inter) >= NIFTI_MAX_SLOPE) {
    throw new DataFormatError(
      name,
      `implausible intensity scaling in the header (scl_slope ${slope.toPrecision(3)}, scl_inter ${inter.toPrecision(3)}): a slope or intercept of ${NIFTI_MAX_SLOPE.toExponential(0).replace('e+', 'e')} or more gives intensities no scanner writes; the header is damaged`,
    );
  }
  // pixdim is reported, not used to resample (the model sees a cube crop); a damaged one becomes 1 mm
  const pd = [80, 84, 88].map((o) => dv.getFloat32(o, le)).map((v) => (Number.isFinite(v) && v > 0 ? v : 1));
  return {
    littleEndian: le,
    dims: [nx, ny, nz],
    dtype,
    bytesPerVoxel: size,
    dataOffset,
    dataBytes: count * size,
    // NIfTI: scl_slope 0 means "no scaling"
    slope: slope === 0 ? 1 : slope,
    inter: slope === 0 ? 0 : inter,
    pixdim: pd as [number, number, number],
  };
}

/** The full file size the header declares (offset + voxel data): the cap for inflating a .nii.gz. */
export function niftiDeclaredBytes(h: NiftiHeader): number {
  return h.dataOffset + h.dataBytes;
}

/**
 * The `declare` hook of a BoundedGunzip inflating a .nii.gz: once the header has been inflated it
 * is validated and the output cap tightens to the size it declares, so a stream that holds more
 * than its header says is aborted there instead of inflating on.
 */
export function niftiDeclare(name: string, limits: NiftiLimits = {}): (head: Uint8Array) => number | null {
  return (head) => (head.length < NIFTI1_HEADER_SIZE ? null : niftiDeclaredBytes(readNiftiHeader(head, name, limits)));
}

/** Parse NIfTI-1 bytes (.nii, or .nii.gz — gzip is detected from the bytes). */
export function readNifti(input: Uint8Array, name = 'volume.nii', limits: NiftiLimits = {}): NiftiVolume {
  const bytes = isGzip(input) ? gunzipLimited(input, name, limits.maxBytes ?? DEFAULT_MAX_BYTES, niftiDeclare(name, limits)) : input;
  return niftiFromBytes(bytes, name, limits);
}

/** Parse uncompressed NIfTI-1 bytes. */
export function niftiFromBytes(bytes: Uint8Array, name: string, limits: NiftiLimits = {}): NiftiVolume {
  const h = readNiftiHeader(bytes, name, limits);
  const [nx, ny, nz] = h.dims;
  const start = h.dataOffset;
  if (bytes.length < start + h.dataBytes) {
    throw new DataFormatError(
      name,
      `truncated: the header says ${nx} × ${ny} × ${nz} ${h.dtype} (${formatBytes(h.dataBytes)}) from byte ${start}, but the file has ${formatBytes(Math.max(0, bytes.length - start))} of data`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scaled = h.slope !== 1 || h.inter !== 0;
  const outDtype: DType = scaled ? 'float32' : h.dtype;
  const data = readTyped(dv, start, nx * ny * nz, h.dtype, h.littleEndian, h.slope, h.inter, outDtype);
  return { dtype: outDtype, shape: [nz, ny, nx], data, pixdim: h.pixdim, littleEndian: h.littleEndian, sourceDtype: h.dtype };
}

function readTyped(dv: DataView, off: number, n: number, dtype: DType, le: boolean, slope: number, inter: number, outDtype: DType): NdArray['data'] {
  const out =
    outDtype === 'float32' ? new Float32Array(n)
    : outDtype === 'float64' ? new Float64Array(n)
    : outDtype === 'uint8' ? new Uint8Array(n)
    : outDtype === 'int8' ? new Int8Array(n)
    : outDtype === 'int16' ? new Int16Array(n)
    : outDtype === 'uint16' ? new Uint16Array(n)
    : new Int32Array(n);
  const get: (o: number) => number =
    dtype === 'uint8' ? (o) => dv.getUint8(o)
    : dtype === 'int8' ? (o) => dv.getInt8(o)
    : dtype === 'int16' ? (o) => dv.getInt16(o, le)
    : dtype === 'uint16' ? (o) => dv.getUint16(o, le)
    : dtype === 'int32' ? (o) => dv.getInt32(o, le)
    : dtype === 'float32' ? (o) => dv.getFloat32(o, le)
    : (o) => dv.getFloat64(o, le);
  const step = dtype === 'uint8' || dtype === 'int8' ? 1 : dtype === 'int16' || dtype === 'uint16' ? 2 : dtype === 'float64' ? 8 : 4;
  for (let i = 0, o = off; i < n; i++, o += step) out[i] = get(o) * slope + inter;
  return out as NdArray['data'];
}

/** Write a minimal single-file NIfTI-1 (for tests and tools). `shape` is [nz, ny, nx], data C order. */
export function writeNifti(
  arr: { dtype: DType; shape: number[]; data: ArrayLike<number> },
  opts: { littleEndian?: boolean; slope?: number; inter?: number; pixdim?: [number, number, number] } = {},
): Uint8Array {
  const le = opts.littleEndian ?? true;
  const code = Number(Object.entries(NIFTI_DTYPES).find(([, v]) => v[0] === arr.dtype)?.[0]);
  if (!code) throw new Error(`writeNifti: unsupported dtype ${arr.dtype}`);
  const size = NIFTI_DTYPES[code][1];
  const dimsC = arr.shape;
  const dims = [...dimsC].reverse(); // nx, ny, nz, ...
  const n = arr.data.length;
  const buf = new Uint8Array(352 + n * size);
  const dv = new DataView(buf.buffer);
  dv.setInt32(0, 348, le);
  dv.setInt16(40, dims.length, le);
  dims.forEach((d, i) => dv.setInt16(42 + 2 * i, d, le));
  for (let i = dims.length; i < 7; i++) dv.setInt16(42 + 2 * i, 1, le);
  dv.setInt16(70, code, le);
  dv.setInt16(72, size * 8, le);
  const pd = opts.pixdim ?? [1, 1, 1];
  dv.setFloat32(76, 1, le);
  pd.forEach((p, i) => dv.setFloat32(80 + 4 * i, p, le));
  dv.setFloat32(108, 352, le);
  dv.setFloat32(112, opts.slope ?? 0, le);
  dv.setFloat32(116, opts.inter ?? 0, le);
  buf.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  const set: (o: number, v: number) => void =
    arr.dtype === 'uint8' ? (o, v) => dv.setUint8(o, v)
    : arr.dtype === 'int8' ? (o, v) => dv.setInt8(o, v)
    : arr.dtype === 'int16' ? (o, v) => dv.setInt16(o, v, le)
    : arr.dtype === 'uint16' ? (o, v) => dv.setUint16(o, v, le)
    : arr.dtype === 'int32' ? (o, v) => dv.setInt32(o, v, le)
    : arr.dtype === 'float32' ? (o, v) => dv.setFloat32(o, v, le)
    : (o, v) => dv.setFloat64(o, v, le);
  for (let i = 0; i < n; i++) set(352 + i * size, arr.data[i]);
  return buf;
}
