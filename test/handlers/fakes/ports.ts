/** In-memory ports for handler tests: small, but they keep the rules the real stores keep. */
import { createHash } from 'node:crypto';
import type { GetQueryResultsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import {
  IncidentAlreadyStartedError,
  type Clock,
  type FlowRecordSource,
  type IncidentStarterPort,
  type InterfaceInfo,
  type NetworkInventory,
  type ObjectStore,
  type StoredObject,
  type SuppressionEntry,
  type SuppressionStore,
} from '../../../handlers/ports';
import type { HistoryEvent, HistoryReader } from '../../../handlers/ports/history';
import type { LogsInsightsResultsPort } from '../../../handlers/ports/logs-insights-results';
import type { FindingsBatch, FindingsRecord, NewFinding, StoredRef, ToFindingsOutput, ToFindingsPending } from '../../../workflows/contract';
import type { FindingCount, MetricsPort } from '../../../handlers/ports/metrics';
import { parseLine } from '../../../core/flowlog/record';
import { FlowLogFormat } from '../../../core/flowlog/format';

export class SettableClock implements Clock {
  constructor(private t: Date) {}
  now(): Date {
    return this.t;
  }
  set(iso: string): void {
    this.t = new Date(iso);
  }
  advance(seconds: number): void {
    this.t = new Date(this.t.getTime() + seconds * 1000);
  }
}

/** Like the DynamoDB store: a claim wins while no live entry holds the key (live: now < expiresAt). */
export class MemorySuppressionStore implements SuppressionStore {
  readonly entries = new Map<string, SuppressionEntry & { lastFindingId: string | null }>();

  async claim(entry: SuppressionEntry, nowIso: string): ReturnType<SuppressionStore['claim']> {
    const current = this.entries.get(entry.key);
    if (current !== undefined && Date.parse(nowIso) < Date.parse(current.expiresAt)) return { claimed: false, existing: current };
    this.entries.set(entry.key, { ...entry, lastFindingId: null });
    return { claimed: true };
  }

  async recordRepeat(key: string, findingId: string): Promise<void> {
    const current = this.entries.get(key);
    if (current === undefined) throw new Error(`no entry for ${key}`);
    if (current.findingId === findingId || current.lastFindingId === findingId) return;
    this.entries.set(key, { ...current, repeats: current.repeats + 1, lastFindingId: findingId });
  }

  /**
   * Like DeleteItem with `ConditionExpression: executionName = :name`: the entry goes only while that
   * execution holds it; held by another, or gone, the delete is refused (ConditionalCheckFailedException
   * on DynamoDB) and nothing changes.
   */
  async release(key: string, executionName: string): Promise<void> {
    const current = this.entries.get(key);
    if (current === undefined || current.executionName !== executionName) throw new ReleaseRefusedError(`${key}: not held by ${executionName} (held by ${current?.executionName ?? 'none'})`);
    this.entries.delete(key);
  }
}

/** MemorySuppressionStore's refusal of a release whose condition fails (DynamoDB: ConditionalCheckFailedException). */
export class ReleaseRefusedError extends Error {
  override readonly name = 'ReleaseRefusedError';
}

export class RecordingMetrics implements MetricsPort {
  readonly published: FindingCount[][] = [];
  async findings(counts: readonly FindingCount[]): Promise<void> {
    this.published.push([...counts]);
  }
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  async put(key: string, body: Buffer | string, contentType: string): Promise<StoredObject> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.objects.set(key, { body: bytes, contentType });
    return { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  async get(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key)?.body;
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/**
 * StartExecution on a Standard state machine, as the API reference states it
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): a name
 * once per state machine; a second call with the same name while that execution is open returns it
 * again when the input is identical and is ExecutionAlreadyExists when it differs; once the execution
 * has closed, the name is ExecutionAlreadyExists whatever the input. Counts the starts in flight.
 */
export class MemoryIncidentStarter implements IncidentStarterPort {
  readonly executions = new Map<string, { readonly input: string; readonly arn: string; open: boolean }>();
  /** Every call, in order: name and input as sent. */
  readonly calls: Array<{ readonly name: string; readonly input: unknown }> = [];
  /** Errors a start of that name throws (the service refusing it, or a throttle the SDK gave up on). */
  readonly failures = new Map<string, Error>();
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly options: { readonly delayMs?: number; readonly stateMachineArn?: string } = {}) {}

  async start(executionName: string, input: Parameters<IncidentStarterPort['start']>[1]): ReturnType<IncidentStarterPort['start']> {
    this.calls.push({ name: executionName, input });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // A call takes time, as a request does: the others in flight meanwhile are counted.
      await new Promise((resolve) => setTimeout(resolve, this.options.delayMs ?? 0));
      const failure = this.failures.get(executionName);
      if (failure !== undefined) throw failure;
      const json = JSON.stringify(input);
      const existing = this.executions.get(executionName);
      if (existing !== undefined) {
        if (existing.open && existing.input === json) return { executionArn: existing.arn };
        throw new IncidentAlreadyStartedError(`${executionName}: Execution Already Exists: '${existing.arn}'`);
      }
      const machine = this.options.stateMachineArn ?? 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-test-incident';
      const arn = `${machine.replace(':stateMachine:', ':execution:')}:${executionName}`;
      this.executions.set(executionName, { input: json, arn, open: true });
      return { executionArn: arn };
    } finally {
      this.inFlight--;
    }
  }

  /** The execution ends (succeeded, failed or timed out): its name stays taken. */
  close(executionName: string): void {
    const e = this.executions.get(executionName);
    if (e === undefined) throw new Error(`no execution ${executionName}`);
    e.open = false;
  }
}

type QueryAnswer = Omit<GetQueryResultsCommandOutput, '$metadata'>;

/**
 * GetQueryResults of scripted queries, in the SDK v3's shapes. Each call answers with the next of the
 * query's answers; the last one repeats (a query that has ended keeps its status and result).
 */
export class ScriptedLogsInsights implements LogsInsightsResultsPort {
  /** The input of every call, in order. */
  readonly asked: Array<Parameters<LogsInsightsResultsPort['getQueryResults']>[0]> = [];
  private readonly scripts = new Map<string, QueryAnswer[]>();

  script(queryId: string, ...answers: QueryAnswer[]): string {
    if (answers.length === 0) throw new Error('a script needs an answer');
    this.scripts.set(queryId, [...answers]);
    return queryId;
  }

  async getQueryResults(input: Parameters<LogsInsightsResultsPort['getQueryResults']>[0]): Promise<GetQueryResultsCommandOutput> {
    this.asked.push(input);
    const answers = this.scripts.get(input.queryId ?? '');
    if (answers === undefined) throw new Error(`InvalidParameterException: no query ${String(input.queryId)}`);
    const answer = (answers.length > 1 ? answers.shift() : answers[0]) as QueryAnswer;
    return structuredClone({ ...answer, $metadata: {} });
  }
}

/** A ToFindings output that is not the pending answer of a running query. */
export function complete(out: ToFindingsOutput | ToFindingsPending): ToFindingsOutput {
  if (out.status !== 'Complete') throw new Error(`expected a complete ToFindings output, got status ${out.status}`);
  return out;
}

/** An object a state names by key and sha256: read back, its bytes checked against the sha256. */
export async function readRef<T>(store: ObjectStore, ref: StoredRef): Promise<T> {
  const body = await store.get(ref.key);
  if (body === undefined) throw new Error(`${ref.key}: not in the store`);
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== ref.sha256) throw new Error(`${ref.key}: sha256 ${sha256}, not the ${ref.sha256} the output names`);
  return JSON.parse(body.toString('utf8')) as T;
}

/** What ToFindings filed: its record, the batch bodies, and their new findings in order (each batch's count checked). */
export async function filed(store: ObjectStore, out: ToFindingsOutput): Promise<{ record: FindingsRecord; batches: FindingsBatch[]; newFindings: NewFinding[] }> {
  const record = await readRef<FindingsRecord>(store, out.record);
  const batches: FindingsBatch[] = [];
  for (const ref of out.batches) {
    const batch = await readRef<FindingsBatch>(store, ref);
    if (batch.findings.length !== ref.count) throw new Error(`${ref.key}: ${batch.findings.length} findings, not the ${ref.count} the output names`);
    batches.push(batch);
  }
  return { record, batches, newFindings: batches.flatMap((b) => b.findings) };
}

/** The input files' role locally: the lines of one source whose start is in the window. */
export class LinesRecordSource implements FlowRecordSource {
  readonly calls: Array<{ source: string; window: { start: number; end: number } }> = [];
  constructor(
    private readonly format: FlowLogFormat,
    private readonly allLines: readonly string[],
  ) {}
  async records(source: string, window: { start: number; end: number }): ReturnType<FlowRecordSource['records']> {
    this.calls.push({ source, window });
    const lines = this.allLines.filter((line) => {
      const r = parseLine(line, this.format);
      return r.kind === 'record' && r.record.srcaddr === source && r.record.start >= window.start && r.record.start < window.end;
    });
    return { format: this.format.fields.join(' '), lines, query: `lines of ${source} in [${window.start}, ${window.end})` };
  }
}

export class MapNetworkInventory implements NetworkInventory {
  readonly asked: string[][] = [];
  constructor(private readonly known: readonly InterfaceInfo[]) {}
  async interfaces(interfaceIds: readonly string[]): Promise<InterfaceInfo[]> {
    this.asked.push([...interfaceIds]);
    return this.known.filter((i) => interfaceIds.includes(i.interfaceId));
  }
}

export class ListHistoryReader implements HistoryReader {
  constructor(private readonly byArn: ReadonlyMap<string, HistoryEvent[]>) {}
  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events = this.byArn.get(executionArn);
    if (events === undefined) throw new Error(`ExecutionDoesNotExist: ${executionArn}`);
    return events;
  }
}
