/**
 * No function in src/ or scripts/ is longer than MAX_LINES unless its leading comment says why it
 * must be one function, with a `@long <reason>` tag. Measured with the TypeScript compiler's own
 * parser: every function declaration, method, constructor, accessor, function expression and arrow
 * function, from its first to its last line (nested functions count in their parent too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 120;
const ROOTS = ['src', 'scripts'];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
  reason: string | null;
}

/** The name a reader would search for: the function's, its variable's or property's, else "(anonymous)". */
function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p))) return p.name.getText(sf);
  return '(anonymous)';
}

/** A `@long <reason>` in the comments before the function or the statement that holds it. */
function reasonOf(node: ts.Node, sf: ts.SourceFile): string | null {
  const text = sf.getFullText();
  for (let n: ts.Node | undefined = node; n && n !== sf; n = n.parent) {
    for (const c of ts.getLeadingCommentRanges(text, n.getFullStart()) ?? []) {
      const m = /@long\s+(\S[^\n*]*)/.exec(text.slice(c.pos, c.end));
      if (m) return m[1].trim();
    }
    if (ts.isStatement(n) || ts.isClassElement(n) || ts.isPropertyAssignment(n)) break;
  }
  return null;
}

function functionLengths(file: string, source = readFileSync(file, 'utf8')): LongFunction[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file, name: nameOf(node, sf), line: first + 1, lines: last - first + 1, reason: reasonOf(node, sf) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('function length', () => {
  it('measures what it claims to (a synthetic file)', () => {
    const body = Array.from({ length: 130 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const src = `function long() {\n${body}\n}\n/** why: @long one pass over the input */\nconst arrow = () => {\n${body}\n};\nclass C { m() { return 1; } }`;
    const fs = functionLengths('x.ts', src);
    expect(fs.map((f) => [f.name, f.lines, f.reason])).toEqual([
      ['long', 132, null],
      ['arrow', 132, 'one pass over the input'],
      ['m', 1, null],
    ]);
  });

  it(`no function in ${ROOTS.join('/, ')}/ is over ${MAX_LINES} lines without a @long reason`, () => {
    const all = ROOTS.flatMap((r) => walk(r)).flatMap((f) => functionLengths(f));
    expect(all.length).toBeGreaterThan(500);
    const bad = all.filter((f) => f.lines > MAX_LINES && !f.reason).map((f) => `${relative('.', f.file)}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(bad).toEqual([]);
  });
});
