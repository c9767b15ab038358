/** Small helpers shared by the CLIs: flag parsing, a progress line, atomic writes. */
import { execSync } from 'node:child_process';

export type Flags = Record<string, string | boolean>;

/** `--key value`, `--key=value` and bare `--switch`; the rest are positionals. */
export function parseFlags(argv: string[]): { flags: Flags; positionals: string[] } {
  const flags: Flags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[a.slice(2)] = argv[++i];
    else flags[a.slice(2)] = true;
  }
  return { flags, positionals };
}

export function numberFlag(flags: Flags, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
  return n;
}

export function stringFlag(flags: Flags, name: string, fallback: string): string {
  const v = flags[name];
  return typeof v === 'string' ? v : fallback;
}

/** A one-line progress bar on stderr that redraws on a terminal and logs every 10% otherwise. */
export function progress(label: string, total: number): (done: number, extra?: string) => void {
  const start = performance.now();
  let lastDecile = -1;
  return (done, extra = '') => {
    const frac = total ? done / total : 1;
    const elapsed = (performance.now() - start) / 1000;
    const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
    const width = 24;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
    const line = `${label} ${bar} ${done}/${total} ${extra} ${elapsed.toFixed(0)}s elapsed, ETA ${eta.toFixed(0)}s`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K${done >= total ? '\n' : ''}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile || done >= total) {
        lastDecile = decile;
        process.stderr.write(line + '\n');
      }
    }
  };
}

export { writeDirAtomic, writeFileAtomic } from '../../src/lib/atomic.node.ts';

/** The git commit of the working tree, with '+dirty' when it has uncommitted changes. */
export function codeVersion(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain -- src scripts', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Runs main and turns an exception into one clear line and exit code 1. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DEBUG) console.error(e);
    process.exit(1);
  });
}
