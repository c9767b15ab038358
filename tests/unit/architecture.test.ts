/**
 * The architecture rules of the README ("Project layout"), checked on every import in src/ (as
 * withastro/starlight checks its own): no import circle, between files (type imports included:
 * a module that needs part of another's API declares the narrow interface it uses) or between the
 * folders of src/lib; `node:` modules only in `*.node.ts` files (and the build-time frontmatter of .astro/.mdx
 * pages, which always runs in Node); src/lib never imports from src/components, src/pages or scripts/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const SRC = join(ROOT, 'src');
const CODE = /\.(ts|mts|js|mjs|astro|mdx)$/;

interface Import {
  spec: string;
  /** Only types cross this edge (erased at run time). */
  typeOnly: boolean;
  /** In a browser <script> of an .astro file, or in a plain module (not build-time frontmatter). */
  runtime: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (CODE.test(name) && !/\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Drops comments (keeping string contents, so 'http://…' survives). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`\\])\/\/[^\n]*/g, (m, pre) => (m.startsWith('/*') ? m.replace(/[^\n]/g, ' ') : (pre ?? '')));
}

function importsOf(code: string, runtime: boolean): Import[] {
  const out: Import[] = [];
  const src = stripComments(code);
  const stat = /(?:^|[\s;}])(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of src.matchAll(stat)) {
    const clause = m[3];
    const inlineTypes = /^\{[^}]*\}$/.test(clause.trim()) && clause.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type'));
    out.push({ spec: m[4], typeOnly: Boolean(m[2]) || inlineTypes, runtime });
  }
  for (const m of src.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g)) out.push({ spec: m[1], typeOnly: false, runtime });
  for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false, runtime });
  return out;
}

/** Imports of one file; for .astro, the frontmatter (build time, Node) apart from the <script>s (browser). */
function fileImports(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.astro')) {
    const fm = /^---\n([\s\S]*?)\n---/.exec(text);
    const scripts = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    return [...(fm ? importsOf(fm[1], false) : []), ...scripts.flatMap((s) => importsOf(s, true))];
  }
  if (file.endsWith('.mdx')) return importsOf(text.split('\n').filter((l) => /^(import|export)\s/.test(l)).join('\n'), false);
  return importsOf(text, true);
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec.replace(/\?.*$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.js`, `${base}.mjs`, `${base}.astro`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  // TS's ESM convention: './x.js' names './x.ts'
  const ts = base.replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : null;
}

const rel = (p: string) => relative(ROOT, p).split('\\').join('/');
const files = walk(SRC);
const graph = new Map<string, Array<Import & { to: string | null }>>();
for (const f of files) graph.set(f, fileImports(f).map((i) => ({ ...i, to: resolveLocal(f, i.spec) })));

/** Strongly connected components with more than one member, or a self-loop (Tarjan). */
function circles(nodes: string[], edges: (n: string) => string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges(v).includes(v)) out.push(comp.sort());
    }
  };
  for (const n of [...nodes].sort()) if (!idx.has(n)) visit(n);
  return out;
}

/** The value (non-type) edges between files: what runs when a module loads. */
const valueEdges = (f: string) => [...new Set((graph.get(f) ?? []).filter((i) => i.to && !i.typeOnly).map((i) => i.to!))];

/** src/lib/<folder> of a file (or the file name for a file directly in src/lib). */
const libUnit = (f: string) => rel(f).split('/').slice(0, 3).join('/');

describe('architecture', () => {
  it('finds the source files and their imports (the checks below are not vacuous)', () => {
    expect(files.length).toBeGreaterThan(50);
    const edges = [...graph.values()].flat().filter((i) => i.to);
    expect(edges.length).toBeGreaterThan(100);
    // every relative import resolves to a file, so no edge is silently dropped
    const unresolved = [...graph.entries()].flatMap(([f, is]) => is.filter((i) => i.spec.startsWith('.') && !i.to).map((i) => `${rel(f)} → ${i.spec}`));
    expect(unresolved).toEqual([]);
  });

  it('has no import circle between files in src/', () => {
    expect(circles(files, valueEdges).map((c) => c.map(rel).join(' ⇄ '))).toEqual([]);
  });

  it('has no import circle between files in src/, type imports included', () => {
    const allEdges = (f: string) => [...new Set((graph.get(f) ?? []).filter((i) => i.to).map((i) => i.to!))];
    expect(circles(files, allEdges).map((c) => c.map(rel).join(' ⇄ '))).toEqual([]);
  });

  it('has no import circle between the folders of src/lib (types included)', () => {
    const lib = files.filter((f) => rel(f).startsWith('src/lib/'));
    const units = [...new Set(lib.map(libUnit))];
    const unitEdges = (u: string) => [
      ...new Set(
        lib
          .filter((f) => libUnit(f) === u)
          .flatMap((f) => (graph.get(f) ?? []).map((i) => i.to).filter((t): t is string => !!t && rel(t).startsWith('src/lib/')))
          .map(libUnit)
          .filter((t) => t !== u),
      ),
    ];
    expect(circles(units, unitEdges).map((c) => c.join(' ⇄ '))).toEqual([]);
  });

  it('imports node: modules (or Node built-ins by bare name) only in *.node.ts files and build-time frontmatter', () => {
    const builtins = new Set(builtinModules);
    const bad = [...graph.entries()].flatMap(([f, is]) =>
      is
        .filter((i) => i.runtime && (i.spec.startsWith('node:') || builtins.has(i.spec.split('/')[0])) && !/\.node\.ts$/.test(f))
        .map((i) => `${rel(f)} imports ${i.spec}`),
    );
    expect(bad).toEqual([]);
  });

  it('keeps src/lib free of imports from src/components, src/pages and scripts/', () => {
    const bad = [...graph.entries()]
      .filter(([f]) => rel(f).startsWith('src/lib/'))
      .flatMap(([f, is]) => is.filter((i) => i.to && !rel(i.to).startsWith('src/lib/')).map((i) => `${rel(f)} imports ${rel(i.to!)}`));
    expect(bad).toEqual([]);
  });

  it("is described by the README: its project layout names every folder of src/lib", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = /## Project layout\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const folders = readdirSync(join(SRC, 'lib')).filter((n) => statSync(join(SRC, 'lib', n)).isDirectory());
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((f) => !new RegExp(`^\\s+${f}/`, 'm').test(layout))).toEqual([]);
  });

  it('detects what it claims to: a circle in a synthetic graph, value and type imports, commented-out imports', () => {
    expect(circles(['a', 'b', 'c'], (n) => ({ a: ['b'], b: ['a'], c: [] })[n] ?? [])).toEqual([['a', 'b']]);
    expect(importsOf("import { readFileSync } from 'node:fs';\nimport type { X } from './x';\nimport { type Y } from './y';\nexport * from './z';", true)).toEqual([
      { spec: 'node:fs', typeOnly: false, runtime: true },
      { spec: './x', typeOnly: true, runtime: true },
      { spec: './y', typeOnly: true, runtime: true },
      { spec: './z', typeOnly: false, runtime: true },
    ]);
    expect(importsOf("// import { a } from './commented';\nconst u = 'http://x'; import('./lazy');", true)).toEqual([{ spec: './lazy', typeOnly: false, runtime: true }]);
  });
});
