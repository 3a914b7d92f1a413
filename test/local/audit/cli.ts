import { PassThrough, Writable } from 'node:stream';
import { auditCommand } from '../../../local/cli/audit-command';
import { UsageError } from '../../../local/cli/errors';
import { TimeArgumentError } from '../../../core/detection/window';
import type { IncidentAudit, AuditListing } from '../../../local/audit/audit';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

export interface AuditRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `flowir audit ...` in-process; a usage problem gives exit 1 and its message on stderr, as main() does (local/cli/main.ts isUsageProblem). */
export async function audit(argv: string[]): Promise<AuditRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end();
  try {
    const code = await auditCommand(argv, { stdout, stderr, stdin });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } catch (e) {
    if (e instanceof UsageError || e instanceof TimeArgumentError) return { code: 1, stdout: stdout.text, stderr: `flowir audit: ${(e as Error).message}\n` };
    throw e;
  }
}

/** The `--json` report of one execution. */
export async function auditJson(argv: string[]): Promise<{ code: number; report: IncidentAudit }> {
  const r = await audit([...argv, '--json']);
  if (r.stdout === '') throw new Error(`no report: exit ${r.code}, stderr: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as IncidentAudit };
}

export async function listJson(argv: string[]): Promise<{ code: number; listing: AuditListing }> {
  const r = await audit([...argv, '--json']);
  if (r.stdout === '') throw new Error(`no listing: exit ${r.code}, stderr: ${r.stderr}`);
  return { code: r.code, listing: JSON.parse(r.stdout) as AuditListing };
}
