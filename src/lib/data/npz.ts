/**
 * NumPy `.npz` (zip of .npy members) reader/writer, as numpy's `savez` (stored) and
 * `savez_compressed` (deflated) write them, including zip64 extra fields (numpy always
 * forces zip64 in local headers). Pure TypeScript (fflate for deflate); browser + Node.
 */
import { deflateSync } from 'fflate';
import { crc32 } from './crc32';
import { inflateRawLimited } from './inflate';
import { DataFormatError, formatBytes, npyParts, readNpy, type NdArray } from './npy';

// ---------------------------------------------------------------- reading
export interface NpzEntry {
  /** member file name inside the zip, e.g. "train_images.npy" */
  file: string;
  /** key as numpy exposes it (file name without ".npy") */
  key: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_Z64_LOC = 0x07064b50;
const SIG_Z64_EOCD = 0x06064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;

function dv(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(v: DataView, off: number): number {
  const lo = v.getUint32(off, true);
  const hi = v.getUint32(off + 4, true);
  return hi * 0x100000000 + lo;
}

/** List the members of an .npz (from the zip central directory). */
export function listNpz(bytes: Uint8Array, name: string): NpzEntry[] {
  const v = dv(bytes);
  const n = bytes.length;
  if (n < 22) throw new DataFormatError(name, `truncated or not a zip/.npz file (${n} bytes)`);
  if (n >= 4 && v.getUint32(0, true) !== SIG_LOC && v.getUint32(0, true) !== SIG_EOCD) {
    throw new DataFormatError(name, `not a zip/.npz file (wrong magic ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (v.getUint32(p, true) === SIG_EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw new DataFormatError(name, 'corrupt or truncated zip: end-of-central-directory record not found');
  }
  let count = v.getUint16(eocd + 10, true);
  let cdSize = v.getUint32(eocd + 12, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || v.getUint32(loc, true) !== SIG_Z64_LOC) {
      throw new DataFormatError(name, 'corrupt zip: zip64 end-of-central-directory locator missing');
    }
    const z = u64(v, loc + 8);
    if (z + 56 > n || v.getUint32(z, true) !== SIG_Z64_EOCD) {
      throw new DataFormatError(name, 'corrupt zip: zip64 end-of-central-directory record missing');
    }
    count = u64(v, z + 32);
    cdSize = u64(v, z + 40);
    cdOffset = u64(v, z + 48);
  }
  if (cdOffset + cdSize > n) {
    throw new DataFormatError(
      name,
      `truncated zip: central directory at ${cdOffset} (+${cdSize} bytes) lies beyond the end of the file (${formatBytes(n)})`,
    );
  }
  const entries: NpzEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > n || v.getUint32(p, true) !== SIG_CEN) {
      throw new DataFormatError(name, `corrupt zip: central directory entry ${i} is damaged`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let csize = v.getUint32(p + 20, true);
    let usize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let off = v.getUint32(p + 42, true);
    const fnBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    const file = flags & 0x800 ? new TextDecoder().decode(fnBytes) : String.fromCharCode(...fnBytes);
    // zip64 extended information
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (e + 4 + len > eEnd || eEnd > n) throw new DataFormatError(`${name}/${file}`, 'corrupt zip: an extra field runs past its entry');
      if (id === 0x0001) {
        let q = e + 4;
        const need = (usize === 0xffffffff ? 8 : 0) + (csize === 0xffffffff ? 8 : 0) + (off === 0xffffffff ? 8 : 0);
        if (need > len) throw new DataFormatError(`${name}/${file}`, 'corrupt zip: zip64 extra field is too short');
        if (usize === 0xffffffff) { usize = u64(v, q); q += 8; }
        if (csize === 0xffffffff) { csize = u64(v, q); q += 8; }
        if (off === 0xffffffff) { off = u64(v, q); q += 8; }
      }
      e += 4 + len;
    }
    if (flags & 1) throw new DataFormatError(`${name}/${file}`, 'encrypted zip members are not supported');
    entries.push({
      file,
      key: file.endsWith('.npy') ? file.slice(0, -4) : file,
      method,
      crc,
      compressedSize: csize,
      size: usize,
      localHeaderOffset: off,
    });
    p = eEnd + commentLen;
  }
  return entries;
}

export interface ReadNpzOptions {
  /** only decode these keys; other members (a README, an array this code does not need) are ignored; a missing requested key is an error */
  keys?: string[];
  /** with `keys`: also decode these when the file has them */
  optional?: string[];
  /** largest uncompressed member accepted (default NPZ_MAX_MEMBER_BYTES) */
  maxMemberBytes?: number;
}

/**
 * Default cap on one member's uncompressed size: the largest real member (OrganMNIST3D 64³
 * train_images, 972 × 64³ uint8) is 255 MB; 2 GiB is also where typed arrays stop in browsers.
 */
export const NPZ_MAX_MEMBER_BYTES = 2 ** 31 - 1;

/** Raw (decompressed, CRC-checked) member bytes; sizes are checked before and during inflation. */
export function npzMemberBytes(bytes: Uint8Array, name: string, e: NpzEntry, maxBytes = NPZ_MAX_MEMBER_BYTES): Uint8Array {
  const v = dv(bytes);
  const where = `${name}/${e.file}`;
  if (e.size > maxBytes) {
    throw new DataFormatError(where, `too large: the member declares ${formatBytes(e.size)} uncompressed (limit ${formatBytes(maxBytes)}); refusing it before reading`);
  }
  const lo = e.localHeaderOffset;
  if (lo + 30 > bytes.length || v.getUint32(lo, true) !== SIG_LOC) {
    throw new DataFormatError(where, 'corrupt zip: local file header not found where the central directory points');
  }
  const start = lo + 30 + v.getUint16(lo + 26, true) + v.getUint16(lo + 28, true);
  if (start + e.compressedSize > bytes.length) {
    throw new DataFormatError(
      where,
      `truncated: member needs ${formatBytes(e.compressedSize)} but only ${formatBytes(Math.max(0, bytes.length - start))} follow`,
    );
  }
  const raw = bytes.subarray(start, start + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) throw new DataFormatError(where, 'corrupt zip: stored member sizes disagree');
    out = raw;
  } else if (e.method === 8) {
    out = inflateRawLimited(raw, where, { expected: e.size, max: maxBytes });
  } else {
    throw new DataFormatError(where, `unsupported zip compression method ${e.method} (only stored and deflate)`);
  }
  const c = crc32(out);
  if (c !== e.crc) {
    throw new DataFormatError(
      where,
      `CRC mismatch (corrupt file): expected ${e.crc.toString(16).padStart(8, '0')}, got ${c.toString(16).padStart(8, '0')}`,
    );
  }
  return out;
}

/**
 * Read an .npz. Stored members become zero-copy views of `bytes` where alignment allows;
 * deflated members are inflated into right-sized buffers. Without `keys`, every `.npy` member is
 * read and other members are ignored.
 */
export function readNpz(bytes: Uint8Array, name: string, opts: ReadNpzOptions = {}): Record<string, NdArray> {
  const entries = listNpz(bytes, name);
  const want = opts.keys ? new Set([...opts.keys, ...(opts.optional ?? [])]) : null;
  if (opts.keys) {
    const have = new Set(entries.map((e) => e.key));
    const missing = opts.keys.filter((k) => !have.has(k));
    if (missing.length) {
      throw new DataFormatError(
        name,
        `missing key${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (file has: ${[...have].join(', ') || 'nothing'})`,
      );
    }
  }
  const out: Record<string, NdArray> = {};
  for (const e of entries) {
    if (want ? !want.has(e.key) : !e.file.endsWith('.npy')) continue;
    const member = npzMemberBytes(bytes, name, e, opts.maxMemberBytes);
    out[e.key] = readNpy(member, `${name}/${e.file}`);
  }
  return out;
}

// ---------------------------------------------------------------- writing
export interface WriteNpzOptions {
  /** deflate members (like np.savez_compressed); default false (like np.savez) */
  compress?: boolean;
  /** deflate level 1..9 (default 6) */
  level?: number;
}

interface Member {
  nameBytes: Uint8Array;
  parts: Uint8Array[];
  method: number;
  crc: number;
  size: number;
  csize: number;
}

function prepareMembers(arrays: Record<string, NdArray>, opts: WriteNpzOptions): Member[] {
  const members: Member[] = [];
  for (const [key, arr] of Object.entries(arrays)) {
    const file = `${key}.npy`;
    const [h, body] = npyParts(arr, file);
    const size = h.length + body.length;
    let crc = crc32(h);
    crc = crc32(body, crc);
    let parts: Uint8Array[] = [h, body];
    let csize = size;
    let method = 0;
    if (opts.compress) {
      const whole = new Uint8Array(size);
      whole.set(h, 0);
      whole.set(body, h.length);
      const level = (opts.level ?? 6) as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
      const c = deflateSync(whole, { level });
      parts = [c];
      csize = c.length;
      method = 8;
    }
    members.push({ nameBytes: new TextEncoder().encode(file), parts, method, crc, size, csize });
  }
  return members;
}

/**
 * Produce the zip as a list of chunks (no big concatenation). Classic zip only: the datasets stay
 * far below zip64's limits (4 GiB per member or archive, 65535 members), so past them it refuses
 * rather than write a zip64 archive that nothing here needs. (The reader handles zip64: numpy
 * always writes zip64 local headers.)
 */
export function npzChunks(arrays: Record<string, NdArray>, opts: WriteNpzOptions = {}): Uint8Array[] {
  const members = prepareMembers(arrays, opts);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const central: Uint8Array[] = [];
  const LIM = 0xffffffff;
  const tooBig = (what: string): never => {
    throw new Error(`cannot write this npz: ${what} (zip64 territory, which this writer does not produce)`);
  };
  if (members.length >= 0xffff) tooBig(`${members.length} arrays`);
  // fixed DOS time: 1980-01-01 00:00 (deterministic output)
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const m of members) {
    const file = new TextDecoder().decode(m.nameBytes);
    if (m.size >= LIM || m.csize >= LIM) tooBig(`${file} is 4 GiB or more`);
    if (offset >= LIM) tooBig(`${file} starts beyond 4 GiB`);
    const lh = new Uint8Array(30 + m.nameBytes.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, SIG_LOC, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0, true);
    lv.setUint16(8, m.method, true);
    lv.setUint16(10, dosTime, true);
    lv.setUint16(12, dosDate, true);
    lv.setUint32(14, m.crc, true);
    lv.setUint32(18, m.csize, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, m.nameBytes.length, true);
    lv.setUint16(28, 0, true);
    lh.set(m.nameBytes, 30);
    const localOffset = offset;
    chunks.push(lh);
    offset += lh.length;
    for (const p of m.parts) {
      chunks.push(p);
      offset += p.length;
    }
    // central directory entry
    const ch = new Uint8Array(46 + m.nameBytes.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, SIG_CEN, true);
    cv.setUint16(4, (3 << 8) | 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0, true);
    cv.setUint16(10, m.method, true);
    cv.setUint16(12, dosTime, true);
    cv.setUint16(14, dosDate, true);
    cv.setUint32(16, m.crc, true);
    cv.setUint32(20, m.csize, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, m.nameBytes.length, true);
    cv.setUint16(30, 0, true);
    cv.setUint32(38, (0o100644 << 16) >>> 0, true);
    cv.setUint32(42, localOffset, true);
    ch.set(m.nameBytes, 46);
    central.push(ch);
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const c of central) {
    chunks.push(c);
    cdSize += c.length;
  }
  if (cdOffset + cdSize >= LIM) tooBig('the archive is 4 GiB or more');
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, cdOffset, true);
  chunks.push(e);
  return chunks;
}

/** Serialise arrays (key → array) to .npz bytes. */
export function writeNpz(arrays: Record<string, NdArray>, opts: WriteNpzOptions = {}): Uint8Array {
  const chunks = npzChunks(arrays, opts);
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
