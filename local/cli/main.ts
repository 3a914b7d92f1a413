import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../core/detection/config';
import { TimeArgumentError } from '../../core/detection/window';
import { FormatError } from '../../core/flowlog/format';
import { InputError } from '../input/sources';
import { ArgumentError, nearest, wantsHelp, type CommandSpec } from './args';
import { AUDIT_COMMAND, COMMAND_SPECS, RUN_COMMAND, SAMPLE_COMMAND, SCAN_COMMAND } from './command-specs';
import { EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { commandHelp, mainHelp } from './help';
import { scanCommand, type CliIo } from './scan-command';
import { sampleCommand } from './sample-command';
import type * as RunCommandModule from './run-command';
import type * as AuditCommandModule from './audit-command';

type Command = (argv: string[], io: CliIo) => Promise<number>;
/**
 * `run` loads the local workflow engine, the CDK synthesis and the AWS SDK: hundreds of modules
 * and about 0.3 s that `scan` and `sample` should not pay, so it is loaded when called.
 */
const runCommand: Command = (argv, io) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('./run-command') as typeof RunCommandModule;
  return loaded.runCommand(argv, io);
};
// `audit` reads Step Functions and S3 through the AWS SDK: loaded when called, too.
const auditCommand: Command = (argv, io) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('./audit-command') as typeof AuditCommandModule;
  return loaded.auditCommand(argv, io);
};

const COMMANDS: ReadonlyMap<string, { readonly spec: CommandSpec; readonly run: Command }> = new Map([
  [SCAN_COMMAND.name, { spec: SCAN_COMMAND, run: scanCommand }],
  [RUN_COMMAND.name, { spec: RUN_COMMAND, run: runCommand }],
  [AUDIT_COMMAND.name, { spec: AUDIT_COMMAND, run: auditCommand }],
  [SAMPLE_COMMAND.name, { spec: SAMPLE_COMMAND, run: sampleCommand }],
]);

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(mainHelp(COMMAND_SPECS));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h') {
    io.stdout.write(mainHelp(COMMAND_SPECS));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`flowir ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (name === 'help') return help(rest, io);
  const command = COMMANDS.get(name);
  if (command === undefined) {
    const option = name.startsWith('-');
    const near = option ? nearest(name.replace(/^-+/, ''), ['help', 'version']) : nearest(name, [...COMMANDS.keys()]);
    const suggestion = near === undefined ? '' : ` (did you mean ${option ? `--${near}` : near}?)`;
    io.stderr.write(`flowir: unknown ${option ? 'option' : 'command'} ${name}${suggestion}\nRun flowir --help for the commands.\n`);
    return EXIT_USAGE;
  }
  if (wantsHelp(rest)) {
    io.stdout.write(commandHelp(command.spec));
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (!isUsageProblem(e)) throw e;
    io.stderr.write(`flowir ${name}: ${e.message}\n`);
    if (e instanceof ArgumentError) io.stderr.write(`Run flowir ${name} --help for its options.\n`);
    return EXIT_USAGE;
  }
}

/** `flowir help [command]`. */
function help(rest: readonly string[], io: CliIo): number {
  const [topic] = rest;
  if (topic === undefined) {
    io.stdout.write(mainHelp(COMMAND_SPECS));
    return EXIT_OK;
  }
  const command = COMMANDS.get(topic);
  if (command === undefined) {
    const near = nearest(topic, [...COMMANDS.keys()]);
    io.stderr.write(`flowir help: no command ${topic}${near !== undefined ? ` (did you mean ${near}?)` : ''}\nRun flowir --help for the commands.\n`);
    return EXIT_USAGE;
  }
  io.stdout.write(commandHelp(command.spec));
  return EXIT_OK;
}

function isUsageProblem(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof ConfigError || e instanceof TimeArgumentError || e instanceof FormatError || e instanceof InputError;
}

/** The version in flowir's package.json: two folders up from local/cli in the sources, three from dist/local/cli. */
export function packageVersion(): string {
  for (let dir = __dirname, i = 0; i < 4; dir = path.dirname(dir), i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'flowir' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): look one folder up
    }
  }
  return 'unknown';
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`flowir: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
