import { describe, expect, it } from 'vitest';
import { withBenchTable } from '../../scripts/lib/bench-table';

describe('bench tables in the README', () => {
  const section = { title: 'T', baseline: { name: 'base', ms: 100 }, rows: [{ name: 'a | b', ms: 50, ratio: 0.5, detail: 'x' }], notes: ['target: met'] };

  it('replaces only the text between its own markers', () => {
    const text = 'intro\n<!-- bench:start -->\nold node\n<!-- bench:end -->\nmid\n<!-- bench-browser:start -->\nold browser\n<!-- bench-browser:end -->\n';
    const out = withBenchTable(text, 'bench-browser', [section], 'one volume');
    expect(out).toContain('old node');
    expect(out).not.toContain('old browser');
    expect(out).toMatch(/<!-- bench-browser:start -->\nMeasured \d{4}-\d\d-\d\d.* on \d+ cores, one volume\./);
    expect(out).toContain('| a / b | 50.0 | 0.50 | x |');
    expect(out).toContain('    target: met');
    expect(out.endsWith('<!-- bench-browser:end -->\n')).toBe(true);
  });

  it('says which markers are missing', () => {
    expect(() => withBenchTable('no markers', 'bench-browser', [section], 'v')).toThrow(/<!-- bench-browser:start -->/);
  });
});
