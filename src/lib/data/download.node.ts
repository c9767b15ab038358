/**
 * Node-only downloader: global fetch → `<dest>.part` in the same folder (streamed, MD5 via
 * node:crypto while writing) → fsync → MD5 check → atomic rename to `dest`. On any failure
 * the partial file is removed and a clear error is thrown. Resumes an existing `.part` with an
 * HTTP Range request when the server supports it (206), else starts over.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';

export class DownloadError extends Error {
  constructor(message: string, public readonly kind: 'offline' | 'http' | 'checksum' | 'io') {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadProgress {
  received: number;
  total: number | null;
}

export interface DownloadOptions {
  /** expected MD5 (hex); mismatch → error, no file left */
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** keep a failed transfer's `.part` for a later resume (default false: remove on failure) */
  keepPartial?: boolean;
  /** try to resume an existing `.part` with an HTTP Range request (default true) */
  resume?: boolean;
  /** request timeout in ms for connecting/headers (default 30 s) */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** MD5 of a file, read in 1 MB blocks (continues `hash` when given, as a resumed download does). */
export function md5OfFile(path: string, hash = createHash('md5')): ReturnType<typeof createHash> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash;
}

/** Download `url` to `dest` atomically, verifying the MD5. Returns the MD5 hex. */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<string> {
  const f = opts.fetchImpl ?? fetch;
  const dir = dirname(dest) || '.';
  mkdirSync(dir, { recursive: true });
  const part = `${dest}.part`;
  const name = basename(dest);
  const offlineHint = `download ${name} yourself (${url}) and put it at ${dest}`;
  let fd = -1;
  let ok = false;
  try {
    let start = 0;
    const hash = createHash('md5');
    const headers: Record<string, string> = {};
    if ((opts.resume ?? true) && existsSync(part)) {
      start = statSync(part).size;
      if (start > 0) headers.Range = `bytes=${start}-`;
    }
    let res: Response;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 30_000);
    try {
      res = await f(url, { headers, signal: ac.signal, redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new DownloadError(
        `could not reach ${hostOf(url)}: ${why} — this machine may be offline; ${offlineHint}`,
        'offline',
      );
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 206 && start > 0) {
      md5OfFile(part, hash);
      fd = openSync(part, 'a');
    } else if (res.ok) {
      start = 0;
      fd = openSync(part, 'w');
    } else {
      throw new DownloadError(`download of ${url} failed: HTTP ${res.status} ${res.statusText} — ${offlineHint}`, 'http');
    }
    const len = Number(res.headers.get('content-length'));
    const total = Number.isFinite(len) && len > 0 ? start + len : null;
    let received = start;
    opts.onProgress?.({ received, total });
    if (!res.body) throw new DownloadError(`download of ${url} failed: empty response body`, 'http');
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        let off = 0;
        while (off < value.length) off += writeSync(fd, value, off, value.length - off);
        received += value.length;
        opts.onProgress?.({ received, total });
      }
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(`download of ${url} interrupted after ${received} bytes: ${(e as Error).message} — ${offlineHint}`, 'offline');
    }
    if (total !== null && received !== total) {
      throw new DownloadError(`download of ${url} incomplete: got ${received} of ${total} bytes`, 'http');
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    const got = hash.digest('hex');
    if (opts.md5 && got.toLowerCase() !== opts.md5.toLowerCase()) {
      rmSync(part, { force: true });
      throw new DownloadError(
        `checksum mismatch for ${name}: expected MD5 ${opts.md5.toLowerCase()}, got ${got} — the file was discarded; try again or ${offlineHint}`,
        'checksum',
      );
    }
    renameSync(part, dest);
    ok = true;
    return got;
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(`download of ${url} failed: ${(e as Error).message}`, 'io');
  } finally {
    if (fd >= 0) closeSync(fd);
    if (!ok && !opts.keepPartial) rmSync(part, { force: true });
  }
}

/** A progress bar for stderr: redraws in place on a TTY, prints a line per 10% otherwise. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (p: DownloadProgress) => void {
  let lastPct = -1;
  let lastDraw = 0;
  return ({ received, total }) => {
    const mb = (received / 1e6).toFixed(1);
    if (stream.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && received !== total) return;
      lastDraw = now;
      if (total) {
        const frac = received / total;
        const w = 30;
        const fill = Math.round(frac * w);
        stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb}/${(total / 1e6).toFixed(1)} MB`);
      } else stream.write(`\r${label} ${mb} MB`);
      if (total && received >= total) stream.write('\n');
    } else {
      const pct = total ? Math.floor((received / total) * 10) * 10 : -1;
      if (total && pct !== lastPct) {
        lastPct = pct;
        stream.write(`${label} ${pct}% (${mb} MB)\n`);
      }
    }
  };
}
