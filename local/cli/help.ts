import type { CommandSpec, OptionSpec } from './args';

const WIDTH = 100;

/** `--window D`, `--approver EMAIL...`, `--json`. */
export function optionForm(name: string, option: OptionSpec): string {
  if (option.type === 'boolean') return `--${name}`;
  return `--${name} ${option.value ?? 'VALUE'}${option.multiple ? '...' : ''}`;
}

/** `flowir scan <path...> [--until T] [--window D] ...`, wrapped under its own start. */
export function usageLine(spec: CommandSpec): string {
  const words = [`flowir ${spec.name}`, ...spec.operands.map((o) => o.name), ...Object.entries(spec.options).map(([name, o]) => `[${optionForm(name, o)}]`)];
  return wrap(words, `flowir ${spec.name} `.length);
}

/** A command's `--help`: usage, what it does, operands, every option with its meaning and default, exit status. */
export function commandHelp(spec: CommandSpec): string {
  const rows = (entries: ReadonlyArray<readonly [string, string]>): string[] => {
    const left = Math.max(...entries.map(([l]) => l.length)) + 2;
    return entries.map(([l, r]) => `  ${l.padEnd(left)}${wrap(r.split(' '), left + 2)}`);
  };
  const options = Object.entries(spec.options).map(([name, o]) => [optionForm(name, o), o.default !== undefined ? `${o.help} (default: ${o.default})` : o.help] as const);
  return [
    `Usage: ${usageLine(spec)}`,
    '',
    ...spec.description.split(/\n\s*\n/).flatMap((paragraph) => [wrap(paragraph.trim().split(/\s+/), 0), '']),
    'Arguments:',
    ...rows(spec.operands.map((o) => [o.name, o.help] as const)),
    '',
    'Options:',
    ...rows([...options, ['-h, --help', 'show this help']]),
    '',
    'Exit status:',
    ...spec.exitStatus.map((line) => `  ${line}`),
    ...(spec.examples !== undefined ? ['', 'Examples:', ...spec.examples.map((e) => `  flowir ${e}`)] : []),
    '',
  ].join('\n');
}

/** `flowir --help`: each command's usage and summary. */
export function mainHelp(specs: readonly CommandSpec[]): string {
  return [
    'flowir — VPC Flow Logs incident response',
    '',
    'Usage:',
    ...specs.flatMap((s) => [`  ${usageLine(s).replace(/\n/g, '\n  ')}`, `      ${s.summary}`, '']),
    'T: epoch seconds or ISO 8601.  D: seconds, or 90s, 15m, 1h, 2d.',
    'flowir <command> --help explains a command and its options; flowir --version prints the version.',
    '',
  ].join('\n');
}

/** Words joined into lines of at most WIDTH columns, continuation lines indented by `indent`. */
function wrap(words: readonly string[], indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}
