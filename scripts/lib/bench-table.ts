/**
 * The benches' results as tables: `npm run bench` and `npm run bench:browser` print them and, with
 * --readme, write them into src/lib/cam/README.md between their own markers
 * (`<!-- bench:start -->` … `<!-- bench:end -->`, `<!-- bench-browser:start -->` …), with the date,
 * the commit and the machine, so the README's numbers are those of the last run, never typed.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface BenchRow {
  name: string;
  ms: number;
  /** ms / the section's baseline ms */
  ratio?: number;
  forwardInputs?: number;
  /** share of the time outside forward passes (upsampling, masking, sorting, bookkeeping) */
  outsideForward?: number;
  detail?: string;
}

export interface BenchSection {
  title: string;
  baseline: { name: string; ms: number };
  rows: BenchRow[];
  notes: string[];
  memory?: { peakTensorBytes: number; peakRssBytes: number };
}

/** `text` with the markdown tables of `sections` between the `marker` markers (e.g. 'bench'). */
export function withBenchTable(text: string, marker: string, sections: BenchSection[], what: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no ${start} … ${end} section to write into`);
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // the numbers are of the working tree: say so when it is not the commit
    if (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim()) commit += ' with uncommitted changes';
  } catch {
    /* not a git checkout */
  }
  const lines = [`Measured ${new Date().toISOString().slice(0, 10)}${commit ? ` at commit ${commit}` : ''} on ${availableParallelism()} cores, ${what}.`, ''];
  for (const s of sections) {
    lines.push(`**${s.title}** — baseline: ${s.baseline.name} = ${s.baseline.ms.toFixed(1)} ms`, '', '| step | ms | × baseline | detail |', '| --- | ---: | ---: | --- |');
    for (const r of s.rows) lines.push(`| ${r.name.replace(/\|/g, '/')} | ${r.ms.toFixed(1)} | ${(r.ratio ?? NaN).toFixed(2)} | ${(r.detail ?? '').replace(/\|/g, '/').trim()} |`);
    lines.push('', ...s.notes.map((n) => `    ${n.trim()}`), '');
  }
  return text.slice(0, a + start.length) + '\n' + lines.join('\n') + '\n' + text.slice(b);
}
