/**
 * Test-only: rewrites a classic zip (as writeNpz makes) into the zip64 form, so the npz reader's
 * zip64 paths (extra fields in local and central headers, the zip64 end-of-central-directory record
 * and locator) are tested without the library carrying a zip64 writer that nothing else uses.
 */
const LIM = 0xffffffff;

function u64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, x % 0x100000000, true);
  v.setUint32(4, Math.floor(x / 0x100000000), true);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

/** zip64 extra field (id 1) holding the given 64-bit values in order. */
function z64Extra(values: number[]): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint16(0, 1, true);
  new DataView(h.buffer).setUint16(2, 8 * values.length, true);
  return concat([h, ...values.map(u64)]);
}

export function toZip64(zip: Uint8Array): Uint8Array {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  if (v.getUint32(eocd, true) !== 0x06054b50) throw new Error('toZip64: expects a classic zip without a comment');
  const count = v.getUint16(eocd + 10, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let written = 0;
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const csize = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const lo = v.getUint32(p + 42, true);
    // local header: sizes move into a zip64 extra field
    const lNameLen = v.getUint16(lo + 26, true);
    const lExtraLen = v.getUint16(lo + 28, true);
    const lExtra = z64Extra([size, csize]);
    const lh = zip.slice(lo, lo + 30 + lNameLen);
    const lv = new DataView(lh.buffer);
    lv.setUint16(4, 45, true);
    lv.setUint32(18, LIM, true);
    lv.setUint32(22, LIM, true);
    lv.setUint16(28, lExtraLen + lExtra.length, true);
    const dataStart = lo + 30 + lNameLen + lExtraLen;
    const newOffset = written;
    const local = concat([lh, lExtra, zip.subarray(lo + 30 + lNameLen, dataStart), zip.subarray(dataStart, dataStart + csize)]);
    out.push(local);
    written += local.length;
    // central entry: sizes and the local header offset in a zip64 extra field
    const cExtra = z64Extra([size, csize, newOffset]);
    const ch = zip.slice(p, p + 46 + nameLen);
    const cv = new DataView(ch.buffer);
    cv.setUint16(4, (3 << 8) | 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint32(20, LIM, true);
    cv.setUint32(24, LIM, true);
    cv.setUint16(30, extraLen + cExtra.length, true);
    cv.setUint32(42, LIM, true);
    central.push(concat([ch, cExtra, zip.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen + commentLen)]));
    p += 46 + nameLen + extraLen + commentLen;
  }
  const cd = concat(central);
  const cdStart = written;
  const z = new Uint8Array(56 + 20);
  const zv = new DataView(z.buffer);
  zv.setUint32(0, 0x06064b50, true);
  z.set(u64(44), 4);
  zv.setUint16(12, 45, true);
  zv.setUint16(14, 45, true);
  z.set(u64(count), 24);
  z.set(u64(count), 32);
  z.set(u64(cd.length), 40);
  z.set(u64(cdStart), 48);
  zv.setUint32(56, 0x07064b50, true);
  z.set(u64(cdStart + cd.length), 64);
  zv.setUint32(72, 1, true);
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 0xffff, true);
  ev.setUint16(10, 0xffff, true);
  ev.setUint32(12, LIM, true);
  ev.setUint32(16, LIM, true);
  return concat([...out, cd, z, e]);
}
