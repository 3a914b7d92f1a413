import { ConfigError } from '../../core/detection/config';
import { TimeArgumentError } from '../../core/detection/window';
import { FormatError } from '../../core/flowlog/format';
import { InputError } from '../input/sources';
import { EXIT_USAGE, UsageError } from './errors';
import { scanCommand, type CliIo } from './scan-command';
import { sampleCommand } from './sample-command';
import type * as RunCommandModule from './run-command';
import type * as AuditCommandModule from './audit-command';

const usage = (): string => `flowir — VPC Flow Logs incident response

Usage:
  flowir scan <path...> [--until T] [--window D] [--config FILE] [--json]
  flowir run <path...> [--until T] [--window D] [--config FILE] [--state-dir DIR] [--port N]
             [--approval-timeout D] [--decide approve|reject] [--approver EMAIL]... [--json]
  ${auditModule().AUDIT_USAGE}
  flowir sample <out-dir> [--records N] [--seed S] [--format v2|v5] [--until T]

T: epoch seconds or ISO 8601.  D: seconds, or 90s, 15m, 1h.  Paths: files, .gz files,
folders (searched recursively, e.g. the S3 AWSLogs/... layout), or - for stdin.
`;

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
// eslint-disable-next-line @typescript-eslint/no-require-imports
const auditModule = (): typeof AuditCommandModule => require('./audit-command') as typeof AuditCommandModule;
const auditCommand: Command = (argv, io) => auditModule().auditCommand(argv, io);
const COMMANDS: Record<string, Command> = { scan: scanCommand, sample: sampleCommand, run: runCommand, audit: auditCommand };

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`flowir: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (isUsageProblem(e)) {
      io.stderr.write(`flowir ${name}: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function isUsageProblem(e: unknown): boolean {
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof TimeArgumentError || e instanceof FormatError || e instanceof InputError) return true;
  // node:util parseArgs throws TypeErrors with these codes for unknown or malformed options.
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
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
