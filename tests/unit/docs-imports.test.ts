/**
 * The code in the READMEs names what exists: every `import { … } from '…'` in a ```ts block of the
 * documents below resolves (from the folder the block says it is written from) to a module that
 * exports each name. Type-only names (`type X`) are checked by the type checker, not here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Document → the folder its snippets import from. */
const DOCS: Record<string, string> = { 'src/lib/cam/README.md': 'scripts' };

describe('README code snippets', () => {
  for (const [doc, from] of Object.entries(DOCS)) {
    it(`${doc}: every imported name exists`, async () => {
      const text = readFileSync(doc, 'utf8');
      const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
      const imports = blocks.flatMap((b) => [...b.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)]);
      expect(imports.length).toBeGreaterThan(0);
      const missing: string[] = [];
      for (const [, names, spec] of imports) {
        const mod = (await import(resolve(from, spec))) as Record<string, unknown>;
        for (const n of names.split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type '))) {
          if (!(n in mod)) missing.push(`${n} from ${spec}`);
        }
      }
      expect(missing).toEqual([]);
    });
  }
});
