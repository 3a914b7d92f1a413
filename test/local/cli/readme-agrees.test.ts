/**
 * README.md's "The `flowir` command" section against the option tables that the parser and
 * `--help` read (local/cli/command-specs.ts): each command's heading lists exactly its options,
 * each with the value name help shows, and the exit statuses a command documents in --help are in
 * the README too. An option added, renamed or dropped in one place fails here until both agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { COMMAND_SPECS } from '../../../local/cli/command-specs';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

/** The text from a `## ` heading to the next one. */
function chapter(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

const COMMAND_CHAPTER = chapter('The `flowir` command');
const INTRO = COMMAND_CHAPTER.slice(0, COMMAND_CHAPTER.indexOf('\n### '));

/** A command's `### `flowir <name> ...`` heading and the text under it. */
function commandSection(name: string): { heading: string; text: string } {
  const start = COMMAND_CHAPTER.indexOf(`\n### \`flowir ${name} `);
  if (start === -1) throw new Error(`README.md has no "### \`flowir ${name} ...\`" heading under "The \`flowir\` command"`);
  const end = COMMAND_CHAPTER.indexOf('\n### ', start + 1);
  const text = COMMAND_CHAPTER.slice(start + 1, end === -1 ? undefined : end);
  return { heading: text.slice(0, text.indexOf('\n')), text };
}

/** `[--window D]` → window: "D"; `[--json]` → json: null; `[--approver EMAIL]...` → approver: "EMAIL". */
function headingOptions(heading: string): Map<string, string | null> {
  const options = new Map<string, string | null>();
  for (const m of heading.matchAll(/\[--([a-z][a-z-]*)(?: ([^\]\s]+))?\]/g)) options.set(m[1] as string, m[2] ?? null);
  return options;
}

describe.each(COMMAND_SPECS.map((s) => [s.name, s] as const))('README.md on flowir %s', (name, spec) => {
  const section = commandSection(name);

  it('the heading lists exactly the options the parser accepts', () => {
    expect([...headingOptions(section.heading).keys()].sort()).toEqual(Object.keys(spec.options).sort());
  });

  it('with the value names --help shows', () => {
    const documented = Object.fromEntries(headingOptions(section.heading));
    const parsed = Object.fromEntries(Object.entries(spec.options).map(([option, o]) => [option, o.type === 'boolean' ? null : (o.value ?? 'VALUE')]));
    expect(documented).toEqual(parsed);
  });

  it('and the operands', () => {
    for (const operand of spec.operands) expect(section.heading).toContain(` ${operand.name}`);
  });

  it('documents each exit status its --help gives', () => {
    for (const line of spec.exitStatus) {
      const code = line.trim().split(/\s+/)[0] as string;
      expect(INTRO).toMatch(new RegExp(`\\b${code} (when|for)\\b`));
      if (Number(code) > 1) expect(section.text).toMatch(new RegExp(`\\b[Ee]xit[^.]*\\b${code}\\b`));
    }
  });
});

it('every command has a section, and every section is a command', () => {
  const headings = [...COMMAND_CHAPTER.matchAll(/\n### `flowir ([a-z]+) /g)].map((m) => m[1]);
  expect(headings.sort()).toEqual(COMMAND_SPECS.map((s) => s.name).sort());
});

it('the configuration section names every incident setting the parser knows', () => {
  const configuration = COMMAND_CHAPTER.slice(COMMAND_CHAPTER.indexOf('\n### Configuration'));
  for (const field of Object.keys(DEFAULT_INCIDENT_CONFIG)) expect(configuration).toContain(`\`${field}\``);
});
