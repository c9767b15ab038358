import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256, sha256File } from '../../src/lib/util/sha256.node.ts';

describe('sha256File', () => {
  it('hashes a file larger than its read chunk (and an empty one) like a one-shot hash of the bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sha256-'));
    try {
      const bytes = new Uint8Array(9 * 1024 * 1024 + 17).map((_, i) => (i * 2654435761) >>> 24);
      writeFileSync(join(dir, 'big'), bytes);
      writeFileSync(join(dir, 'empty'), '');
      expect(sha256File(join(dir, 'big'))).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(sha256File(join(dir, 'big'))).toBe(sha256(bytes));
      expect(sha256File(join(dir, 'empty'))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
