import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** One option of a command: how it is parsed and how `--help` explains it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once; every value is kept, in order. */
  readonly multiple?: boolean;
  /** The value's placeholder in usage and help (`--window D`); string options only. */
  readonly value?: string;
  readonly help: string;
  /** What applies when the option is left out, as help says it. */
  readonly default?: string;
}

export interface OperandSpec {
  /** As the usage line writes it: `<path...>`, `[EXECUTION]`. */
  readonly name: string;
  readonly help: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** Everything a command accepts, with the words that explain it: the parser and `--help` read only this. */
export interface CommandSpec<O extends OptionTable = OptionTable> {
  readonly name: string;
  /** One line for `flowir --help`. */
  readonly summary: string;
  /** What the command does, for its own `--help`: paragraphs separated by blank lines, wrapped when shown. */
  readonly description: string;
  readonly operands: readonly OperandSpec[];
  readonly options: O;
  /** Exit statuses, one per line, for its `--help`. */
  readonly exitStatus: readonly string[];
  /** A few lines of examples, without the `flowir` prefix. */
  readonly examples?: readonly string[];
}

type StringValue<S extends OptionSpec> = S extends { readonly multiple: true } ? string[] : string;
type BooleanKeys<O extends OptionTable> = { [K in keyof O]: O[K]['type'] extends 'boolean' ? K : never }[keyof O];
type StringKeys<O extends OptionTable> = Exclude<keyof O, BooleanKeys<O>>;

/** Parsed option values: booleans are always there (false when left out), strings only when given. */
export type OptionValues<O extends OptionTable> = { readonly [K in BooleanKeys<O>]: boolean } & { readonly [K in StringKeys<O>]?: StringValue<O[K]> };

export interface ParsedArgs<O extends OptionTable> {
  readonly values: OptionValues<O>;
  readonly positionals: string[];
}

/** A mistake in the options or operands, as opposed to in their values' content: its message is followed by a pointer to `--help`. */
export class ArgumentError extends UsageError {}

/** Define a command, keeping the exact option table's type so that parsed values are typed by it. */
export function defineCommand<const O extends OptionTable>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** Whether the arguments ask for help: `--help` or `-h` anywhere before a `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Parse `argv` by the command's option table. node:util parseArgs splits the tokens (non-strict,
 * so that every problem reaches us as a token); the checks are made here so that each message
 * names the option, says what was expected, and suggests the nearest option for a typo.
 */
export function parseCommandArgs<O extends OptionTable>(spec: CommandSpec<O>, argv: readonly string[]): ParsedArgs<O> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });

  const values: Record<string, boolean | string | string[]> = {};
  for (const [name, o] of Object.entries(spec.options)) if (o.type === 'boolean') values[name] = false;
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (option === undefined) throw unknownOption(spec, token.rawName);
    const flag = `--${token.name}`;
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new ArgumentError(`${flag} takes no value (got "${token.rawName}=${token.value}")`);
      values[token.name] = true;
      continue;
    }
    const form = `${flag} ${option.value ?? 'VALUE'}`;
    // As parseArgs's strict mode does: `--window --json` is a forgotten value, not the value "--json".
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')) {
      const got = token.value === undefined ? '' : `, not "${token.value}" (write ${flag}=${token.value} if that is the value)`;
      throw new ArgumentError(`${flag} needs a value: ${form}${got}`);
    }
    if (token.value === '') throw new ArgumentError(`${flag} needs a value, got an empty one: ${form}`);
    if (option.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), token.value];
    else values[token.name] = token.value; // given twice, the last one counts (so a script's defaults can be overridden)
  }
  return { values: values as OptionValues<O>, positionals };
}

function unknownOption(spec: CommandSpec, raw: string): ArgumentError {
  const typed = raw.replace(/^-+/, '');
  const near = nearest(typed, Object.keys(spec.options));
  return new ArgumentError(`unknown option ${raw}${near !== undefined ? ` (did you mean --${near}?)` : ''}`);
}

/**
 * The candidate a typo most likely meant: the closest by edit distance (a swap of two neighbours
 * counts as one edit) when it is close enough to be the same word, or the only one it begins.
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best !== undefined && best.distance <= Math.max(1, Math.floor(Math.max(word.length, best.candidate.length) / 3))) return best.candidate;
  const prefixed = word.length >= 2 ? candidates.filter((c) => c.toLowerCase().startsWith(word)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
