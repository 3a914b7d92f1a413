import { writeFile } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DETECTION_IDS, isDetectionId } from '../../core/detection/rules';
import { parseInstant } from '../../core/detection/window';
import { toJson } from '../../core/detection/findings';
import { parseAddress } from '../../core/flowlog/address';
import type { Outcome } from '../../workflows/contract';
import { DEFAULT_STATE_DIR } from '../adapters/state-dir';
import { auditList, auditOne, type ListFilters } from '../audit/audit';
import { ExportedAuditSource, StepFunctionsAuditSource, bucketReader } from '../audit/aws-source';
import { LocalAuditSource } from '../audit/local-source';
import { renderAuditHtml, renderListHtml } from '../audit/render-html';
import { renderAuditText, renderListText } from '../audit/render-text';
import { AuditSourceError, type AuditSource } from '../audit/source';
import { HistoryDocumentError } from '../audit/history';
import { EvidenceReadError } from '../../core/evidence';
import { StateFileError } from '../adapters/files';
import { ArgumentError, parseCommandArgs } from './args';
import { AUDIT_COMMAND } from './command-specs';
import { EXIT_OK, UsageError } from './errors';
import type { CliIo } from './scan-command';

/**
 * Exit status when a check fails (altered or missing evidence, a recount that disagrees): apart
 * from 1, bad usage or unreadable input, so that a script can tell "the record is wrong" from
 * "the audit could not be made", and from 2, which `run` gives for a failed workflow execution.
 */
export const EXIT_CHECK_FAILED = 3;

const OUTCOMES: readonly Outcome[] = ['CONTAINED', 'REJECTED', 'TIMED_OUT', 'NOTIFIED', 'UNCONFIRMED', 'SUPPRESSED', 'GUARDED', 'FAILED'];

/**
 * `flowir audit`: the story of an execution (or a list of them) from its history, with every
 * evidence object re-hashed and the finding re-counted. Reads the local state dir by default,
 * Step Functions with --aws, or the histories exported to --evidence-bucket. Exit
 * {@link EXIT_CHECK_FAILED} when any check fails.
 */
export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(AUDIT_COMMAND, argv);
  if (positionals.length > 1) throw new ArgumentError(`one execution at a time, got ${positionals.length}: ${positionals.join(' ')}`);
  const target = positionals[0];
  const filters = listFilters(values);
  if (target !== undefined && Object.keys(filters).length > 0) throw new UsageError('--since, --until, --detection, --source and --outcome filter the list; leave them out when naming one execution');

  let source: AuditSource;
  try {
    source = makeSource(values);
    if (target !== undefined) {
      const audit = await auditOne(source, target);
      if (values.html !== undefined) await writeReport(values.html, renderAuditHtml(audit));
      io.stdout.write(values.json ? `${toJson(audit)}\n` : renderAuditText(audit));
      if (values.html !== undefined && !values.json) io.stderr.write(`flowir audit: report written to ${values.html}\n`);
      return audit.ok ? EXIT_OK : EXIT_CHECK_FAILED;
    }
    const { listing, audits } = await auditList(source, filters);
    if (values.html !== undefined) await writeReport(values.html, renderListHtml(listing, audits));
    io.stdout.write(values.json ? `${toJson(listing)}\n` : renderListText(listing));
    if (values.html !== undefined && !values.json) io.stderr.write(`flowir audit: report written to ${values.html}\n`);
    return listing.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  } catch (e) {
    if (e instanceof AuditSourceError || e instanceof HistoryDocumentError || e instanceof EvidenceReadError || e instanceof StateFileError) throw new UsageError(e.message, { cause: e });
    // AWS answered with an error (access denied, no such state machine...) or had no credentials: say which, without a stack.
    if (e instanceof Error && ('$metadata' in e || e.name === 'CredentialsProviderError')) throw new UsageError(`AWS: ${e.name}: ${e.message}`, { cause: e });
    throw e;
  }
}

interface AuditValues {
  readonly 'state-dir'?: string | undefined;
  readonly aws?: boolean | undefined;
  readonly 'state-machine'?: string[] | undefined;
  readonly 'evidence-bucket'?: string | undefined;
  readonly region?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly detection?: string | undefined;
  readonly source?: string | undefined;
  readonly outcome?: string | undefined;
}

function makeSource(v: AuditValues): AuditSource {
  const bucket = v['evidence-bucket'];
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`--evidence-bucket: "${bucket}" is not an S3 bucket name`);
  const region = v.region !== undefined ? { region: v.region } : {};
  if (v.aws) {
    if (v['state-dir'] !== undefined) throw new UsageError('--state-dir reads a local run; --aws reads Step Functions: use one');
    const s3 = bucket !== undefined ? new S3Client(region) : null;
    return new StepFunctionsAuditSource(new SFNClient(region), v['state-machine'] ?? [], s3 && bucket ? bucketReader(s3, bucket) : null, s3 && bucket ? new ExportedAuditSource(s3, bucket) : null);
  }
  if (v['state-machine'] !== undefined) throw new UsageError('--state-machine is for --aws');
  if (bucket !== undefined) {
    if (v['state-dir'] !== undefined) throw new UsageError('--state-dir reads a local run; --evidence-bucket (without --aws) reads the exported histories: use one');
    return new ExportedAuditSource(new S3Client(region), bucket);
  }
  return new LocalAuditSource(v['state-dir'] ?? DEFAULT_STATE_DIR);
}

function listFilters(v: AuditValues): ListFilters {
  const out: { -readonly [K in keyof ListFilters]: ListFilters[K] } = {};
  if (v.since !== undefined) out.since = parseInstant(v.since, '--since');
  if (v.until !== undefined) out.until = parseInstant(v.until, '--until');
  if (out.since !== undefined && out.until !== undefined && out.until <= out.since) throw new UsageError('--until must be after --since');
  if (v.detection !== undefined) {
    const d = v.detection.toUpperCase();
    if (!isDetectionId(d)) throw new UsageError(`--detection: expected one of ${DETECTION_IDS.join(', ')}, got "${v.detection}"`);
    out.detection = d;
  }
  if (v.source !== undefined) {
    const a = parseAddress(v.source);
    if (a === undefined) throw new UsageError(`--source: expected an IPv4 or IPv6 address, got "${v.source}"`);
    out.source = a.text;
  }
  if (v.outcome !== undefined) {
    const o = v.outcome.toUpperCase();
    if (!(OUTCOMES as readonly string[]).includes(o)) throw new UsageError(`--outcome: expected one of ${OUTCOMES.join(', ')}, got "${v.outcome}"`);
    out.outcome = o as Outcome;
  }
  return out;
}

async function writeReport(file: string, html: string): Promise<void> {
  try {
    await writeFile(file, html, 'utf8');
  } catch (e) {
    throw new UsageError(`--html: cannot write ${file} (${(e as Error).message})`, { cause: e });
  }
}
