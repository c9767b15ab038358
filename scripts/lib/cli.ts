/**
 * The one CLI convention, shared by every script: flags declared once (name, type, help text),
 * parsed by node:util parseArgs in strict mode. `--help` prints the usage and exits before the
 * script touches any data; an unknown flag, a missing value or an invalid value is an error that
 * names the flag (a silently ignored typo ran with the default before). Plus a progress line,
 * atomic writes and the code version the CLIs record.
 */
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DATASETS } from '../../src/lib/data/medmnist';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** help text; the first sentence is enough */
  help: string;
  /** the value's placeholder in the usage (default: VALUE) */
  arg?: string;
  /** the default, as shown in the usage (the script applies it) */
  def?: string | number;
  /** may be given several times (values collected in order) */
  multiple?: boolean;
  short?: string;
}

export interface CliSpec {
  /** e.g. 'npm run explain --' */
  command: string;
  /** what the command does, one or two lines */
  summary: string;
  flags: Record<string, FlagSpec>;
  /** extra usage lines (alternative forms, examples) */
  examples?: string[];
}

/** A command-line mistake: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** The usage text of a spec (what --help prints). */
export function usage(spec: CliSpec): string {
  const lines = [`usage: ${spec.command} [flags]`, '', spec.summary, '', 'flags:'];
  const entries = Object.entries({ ...spec.flags, help: { type: 'boolean', help: 'print this help and exit' } as FlagSpec });
  const heads = entries.map(([k, f]) => `  --${k}${f.type === 'string' ? ` ${f.arg ?? 'VALUE'}` : ''}${f.short ? `, -${f.short}` : ''}`);
  const w = Math.min(34, Math.max(...heads.map((h) => h.length)) + 2);
  entries.forEach(([, f], i) => {
    const d = f.def !== undefined ? ` (default ${f.def})` : '';
    const rep = f.multiple ? ' (repeatable)' : '';
    lines.push(heads[i].length >= w ? `${heads[i]}\n${' '.repeat(w)}${f.help}${d}${rep}` : `${heads[i].padEnd(w)}${f.help}${d}${rep}`);
  });
  if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

function closest(name: string, known: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  let best: string | undefined;
  let bd = 3;
  for (const k of known) {
    const x = dist(name, k);
    if (x < bd) {
      bd = x;
      best = k;
    }
  }
  return best;
}

/**
 * Parses argv against the spec (strict: unknown flags and stray positionals are errors). `--help`
 * prints the usage and exits 0 here, before the caller does anything else.
 */
export function parseCli(spec: CliSpec, argv = process.argv.slice(2), exit: (code: number) => never = process.exit): Values {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage(spec));
    return exit(0);
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [k, f] of Object.entries(spec.flags)) {
    options[k] = { type: f.type };
    if (f.multiple) options[k].multiple = true;
    if (f.short) options[k].short = f.short;
  }
  // `--steps -5` is a value, not a short option: join it so the range check can name it
  const args = argv.flatMap((a, i) => (i > 0 && /^-\d/.test(a) && options[argv[i - 1].replace(/^--/, '')]?.type === 'string' ? [] : [
    i + 1 < argv.length && /^-\d/.test(argv[i + 1]) && options[a.replace(/^--/, '')]?.type === 'string' ? `${a}=${argv[i + 1]}` : a,
  ]));
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as Values;
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-[^' ]+)/.exec(err.message)?.[1] ?? '';
    const name = flag.replace(/^-+/, '').split('=')[0];
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
        const near = closest(name, Object.keys(spec.flags));
        throw new UsageError(`unknown flag ${flag.split('=')[0]}${near ? ` (did you mean --${near}?)` : ''}`);
      }
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(
          spec.flags[name]?.type === 'boolean' ? `--${name} is a switch and takes no value` : `--${name} needs a value (${spec.flags[name]?.arg ?? 'VALUE'})`,
        );
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''}: every input is a --flag`);
      default:
        throw new UsageError(err.message);
    }
  }
}

// ---- typed values, validated with messages that name the flag ---------------------------------

export function str(v: Values, name: string, def: string): string;
export function str(v: Values, name: string): string | undefined;
export function str(v: Values, name: string, def?: string): string | undefined {
  const x = v[name];
  if (Array.isArray(x)) return String(x[x.length - 1]);
  return typeof x === 'string' ? x : def;
}

export function flag(v: Values, name: string): boolean {
  return v[name] === true;
}

/** A number within [min, max] (integer unless `real`). */
export function num(v: Values, name: string, def: number, o: { min: number; max: number; real?: boolean }): number;
export function num(v: Values, name: string, def: undefined, o: { min: number; max: number; real?: boolean }): number | undefined;
export function num(v: Values, name: string, def: number | undefined, o: { min: number; max: number; real?: boolean }): number | undefined {
  const s = str(v, name);
  if (s === undefined) return def;
  return parseNum(`--${name}`, s, o);
}

export function parseNum(what: string, s: string, o: { min: number; max: number; real?: boolean }): number {
  const n = s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(n)) throw new UsageError(`${what} must be a number, got '${s}'`);
  if (!o.real && !Number.isInteger(n)) throw new UsageError(`${what} must be a whole number, got '${s}'`);
  if (n < o.min || n > o.max) throw new UsageError(`${what} must be between ${o.min} and ${o.max}, got ${s}`);
  return n;
}

export function choice<T extends string>(v: Values, name: string, choices: readonly T[], def: T): T;
export function choice<T extends string>(v: Values, name: string, choices: readonly T[], def?: T): T | undefined;
export function choice<T extends string>(v: Values, name: string, choices: readonly T[], def?: T): T | undefined {
  const s = str(v, name);
  if (s === undefined) return def;
  if (!(choices as readonly string[]).includes(s)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${s}'`);
  return s as T;
}

// ---- the data flags every data-reading CLI shares ---------------------------------------------

export const DATASET_NAMES = Object.keys(DATASETS) as ('phantom' | 'organmnist3d')[];
export const SIZES = [28, 64] as const;

/** --dataset, --size, --data: the same three flags on every CLI that reads a dataset. */
export function dataFlags(defaults: { size?: number | string } = {}): Record<string, FlagSpec> {
  return {
    dataset: { type: 'string', arg: DATASET_NAMES.join('|'), def: 'phantom', help: 'which dataset' },
    size: { type: 'string', arg: SIZES.join('|'), def: defaults.size ?? 64, help: 'volume edge in voxels' },
    data: { type: 'string', arg: 'DIR', def: 'data', help: 'folder holding the dataset files' },
  };
}

export interface DataChoice {
  dataset: 'phantom' | 'organmnist3d';
  size: 28 | 64;
  dataDir: string;
}

export function dataChoice(v: Values, defaults: { dataset?: string; size?: number } = {}): DataChoice {
  const dataset = choice(v, 'dataset', DATASET_NAMES, (defaults.dataset ?? 'phantom') as DataChoice['dataset']);
  const sizeStr = str(v, 'size');
  const size = sizeStr === undefined ? (defaults.size ?? 64) : Number(sizeStr);
  if (!(SIZES as readonly number[]).includes(size)) throw new UsageError(`--size must be one of ${SIZES.join(', ')}, got '${sizeStr}'`);
  return { dataset, size: size as 28 | 64, dataDir: str(v, 'data', 'data') };
}

/** Says what fits when a model and the data disagree (instead of a shape error deep inside). */
export function checkModelFitsData(model: { inputSize: number; numClasses: number }, modelDir: string, d: DataChoice, numClasses: number): void {
  if (model.inputSize !== d.size) {
    throw new UsageError(
      `${modelDir} expects ${model.inputSize}³ volumes but --size is ${d.size}: run with --size ${model.inputSize}, or pass --model with a model trained on ${d.size}³ data (npm run train -- --dataset ${d.dataset} --size ${d.size}, then npm run evaluate)`,
    );
  }
  if (model.numClasses !== numClasses) {
    throw new UsageError(`${modelDir} has ${model.numClasses} output classes but ${d.dataset} has ${numClasses}: pass --model with a model trained on ${d.dataset}`);
  }
}

// ---- progress, hashes, version, main ------------------------------------------------------------

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

export { writeDirAtomic, writeFileAtomic } from '../../src/lib/util/atomic.node.ts';

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

/** Runs main and turns an exception into one clear line: exit code 2 for usage errors, 1 otherwise. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message} (see --help)`);
      process.exit(2);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DEBUG) console.error(e);
    process.exit(1);
  });
}
