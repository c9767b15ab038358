import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { download, DownloadError } from '../../src/lib/data/download.node';
import { writeNpz } from '../../src/lib/data/npz';
import { parseDataset } from '../../src/lib/data/medmnist';

const S = 4;
const payload = writeNpz(
  {
    train_images: { dtype: 'uint8', shape: [2, S, S, S], data: new Uint8Array(2 * S ** 3).fill(9) },
    train_labels: { dtype: 'uint8', shape: [2, 1], data: new Uint8Array([1, 2]) },
    val_images: { dtype: 'uint8', shape: [1, S, S, S], data: new Uint8Array(S ** 3) },
    val_labels: { dtype: 'uint8', shape: [1, 1], data: new Uint8Array([0]) },
    test_images: { dtype: 'uint8', shape: [1, S, S, S], data: new Uint8Array(S ** 3) },
    test_labels: { dtype: 'uint8', shape: [1, 1], data: new Uint8Array([10]) },
  },
  { compress: true },
);
const md5 = createHash('md5').update(payload).digest('hex');

let server: Server;
let base = '';
let servedFile = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srv-'));
  servedFile = join(dir, 'organmnist3d.npz');
  writeFileSync(servedFile, payload);
  server = createServer((req, res) => {
    if (req.url?.startsWith('/records/10519652/files/organmnist3d.npz')) {
      const body = readFileSync(servedFile);
      const range = req.headers.range && /bytes=(\d+)-/.exec(req.headers.range);
      if (range) {
        const start = Number(range[1]);
        res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(start));
      } else {
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      }
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const url = () => `${base}/records/10519652/files/organmnist3d.npz?download=1`;
const noLeftovers = (dir: string) => expect(readdirSync(dir)).toEqual([]);

describe('download', () => {
  it('downloads, verifies the MD5, reports progress and renames atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const dest = join(dir, 'organmnist3d.npz');
    const seen: number[] = [];
    const got = await download(url(), dest, { md5, onProgress: (p) => seen.push(p.received) });
    expect(got).toBe(md5);
    expect(readdirSync(dir)).toEqual(['organmnist3d.npz']);
    expect(seen.at(-1)).toBe(payload.length);
    const ds = parseDataset('organmnist3d', S, new Uint8Array(readFileSync(dest)));
    expect(Array.from(ds.splits.test.labels)).toEqual([10]);
  });

  it('resumes an existing .part with a Range request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const dest = join(dir, 'organmnist3d.npz');
    writeFileSync(`${dest}.part`, payload.subarray(0, 100));
    await download(url(), dest, { md5 });
    expect(createHash('md5').update(readFileSync(dest)).digest('hex')).toBe(md5);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('rejects a checksum mismatch and leaves no file and no .part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const dest = join(dir, 'organmnist3d.npz');
    const err = await download(url(), dest, { md5: '0'.repeat(32) }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.kind).toBe('checksum');
    expect(err.message).toMatch(/checksum mismatch for organmnist3d\.npz: expected MD5 0{32}, got [0-9a-f]{32}/);
    noLeftovers(dir);
  });

  it('reports HTTP errors and leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const err = await download(`${base}/nope.npz`, join(dir, 'x.npz'), { md5 }).catch((e) => e);
    expect(err.kind).toBe('http');
    expect(err.message).toMatch(/HTTP 404/);
    noLeftovers(dir);
  });

  it('gives a clear offline message when the host is unreachable, and leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    // a port that was just free: nothing listens there
    const tmp = createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise<void>((r) => tmp.close(() => r()));
    const dest = join(dir, 'organmnist3d_64.npz');
    const err = await download(`http://127.0.0.1:${port}/organmnist3d_64.npz`, dest, { md5 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.kind).toBe('offline');
    expect(err.message).toMatch(/could not reach 127\.0\.0\.1:\d+: .* this machine may be offline; download organmnist3d_64\.npz yourself .* and put it at .*organmnist3d_64\.npz/);
    noLeftovers(dir);
  });
});
