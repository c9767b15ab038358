/**
 * Bounded inflation of untrusted deflate and gzip data (npz members, .nii.gz uploads). Browser-safe.
 *
 * Why not fflate's one-shot `inflateSync` / `gunzipSync`: they trust the sizes a file declares
 * (a gzip trailer that lies about ISIZE made `gunzipSync` inflate for 45 s, a 2.28 GB stream was
 * silently cut to its declared size and accepted), they do not check the CRC-32, and a truncated
 * stream surfaces as an opaque error. Here the input is pushed in small slices through fflate's
 * streaming `Inflate`, so output can be counted while it is produced: at most ~17 MB can appear
 * between two checks (deflate expands at most ~1032×; slices are 16 kB), and the stream is
 * aborted the moment it passes its cap. Every failure is a DataFormatError naming the file.
 */
import { Inflate } from 'fflate';
import { DataFormatError, formatBytes } from './npy';
import { crc32 } from './crc32';

/** Input slice size: bounds the output one push can produce (deflate expands at most ~1032:1). */
const SLICE = 16 * 1024;

/** fflate's error code for a stream that ends before its final block. */
const UNEXPECTED_EOF = 0;

/** A growable output buffer with a hard cap; `overflow` is called instead of growing past it. */
class CappedSink {
  buf: Uint8Array;
  length = 0;
  constructor(
    initial: number,
    public cap: number,
    private readonly overflow: (wouldBe: number) => never,
  ) {
    this.buf = new Uint8Array(Math.max(0, Math.min(initial, cap)));
  }
  push(chunk: Uint8Array): void {
    const need = this.length + chunk.length;
    if (need > this.cap) this.overflow(need);
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.cap, Math.max(need, this.buf.length * 2, 1 << 16)));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(chunk, this.length);
    this.length = need;
  }
  result(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.subarray(0, this.length);
  }
}

function flateError(e: unknown): { eof: boolean; message: string } {
  const code = (e as { code?: number }).code;
  return { eof: code === UNEXPECTED_EOF, message: e instanceof Error ? e.message : String(e) };
}

export interface InflateLimits {
  /** the size the container declares (zip central directory); output beyond it aborts */
  expected: number;
  /** largest output accepted whatever is declared */
  max: number;
}

/**
 * Inflate a raw deflate stream (a zip member) whose container declares `expected` bytes.
 * Refuses before inflating when the declared size exceeds `max`; aborts as soon as the output
 * passes the declared size; calls a stream that ends early a truncation.
 */
export function inflateRawLimited(raw: Uint8Array, where: string, limits: InflateLimits): Uint8Array {
  const { expected, max } = limits;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new DataFormatError(where, `corrupt zip: declared uncompressed size ${expected} is not a valid size`);
  }
  if (expected > max) {
    throw new DataFormatError(where, `too large: declares ${formatBytes(expected)} uncompressed (limit ${formatBytes(max)})`);
  }
  const sink = new CappedSink(expected, expected, (n) => {
    throw new DataFormatError(
      where,
      `corrupt zip: the member inflates to more than the ${formatBytes(expected)} it declares (stopped at ${formatBytes(n)}); refusing it`,
    );
  });
  let done = false;
  const inf = new Inflate((chunk, final) => {
    sink.push(chunk);
    if (final) done = true;
  });
  try {
    for (let p = 0; p < raw.length; p += SLICE) {
      const end = Math.min(raw.length, p + SLICE);
      inf.push(raw.subarray(p, end), end === raw.length);
      if (done) break;
    }
    if (raw.length === 0) inf.push(raw, true);
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    const f = flateError(e);
    if (f.eof) {
      throw new DataFormatError(
        where,
        `truncated: the compressed member ends after ${formatBytes(raw.length)} (inflated ${formatBytes(sink.length)} of ${formatBytes(expected)})`,
      );
    }
    throw new DataFormatError(where, `corrupt deflate data (${f.message})`);
  }
  if (sink.length !== expected) {
    throw new DataFormatError(where, `corrupt zip: the member inflates to ${sink.length} bytes but declares ${expected}`);
  }
  return sink.result();
}

// ------------------------------------------------------------------------------------- gzip

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/**
 * Streaming gzip decoder (RFC 1952, one member, as NIfTI writers produce) with an output cap,
 * CRC-32 and ISIZE verification. Push the file in any chunks (`push`), then `finish()`.
 * The last 8 bytes are held back as the trailer, so the inflater never sees them.
 */
export class BoundedGunzip {
  private header: Uint8Array | null = new Uint8Array(0);
  private tail: Uint8Array = new Uint8Array(0);
  private inf: Inflate;
  private sink: CappedSink;
  private crc = 0;
  private ended = false;
  private inputBytes = 0;
  private finished = false;

  private declared: number | null = null;

  constructor(
    private readonly name: string,
    private readonly max: number,
    /** a size hint (e.g. the trailer's ISIZE read ahead); only used when it is within the cap */
    sizeHint = 0,
    /**
     * Called with the output so far until it returns a number: the total size the content's own
     * header declares (NIfTI: offset + voxel bytes). The cap then tightens to it.
     */
    private readonly declare?: (head: Uint8Array) => number | null,
  ) {
    this.sink = new CappedSink(sizeHint > 0 && sizeHint <= max ? sizeHint : 1 << 20, max, (n) => {
      if (this.declared !== null && this.declared < this.max) {
        throw new DataFormatError(
          name,
          `corrupt: the gzip stream holds more than the ${formatBytes(this.declared)} its header declares (stopped at ${formatBytes(n)}); refusing it`,
        );
      }
      throw new DataFormatError(name, `too large: inflates to more than ${formatBytes(max)} (limit; stopped at ${formatBytes(n)})`);
    });
    this.inf = new Inflate((chunk, final) => {
      this.crc = crc32(chunk, this.crc);
      this.sink.push(chunk);
      if (this.declare && this.declared === null) {
        const d = this.declare(this.sink.buf.subarray(0, this.sink.length));
        if (d !== null) {
          this.declared = d;
          if (d < this.sink.cap) {
            this.sink.cap = d;
            this.sink.push(new Uint8Array(0)); // throws when the output is already past the declared size
          }
        }
      }
      if (final) this.ended = true;
    });
  }

  /** bytes inflated so far */
  get outputBytes(): number {
    return this.sink.length;
  }

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('BoundedGunzip: push after finish');
    this.inputBytes += chunk.length;
    // hold back the last 8 bytes seen so far: they may be the trailer
    let data = concat(this.tail, chunk);
    if (data.length <= 8) {
      this.tail = data;
      return;
    }
    this.tail = data.slice(data.length - 8);
    data = data.subarray(0, data.length - 8);
    if (this.header) {
      const all = concat(this.header, data);
      const start = gzipHeaderEnd(all, this.name);
      if (start < 0) {
        this.header = all;
        return;
      }
      this.header = null;
      data = all.subarray(start);
    }
    this.feed(data, false);
  }

  private feed(data: Uint8Array, final: boolean): void {
    try {
      if (data.length === 0 && final) this.inf.push(data, true);
      for (let p = 0; p < data.length; p += SLICE) {
        if (this.ended) return; // data after the final block: checked against the trailer below
        const end = Math.min(data.length, p + SLICE);
        this.inf.push(data.subarray(p, end), final && end === data.length);
      }
    } catch (e) {
      if (e instanceof DataFormatError) throw e;
      const f = flateError(e);
      if (f.eof) throw this.truncated();
      throw new DataFormatError(this.name, `corrupt gzip data (${f.message})`);
    }
  }

  private truncated(): DataFormatError {
    return new DataFormatError(
      this.name,
      `truncated: the gzip stream ends after ${formatBytes(this.inputBytes)} before its end-of-data marker (inflated ${formatBytes(this.sink.length)} so far); the file was cut short — download or copy it again`,
    );
  }

  /** Check the trailer (CRC-32, ISIZE) and return the inflated bytes. */
  finish(): Uint8Array {
    this.finished = true;
    if (this.header) {
      if (this.header.length + this.tail.length < 10 || gzipHeaderEnd(concat(this.header, this.tail), this.name) < 0) {
        throw new DataFormatError(this.name, `truncated: ${this.inputBytes} bytes is too short for a gzip header and trailer`);
      }
      // a header followed by fewer than 8 bytes: no room for data and trailer
      throw this.truncated();
    }
    if (!this.ended) this.feed(new Uint8Array(0), true);
    if (!this.ended) throw this.truncated();
    const t = this.tail;
    const crc = (t[0] | (t[1] << 8) | (t[2] << 16) | (t[3] << 24)) >>> 0;
    const isize = (t[4] | (t[5] << 8) | (t[6] << 16) | (t[7] << 24)) >>> 0;
    const n = this.sink.length;
    // ISIZE is the length mod 2^32; the cap keeps n far below 4 GB, so this is an exact check
    if (isize !== n % 0x100000000) {
      throw new DataFormatError(
        this.name,
        `corrupt gzip: the trailer says ${formatBytes(isize)} uncompressed but the data inflate to ${formatBytes(n)} (the file is damaged, or has extra bytes after the compressed stream)`,
      );
    }
    if (crc !== this.crc >>> 0) {
      throw new DataFormatError(
        this.name,
        `corrupt gzip: CRC-32 mismatch (trailer ${hex8(crc)}, data ${hex8(this.crc >>> 0)}): the file is damaged — download or copy it again`,
      );
    }
    return this.sink.result();
  }
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, '0');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Where the deflate data starts after a gzip header, or −1 when more bytes are needed. */
function gzipHeaderEnd(b: Uint8Array, name: string): number {
  if (b.length < 10) return -1;
  if (b[0] !== 0x1f || b[1] !== 0x8b) throw new DataFormatError(name, 'not a gzip file (wrong magic)');
  if (b[2] !== 8) throw new DataFormatError(name, `unsupported gzip compression method ${b[2]} (only deflate)`);
  const flg = b[3];
  if (flg & 0xe0) throw new DataFormatError(name, 'corrupt gzip header (reserved flag bits set)');
  let p = 10;
  if (flg & FEXTRA) {
    if (b.length < p + 2) return -1;
    p += 2 + (b[p] | (b[p + 1] << 8));
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (flg & f) {
      while (p < b.length && b[p] !== 0) p++;
      if (p >= b.length) return -1;
      p++;
    }
  }
  if (flg & FHCRC) p += 2;
  return p <= b.length ? p : -1;
}

/** One-shot bounded gunzip of bytes already in memory (see BoundedGunzip; `declare` as there). */
export function gunzipLimited(bytes: Uint8Array, name: string, max: number, declare?: (head: Uint8Array) => number | null): Uint8Array {
  const n = bytes.length;
  const hint = n >= 18 ? (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0 : 0;
  const g = new BoundedGunzip(name, max, hint, declare);
  for (let p = 0; p < n; p += 1 << 20) g.push(bytes.subarray(p, Math.min(n, p + (1 << 20))));
  return g.finish();
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
