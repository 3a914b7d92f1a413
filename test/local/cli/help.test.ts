import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_SPECS } from '../../../local/cli/command-specs';
import { optionForm } from '../../../local/cli/help';
import { flowir } from './run-main';

const REPO = join(__dirname, '..', '..', '..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe.each(COMMAND_SPECS.map((s) => [s.name, s] as const))('flowir %s --help', (name, spec) => {
  it.each([['--help'], ['-h']])('%s: exit 0, on stdout: usage, what it does, every option with its meaning and default, exit status', async (flag) => {
    const r = await flowir([name, flag]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith(`Usage: flowir ${name} `)).toBe(true);
    const flat = (text: string): string => text.replace(/\s+/g, ' ');
    expect(flat(r.stdout)).toContain(flat(spec.description));
    for (const [option, o] of Object.entries(spec.options)) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${optionForm(option, o)} `));
      expect(line).toBeDefined();
      expect(line).toContain(o.help.split(' ').slice(0, 3).join(' '));
      if (o.default !== undefined) expect(r.stdout.replace(/\n +/g, ' ')).toContain(`${o.help} (default: ${o.default})`);
    }
    expect(r.stdout).toMatch(/\nExit status:\n {2}0 /);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('wins over anything else on the line, even bad options', async () => {
    expect((await flowir([name, '--bogus', 'x', '--help'])).code).toBe(0);
  });

  it('is also flowir help <command>', async () => {
    expect((await flowir(['help', name])).stdout).toBe((await flowir([name, '--help'])).stdout);
  });
});

describe('flowir with no command, --help, --version', () => {
  it('--help lists every command with its usage line; exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await flowir(argv);
      expect(r.code).toBe(0);
      for (const spec of COMMAND_SPECS) expect(r.stdout).toContain(`  flowir ${spec.name} `);
      expect(r.stdout).toContain('flowir <command> --help');
    }
  });

  it('after --, --help is an operand: here a path to scan', async () => {
    const r = await flowir(['scan', '--', '--help']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flowir scan: cannot read input --help: /);
  });

  it('no command at all: the same list on stderr, exit 1', async () => {
    const r = await flowir([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('flowir scan <path...>');
  });

  it.each([['--version'], ['-V']])('%s prints the version of package.json, exit 0', async (flag) => {
    const r = await flowir([flag]);
    expect(r).toEqual({ code: 0, stdout: `flowir ${VERSION}\n`, stderr: '' });
  });
});

describe('mistakes in how flowir is called: named, with the nearest right word, exit 1, nothing on stdout', () => {
  it.each([
    [['sacn', 'x.log'], 'flowir: unknown command sacn (did you mean scan?)\nRun flowir --help for the commands.\n'],
    [['audti'], 'flowir: unknown command audti (did you mean audit?)\nRun flowir --help for the commands.\n'],
    [['deploy'], 'flowir: unknown command deploy\nRun flowir --help for the commands.\n'],
    [['--verison'], 'flowir: unknown option --verison (did you mean --version?)\nRun flowir --help for the commands.\n'],
    [['--hlep'], 'flowir: unknown option --hlep (did you mean --help?)\nRun flowir --help for the commands.\n'],
    [['help', 'rnu'], 'flowir help: no command rnu (did you mean run?)\nRun flowir --help for the commands.\n'],
    [['scan', 'x.log', '--windw', '1h'], 'flowir scan: unknown option --windw (did you mean --window?)\nRun flowir scan --help for its options.\n'],
    [['run', 'x.log', '--aproval-timeout', '5m'], 'flowir run: unknown option --aproval-timeout (did you mean --approval-timeout?)\nRun flowir run --help for its options.\n'],
    [['audit', '--state-dri', 'x'], 'flowir audit: unknown option --state-dri (did you mean --state-dir?)\nRun flowir audit --help for its options.\n'],
    [['sample', 'out', '--record', '5'], 'flowir sample: unknown option --record (did you mean --records?)\nRun flowir sample --help for its options.\n'],
    [['scan', 'x.log', '--json=no'], 'flowir scan: --json takes no value (got "--json=no")\nRun flowir scan --help for its options.\n'],
    [['sample'], 'flowir sample: an output folder is needed: flowir sample <out-dir>\nRun flowir sample --help for its options.\n'],
    [['audit', 'a', 'b'], 'flowir audit: one execution at a time, got 2: a b\nRun flowir audit --help for its options.\n'],
  ])('%j', async (argv, stderr) => {
    expect(await flowir(argv)).toEqual({ code: 1, stdout: '', stderr });
  });
});

describe('flowir as a real process (node bin/flowir.js, after npm run build)', () => {
  const bin = join(REPO, 'bin', 'flowir.js');
  const node = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    if (!existsSync(join(REPO, 'dist', 'local', 'cli', 'main.js'))) throw new Error('dist/local/cli/main.js is missing: run `npm run build` first (`npm test` does)');
    return new Promise((resolve) => {
      execFile(process.execPath, args, { cwd: REPO }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  };

  it('--version and scan --help exit 0; a typo exits 1 without a stack trace', async () => {
    expect(await node([bin, '--version'])).toEqual({ code: 0, stdout: `flowir ${VERSION}\n`, stderr: '' });
    expect((await node([bin, 'scan', '--help'])).code).toBe(0);
    const typo = await node([bin, 'scan', 'x.log', '--windw', '1h']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe('flowir scan: unknown option --windw (did you mean --window?)\nRun flowir scan --help for its options.\n');
  });

  it('run --help and audit --help load neither the workflow engine nor the AWS SDK', async () => {
    const script = `
      const { main } = require('./dist/local/cli/main.js');
      const quiet = { write: () => true };
      (async () => {
        for (const c of ['run', 'audit']) await main([c, '--help'], { stdout: quiet, stderr: quiet, stdin: process.stdin });
        const loaded = Object.keys(require.cache);
        console.log(JSON.stringify(loaded.filter((f) => /run-command|audit-command|@aws-sdk|aws-local-stepfunctions|aws-cdk-lib/.test(f))));
        process.stdin.destroy();
      })();`;
    const r = await node(['-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
