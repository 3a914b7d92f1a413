import type { CliIo } from './scan-command';
import { UsageError } from './errors';

export async function sampleCommand(_argv: string[], _io: CliIo): Promise<number> {
  throw new UsageError('sample: not implemented yet');
}
