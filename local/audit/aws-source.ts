/**
 * Audit sources on AWS: Step Functions itself (ListExecutions, DescribeExecution and every page
 * of GetExecutionHistory), and the histories exported to the evidence bucket, which outlive the
 * 90 days Step Functions keeps them.
 */
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SfnHistoryReader } from '../../handlers/aws/history-reader';
import { S3ObjectStore } from '../../handlers/aws/object-store';
import { keySegment } from '../../handlers/export-history';
import type { EvidenceReader, ObjectRetention } from './evidence-check';
import { fromStepFunctions, parseHistoryDocument, type AuditedExecution } from './history';
import { AuditSourceError, inRange, isDetection, startedBefore, type AuditSource, type TimeRange } from './source';
import { fmt, type NoticeRecord } from './story';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:/\s]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:/\s]{1,80}:[^:/\s]{1,80}$/;
/** ListExecutions returns at most 1,000 a page; bound the pages so a huge account cannot run away. */
const MAX_LIST_PAGES = 100;
/** Detection executions whose histories are read to find the one that opened an incident. */
const MAX_DETECTION_CANDIDATES = 6;

/** Check `--state-machine` values: each a state machine ARN. */
export function checkStateMachineArns(arns: readonly string[]): void {
  for (const a of arns) if (!STATE_MACHINE_ARN.test(a)) throw new AuditSourceError(`--state-machine: expected arn:aws:states:<region>:<account>:stateMachine:<name>, got "${a}"`);
}

/** The evidence bucket as an evidence reader, Object Lock included (HeadObject). */
export function bucketReader(s3: S3Client, bucket: string): EvidenceReader {
  const store = new S3ObjectStore(s3, bucket);
  return {
    description: `s3://${bucket}`,
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    retention: async (key): Promise<ObjectRetention | null> => {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        if (head === undefined) return null;
        return {
          mode: head.ObjectLockMode ?? null,
          retainUntil: head.ObjectLockRetainUntilDate instanceof Date ? head.ObjectLockRetainUntilDate.toISOString() : null,
          versionId: head.VersionId ?? null,
        };
      } catch (e) {
        if (e instanceof NotFound) return null;
        throw e;
      }
    },
  };
}

export class StepFunctionsAuditSource implements AuditSource {
  readonly description: string;
  private readonly history: SfnHistoryReader;

  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArns: readonly string[],
    readonly evidence: EvidenceReader | null,
    /** Exported histories, read for executions Step Functions no longer has. */
    private readonly exported: ExportedAuditSource | null = null,
  ) {
    if (stateMachineArns.length === 0) throw new AuditSourceError('--aws needs the state machines to read: --state-machine ARN (repeat it for the incident and detection state machines)');
    checkStateMachineArns(stateMachineArns);
    this.history = new SfnHistoryReader(sfn);
    this.description = `Step Functions: ${stateMachineArns.join(', ')}${exported ? `, and histories exported to ${exported.description}` : ''}`;
  }

  async executions(range: TimeRange): Promise<AuditedExecution[]> {
    const out: AuditedExecution[] = [];
    const seen = new Set<string>();
    for (const arn of this.stateMachineArns) {
      for (const ref of await this.list(arn, range)) {
        seen.add(ref.name);
        out.push(await this.load(ref.executionArn));
      }
    }
    // Older than Step Functions keeps: the exported copies.
    if (this.exported !== null) for (const e of await this.exported.executions(range)) if (!seen.has(e.name)) out.push(e);
    return out;
  }

  async execution(nameOrArn: string): Promise<AuditedExecution | null> {
    const arns = EXECUTION_ARN.test(nameOrArn) ? [nameOrArn] : this.stateMachineArns.map((m) => `${m.replace(':stateMachine:', ':execution:')}:${nameOrArn}`);
    for (const arn of arns) {
      try {
        return await this.load(arn);
      } catch (e) {
        if (!(e instanceof ExecutionDoesNotExist)) throw e;
      }
    }
    return this.exported === null ? null : this.exported.execution(nameOrArn);
  }

  async detectionsAround(incident: AuditedExecution): Promise<AuditedExecution[]> {
    const t = Date.parse(incident.startDate) / 1000;
    const range = { since: Math.floor(t - 3600), until: Math.ceil(t + 1) };
    const candidates: AuditedExecution[] = [];
    for (const arn of this.stateMachineArns) {
      const refs = (await this.list(arn, range)).filter((r) => r.name !== incident.name).slice(0, MAX_DETECTION_CANDIDATES);
      for (const r of refs) {
        const e = await this.load(r.executionArn);
        if (isDetection(e)) candidates.push(e);
      }
    }
    return startedBefore(incident, candidates);
  }

  async notices(): Promise<NoticeRecord[]> {
    return [];
  }

  /** Executions of one state machine started in the range, newest first (the order ListExecutions gives). */
  private async list(stateMachineArn: string, range: TimeRange): Promise<Array<{ executionArn: string; name: string }>> {
    const out: Array<{ executionArn: string; name: string }> = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const res = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, ...(nextToken !== undefined ? { nextToken } : {}) }));
      let older = false;
      for (const e of res.executions ?? []) {
        if (e.executionArn === undefined || e.name === undefined || !(e.startDate instanceof Date)) continue;
        if (range.since !== undefined && e.startDate.getTime() / 1000 < range.since) older = true;
        if (inRange(e.startDate.toISOString(), range)) out.push({ executionArn: e.executionArn, name: e.name });
      }
      // Newest first: once a page reaches before the range, the rest is older still.
      if (older || res.nextToken === undefined || res.nextToken === '') return out;
      nextToken = res.nextToken;
    }
    throw new AuditSourceError(`${stateMachineArn}: more than ${fmt(MAX_LIST_PAGES * 1000)} executions in the range; narrow it with --since and --until`);
  }

  private async load(executionArn: string): Promise<AuditedExecution> {
    const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.executionArn === undefined || d.stateMachineArn === undefined || d.name === undefined || d.status === undefined || !(d.startDate instanceof Date)) {
      throw new AuditSourceError(`${executionArn}: DescribeExecution answered without its ARN, name, status or start date`);
    }
    const events = await this.history.history(executionArn);
    return fromStepFunctions(
      {
        executionArn: d.executionArn,
        name: d.name,
        stateMachineArn: d.stateMachineArn,
        status: d.status,
        startDate: d.startDate.toISOString(),
        stopDate: d.stopDate instanceof Date ? d.stopDate.toISOString() : null,
        input: d.input ?? null,
        output: d.output ?? null,
        error: d.error ?? null,
        cause: d.cause ?? null,
      },
      events,
    );
  }
}

/** The histories handlers/export-history.ts wrote to the evidence bucket: `executions/<machine>/<name>.json`. */
export class ExportedAuditSource implements AuditSource {
  readonly description: string;
  readonly evidence: EvidenceReader;
  private readonly store: S3ObjectStore;
  private keys: Promise<string[]> | undefined;
  private readonly loaded = new Map<string, Promise<AuditedExecution>>();

  constructor(
    s3: S3Client,
    private readonly bucket: string,
  ) {
    this.store = new S3ObjectStore(s3, bucket);
    this.description = `s3://${bucket}/executions/`;
    this.evidence = bucketReader(s3, bucket);
  }

  async executions(range: TimeRange): Promise<AuditedExecution[]> {
    const out: AuditedExecution[] = [];
    for (const key of await this.list()) {
      const e = await this.load(key);
      if (inRange(e.startDate, range)) out.push(e);
    }
    return out;
  }

  async execution(nameOrArn: string): Promise<AuditedExecution | null> {
    const name = EXECUTION_ARN.test(nameOrArn) ? (nameOrArn.split(':').pop() ?? nameOrArn) : nameOrArn;
    const file = `/${keySegment(name)}.json`;
    for (const key of (await this.list()).filter((k) => k.endsWith(file))) {
      const e = await this.load(key);
      if (e.name === name || e.executionArn === nameOrArn) return e;
    }
    return null;
  }

  async detectionsAround(incident: AuditedExecution): Promise<AuditedExecution[]> {
    const own = `executions/${keySegment(incident.stateMachineName)}/`;
    const others = (await this.list()).filter((k) => !k.startsWith(own));
    const docs: AuditedExecution[] = [];
    for (const k of others) docs.push(await this.load(k));
    return startedBefore(incident, docs).slice(0, MAX_DETECTION_CANDIDATES);
  }

  async notices(): Promise<NoticeRecord[]> {
    return [];
  }

  private list(): Promise<string[]> {
    this.keys ??= this.store.list('executions/').then((keys) => keys.filter((k) => k.endsWith('.json')));
    return this.keys;
  }

  private load(key: string): Promise<AuditedExecution> {
    let p = this.loaded.get(key);
    if (p === undefined) {
      p = (async () => {
        const bytes = await this.store.get(key);
        if (bytes === undefined) throw new AuditSourceError(`s3://${this.bucket}/${key}: listed but not found`);
        return parseHistoryDocument(bytes.toString('utf8'), `s3://${this.bucket}/${key}`, 'exported');
      })();
      this.loaded.set(key, p);
    }
    return p;
  }
}
