/**
 * NumPy `.npy` reader/writer (format versions 1.0, 2.0 and 3.0 read; 1.0 or 2.0 written).
 * Pure TypeScript: works in the browser and in Node.
 *
 * Supported dtypes: uint8, int8, int16, uint16, int32, float32, float64, int64, bool.
 * Little-endian only (and byte-order-free 1-byte types), C order only.
 */

export type DType =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'float32'
  | 'float64'
  | 'int64'
  | 'bool';

export type TypedData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array;

export interface NdArray {
  dtype: DType;
  shape: number[];
  data: TypedData;
}

/** Error for malformed / unsupported data files. The message always names the file. */
export class DataFormatError extends Error {
  constructor(
    public readonly file: string,
    public readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DataFormatError';
  }
}

interface DTypeInfo {
  descr: string; // what we write
  size: number;
  ctor: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedData;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  uint8: { descr: '|u1', size: 1, ctor: Uint8Array as never },
  int8: { descr: '|i1', size: 1, ctor: Int8Array as never },
  bool: { descr: '|b1', size: 1, ctor: Uint8Array as never },
  int16: { descr: '<i2', size: 2, ctor: Int16Array as never },
  uint16: { descr: '<u2', size: 2, ctor: Uint16Array as never },
  int32: { descr: '<i4', size: 4, ctor: Int32Array as never },
  float32: { descr: '<f4', size: 4, ctor: Float32Array as never },
  float64: { descr: '<f8', size: 8, ctor: Float64Array as never },
  int64: { descr: '<i8', size: 8, ctor: BigInt64Array as never },
};

const DESCR_TO_DTYPE: Record<string, DType> = {
  '|u1': 'uint8', '<u1': 'uint8', '=u1': 'uint8', '>u1': 'uint8', u1: 'uint8',
  '|i1': 'int8', '<i1': 'int8', '=i1': 'int8', '>i1': 'int8', i1: 'int8',
  '|b1': 'bool', '<b1': 'bool', '=b1': 'bool', b1: 'bool',
  '<i2': 'int16', '<u2': 'uint16', '<i4': 'int32', '<f4': 'float32', '<f8': 'float64', '<i8': 'int64',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Human-readable byte count, e.g. "254.5 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function describeShape(shape: readonly number[], dtype: string): string {
  return `${shape.length ? shape.join('×') : 'scalar'} ${dtype}`;
}

export interface NpyHeader {
  dtype: DType;
  shape: number[];
  /** byte offset of the data within the .npy bytes */
  dataOffset: number;
  version: number;
}

/** Parse just the header of a .npy file (throws DataFormatError). */
export function readNpyHeader(bytes: Uint8Array, name = 'array.npy'): NpyHeader {
  if (bytes.length < 10) {
    throw new DataFormatError(name, `truncated: ${bytes.length} bytes is too short for a .npy header`);
  }
  for (let i = 0; i < 6; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new DataFormatError(name, `not a .npy file (wrong magic: expected \\x93NUMPY, got ${hexPrefix(bytes)})`);
    }
  }
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataFormatError(name, 'truncated: header length field is cut off');
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 0x1000000;
    start = 12;
  } else {
    throw new DataFormatError(name, `unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (start + headerLen > bytes.length) {
    throw new DataFormatError(
      name,
      `truncated header: header says ${headerLen} bytes but only ${bytes.length - start} follow`,
    );
  }
  let header = '';
  const hb = bytes.subarray(start, start + headerLen);
  if (major === 3) header = new TextDecoder('utf-8').decode(hb);
  else for (let i = 0; i < hb.length; i++) header += String.fromCharCode(hb[i]);

  const descrM = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(header);
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrM || !fortranM || !shapeM) {
    throw new DataFormatError(name, `malformed .npy header ${JSON.stringify(header.trim().slice(0, 120))}`);
  }
  const descr = descrM[2];
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) {
    const big = descr.startsWith('>') ? ' (big-endian data is not supported)' : '';
    throw new DataFormatError(
      name,
      `unsupported dtype '${descr}'${big}; supported: ${Object.keys(DTYPES).join(', ')}`,
    );
  }
  if (fortranM[1] === 'True') {
    throw new DataFormatError(name, 'fortran_order=True is not supported (save with C order: np.ascontiguousarray)');
  }
  const shape: number[] = [];
  for (const part of shapeM[1].split(',')) {
    const t = part.trim().replace(/L$/, '');
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw new DataFormatError(name, `malformed shape (${shapeM[1]}) in .npy header`);
    shape.push(Number(t));
  }
  return { dtype, shape, dataOffset: start + headerLen, version: major };
}

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Read a .npy file. The returned data is a zero-copy view into `bytes` when the data is
 * suitably aligned (always for 1-byte dtypes), else a copy.
 */
export function readNpy(bytes: Uint8Array, name = 'array.npy'): NdArray {
  const h = readNpyHeader(bytes, name);
  const info = DTYPES[h.dtype];
  const count = shapeSize(h.shape);
  const need = count * info.size;
  if (!Number.isSafeInteger(need)) {
    throw new DataFormatError(name, `header declares an impossible shape ${describeShape(h.shape, h.dtype)} (more than 2^53 bytes)`);
  }
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw new DataFormatError(
      name,
      `truncated: header says ${describeShape(h.shape, h.dtype)} (${formatBytes(need)}) but only ${formatBytes(have)} follow`,
    );
  }
  if (have > need) {
    throw new DataFormatError(
      name,
      `shape disagrees with data: header says ${describeShape(h.shape, h.dtype)} (${need} bytes) but ${have} bytes follow`,
    );
  }
  const abs = bytes.byteOffset + h.dataOffset;
  let data: TypedData;
  if (abs % info.size === 0) {
    data = new info.ctor(bytes.buffer, abs, count);
  } else {
    const copy = new Uint8Array(need);
    copy.set(bytes.subarray(h.dataOffset, h.dataOffset + need));
    data = new info.ctor(copy.buffer, 0, count);
  }
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Build the header bytes (magic + version + len + dict, padded to 64). */
export function npyHeaderBytes(dtype: DType, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let version = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    version = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - pre;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) {
    out[8] = headerLen & 0xff;
    out[9] = headerLen >> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLen, true);
  }
  let p = pre;
  for (let i = 0; i < dict.length; i++) out[p++] = dict.charCodeAt(i);
  while (p < total - 1) out[p++] = 0x20;
  out[total - 1] = 0x0a;
  return out;
}

function checkArray(arr: NdArray, name: string): void {
  const info = DTYPES[arr.dtype];
  if (!info) throw new DataFormatError(name, `unsupported dtype '${arr.dtype}'`);
  const n = shapeSize(arr.shape);
  if (arr.data.length !== n) {
    throw new DataFormatError(
      name,
      `shape disagrees with data: shape ${describeShape(arr.shape, arr.dtype)} needs ${n} elements but data has ${arr.data.length}`,
    );
  }
  if (arr.data.BYTES_PER_ELEMENT !== info.size) {
    throw new DataFormatError(name, `data array element size ${arr.data.BYTES_PER_ELEMENT} does not match dtype ${arr.dtype}`);
  }
}

/** Serialise to .npy bytes (version 1.0 header unless it would not fit, as numpy does). */
export function writeNpy(arr: NdArray, name = 'array.npy'): Uint8Array {
  checkArray(arr, name);
  const header = npyHeaderBytes(arr.dtype, arr.shape);
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** Header + body parts without concatenating (for streaming writers). */
export function npyParts(arr: NdArray, name = 'array.npy'): [Uint8Array, Uint8Array] {
  checkArray(arr, name);
  return [
    npyHeaderBytes(arr.dtype, arr.shape),
    new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength),
  ];
}
