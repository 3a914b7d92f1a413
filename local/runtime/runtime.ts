import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FlowirConfig } from '../../core/detection/config';
import type { DetectionGroup } from '../../core/detection/rules';
import type { TimeWindow } from '../../core/detection/window';
import { FlowLogFormat } from '../../core/flowlog/format';
import { suppressionSettingsFor } from '../../core/incident/suppression';
import type { IncidentConfig } from '../../core/policy/incident-config';
import type { ScanResult } from '../../core/scan/scanner';
import { createApprovalEndpoint } from '../../handlers/approval-endpoint';
import { guardrailSettings, type IpSetPair } from '../../handlers/containment/settings';
import { createBlockHandler } from '../../handlers/block';
import { createEvidenceHandler } from '../../handlers/evidence';
import { createNotifyHandler } from '../../handlers/notify';
import { createPlanWindowHandler } from '../../handlers/plan-window';
import { createPolicyHandler } from '../../handlers/policy';
import { createReleaseHandler } from '../../handlers/release';
import { createRequestApprovalHandler } from '../../handlers/request-approval';
import { createSweepHandler, type SweepOutput } from '../../handlers/sweep-expired';
import { createTicketHandler } from '../../handlers/ticket';
import { createToFindingsHandler } from '../../handlers/to-findings';
import type { MetricsPort } from '../../handlers/ports/metrics';
import { IncidentAlreadyStartedError, type IncidentStarterPort, type Notice, type NotifierPort } from '../../handlers/ports';
import { createStartIncidentsHandler } from '../../handlers/start-incidents';
import type { ApprovalRequestInput, DetectionInput, FindingsRecord, PlanOutput } from '../../workflows/contract';
import { DETECTION_TASKS, DETECTION_WAITS, INCIDENT_TASKS, INCIDENT_WAITS } from '../../workflows/contract';
import { synthesizeFlowirDefinitions } from '../../infra/definitions';
import { createLocalAdapters, lockStateDir, openStateDir, SimulatedClock, type LocalAdapters } from '../adapters';
import { refuseClosedApprovals } from '../approval/closed-approvals';
import { startApprovalServer, type ApprovalServer, type ServerHost } from '../approval/server';
import { fastScan } from '../fast/fast-scan';
import { expandInputs } from '../input/sources';
import { ExecutionAlreadyExistsError, LocalStepFunctions, type ExecutionContext, type ExecutionRecord, type TaskFn } from './engine';
import { LocalLogsInsights } from './queries';
import { sweepStateDir, type StartupSweep } from './startup-sweep';
// Importing local/athena loads no DuckDB: createLocalAthena does, for the athena engine only.
import { createLocalAthena, DEFAULT_LOCAL_ATHENA_TABLE, type LocalAthena } from '../athena';
import { StartQuery$, StopQuery$, type StartQueryCommandInput, type StopQueryCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { sdkIntegration } from '../aws-shape';
import { ExecutionRecorder, writeExecutionHistory, type LibraryEvent, type TaskHandlers } from '../history';
import type { AslDefinition } from '../../workflows/resolve';

export interface ApprovalLink {
  readonly executionName: string;
  readonly findingId: string;
  readonly approver: string;
  readonly url: string;
  readonly expiresAt: string;
}

export interface LocalRunOptions {
  readonly inputs: readonly string[];
  readonly config: FlowirConfig;
  readonly incident: IncidentConfig;
  /** Window end; default: the next whole hour after the latest record's start. */
  readonly until?: number;
  readonly windowSeconds: number;
  readonly stateDir: string;
  /** Approval server port (0: a free one). */
  readonly port?: number;
  /** Where the approval server listens and the host its links name. @default 127.0.0.1 for both (see local/approval/host.ts) */
  readonly host?: ServerHost;
  /**
   * Interrupts the run (the CLI aborts it on SIGINT / SIGTERM): every running execution is stopped
   * and recorded ABORTED, as StopExecution would, and the blocks they made are released by the
   * sweeper, as the EventBridge rule has it do on AWS. runLocal then returns, with `interrupted` set.
   */
  readonly signal?: AbortSignal;
  /** Who the approval links are for. @default ['approver@localhost'] (with decide: ['local-cli']) */
  readonly approvers?: readonly string[];
  /** Answer every approval through the approval endpoint, as a person would. */
  readonly decide?: 'approve' | 'reject';
  /** The detection engine whose state machine runs (as cdk deploy's `-c engine`). @default 'logs-insights' */
  readonly engine?: 'logs-insights' | 'athena';
  /** The VPC's own CIDRs (never blocked). */
  readonly vpcCidrs?: readonly string[];
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** Each approval link as it is sent. */
  readonly onApprovalLink?: (link: ApprovalLink) => void;
  /** Called once the approval server listens. */
  readonly onServer?: (server: ApprovalServer) => void;
  /** While approvals are pending, called this often (seconds) with each one and its time left, and once with none when the last has ended. @default off */
  readonly reminderSeconds?: number;
  readonly onReminder?: (pending: ReadonlyArray<{ readonly link: ApprovalLink; readonly secondsLeft: number }>) => void;
}

export interface LocalRun {
  readonly scan: ScanResult;
  readonly window: TimeWindow;
  readonly engine: LocalStepFunctions;
  readonly adapters: LocalAdapters;
  readonly detections: ExecutionRecord[];
  readonly incidents: ExecutionRecord[];
  readonly approvalLinks: ApprovalLink[];
  /** Per incident execution: the simulated clock's fast-forwards. */
  readonly clocks: ReadonlyMap<string, SimulatedClock>;
  /** Incident executions that ended without releasing (ABORTED, FAILED, TIMED_OUT): what the sweeper then released. */
  readonly sweeps: ReadonlyMap<string, SweepOutput>;
  /** Set when `signal` stopped the run: why, and the executions it stopped (each recorded ABORTED). */
  readonly interrupted: { readonly reason: string; readonly aborted: readonly ExecutionRecord[] } | null;
  /** What each rule of each detection found and what became of every finding (ToFindings' records). */
  readonly findingsRecords: readonly FindingsRecord[];
  /** What the run released and removed before it started: an earlier, killed run's leftovers. */
  readonly startupSweep: StartupSweep;
}

const IP_SETS: IpSetPair = {
  IPV4: { name: 'flowir-blocklist-v4', id: 'local-v4', scope: 'REGIONAL', version: 4 },
  IPV6: { name: 'flowir-blocklist-v6', id: 'local-v6', scope: 'REGIONAL', version: 6 },
};

const noMetrics: MetricsPort = { findings: async () => undefined };

/** Scan the inputs over one window with the streaming evaluator (its fast path, as `flowir scan`). */
export async function scanWindow(inputs: readonly string[], config: FlowirConfig, windowSeconds: number, until?: number, onNotice?: (message: string) => void): Promise<ScanResult> {
  return fastScan(await expandInputs(inputs), { config, windowSeconds, ...(until !== undefined ? { until } : {}), ...(onNotice !== undefined ? { onNotice } : {}) });
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The whole incident response on one machine: the deployed state machine definitions, run by
 * aws-local-stepfunctions, every Task served by the same handler code as on AWS through local
 * adapters under the state dir; approvals through the same endpoint, on 127.0.0.1.
 */
export async function runLocal(options: LocalRunOptions): Promise<LocalRun> {
  // A state dir that is a file or cannot be written is refused here, before anything runs; one that
  // another run is using, too (one writer per state dir: two would contain the same incidents twice).
  const lock = await lockStateDir(await openStateDir(options.stateDir));
  try {
    return await runInStateDir(options);
  } finally {
    await lock.release();
  }
}

async function runInStateDir(options: LocalRunOptions): Promise<LocalRun> {
  const progress = options.progress ?? (() => undefined);
  const signal = options.signal;
  const config = options.config;
  const format = FlowLogFormat.parse(config.format);
  const adapters = createLocalAdapters({ stateDir: options.stateDir, inputs: options.inputs, defaultFormat: format });

  // As the deployed sweeper does: what an earlier, killed run left blocked is released first.
  const startupSweep = await sweepStateDir(adapters, { now: () => new Date() });
  for (const r of startupSweep.released) progress(`released ${r.cidr}, left blocked by ${r.executionName} of an earlier run that ended without releasing it (${r.reason === 'expired' ? 'its block had expired' : 'its run was stopped'})`);
  if (startupSweep.removedTempFiles.length > 0) progress(`removed ${plural(startupSweep.removedTempFiles.length, 'temporary file', 'temporary files')} of interrupted writes`);

  progress('scanning flow logs…');
  // Inputs that hold the same records (a sample's two layouts) are counted once, as `flowir scan` says on stderr too.
  const scan = await scanWindow(options.inputs, config, options.windowSeconds, options.until, progress);
  const window = scan.window;
  progress(`window ${new Date(window.start * 1000).toISOString()} → ${new Date(window.end * 1000).toISOString()}: ${plural(scan.records.inWindow, 'record', 'records')}, ${plural(scan.findings.length, 'finding', 'findings')} over threshold`);

  // The fast scan of a window, for the Logs Insights queries that are exactly a compiled rule: this run's own scan for its window.
  const evaluate = (w: TimeWindow): Promise<ScanResult> => (w.start === window.start && w.end === window.end ? Promise.resolve(scan) : scanWindow(options.inputs, config, w.end - w.start, w.end));
  const queries = new LocalLogsInsights({ inputs: options.inputs, config, scan: evaluate, leaveOut: ((scan.records as { duplicateOf?: ReadonlyArray<{ path: string }> }).duplicateOf ?? []).map((d) => d.path), onNotice: progress });
  const approvalTimeoutSeconds = options.incident.approvalTimeoutSeconds;
  // The definitions of the stack `cdk deploy` ships (placeholders resolved), with this run's approval timeout.
  const engineName = options.engine ?? 'logs-insights';
  const definitions = synthesizeFlowirDefinitions({ approvalTimeout: String(approvalTimeoutSeconds), engine: engineName });
  // The athena engine's queries run in DuckDB over the same files (local/athena), loaded only for it.
  const athena = engineName === 'athena' ? await openLocalAthena(options.inputs, config, scan, progress) : undefined;
  const guardrails = guardrailSettings(config, options.incident, options.vpcCidrs ?? []);
  const approvers = options.approvers ?? (options.decide ? ['local-cli'] : ['approver@localhost']);
  const approvalLinks: ApprovalLink[] = [];
  const clocks = new Map<string, SimulatedClock>();
  const realClock = { now: () => new Date() };

  const endpoint = createApprovalEndpoint({ store: adapters.approvals, callback: adapters.taskCallbacks, keys: adapters.signingKeys, clock: realClock });
  const callbacks = adapters.taskCallbacks;
  const served = refuseClosedApprovals(endpoint, { store: adapters.approvals, keys: adapters.signingKeys, clock: realClock, tokenState: (t) => callbacks.state(t) });
  let server: ApprovalServer;
  try {
    server = await startApprovalServer(served, options.port ?? 0, options.host);
  } catch (e) {
    await athena?.close();
    throw e;
  }
  options.onServer?.(server);

  // Approval notices carry the links: show them, and with --decide answer them through the endpoint.
  const decisions: Promise<void>[] = [];
  // Each approver gets a notice of their own: --decide answers one link per execution, as one person would.
  const decided = new Set<string>();
  const waiting = new Map<string, ApprovalLink[]>();
  const endErrors: string[] = [];
  const notifier: NotifierPort = {
    publish: async (notice: Notice) => {
      const sent = await adapters.notifier.publish(notice);
      const data = notice.data as { kind?: string; executionName?: string; finding?: { id?: string }; expiresAt?: string; links?: { approver: string; url: string }[] };
      if (data.kind === 'approval') {
        for (const l of data.links ?? []) {
          const link: ApprovalLink = { executionName: data.executionName ?? '', findingId: data.finding?.id ?? '', approver: l.approver, url: l.url, expiresAt: data.expiresAt ?? '' };
          approvalLinks.push(link);
          waiting.set(link.executionName, [...(waiting.get(link.executionName) ?? []), link]);
          options.onApprovalLink?.(link);
        }
        const first = data.links?.[0];
        const execution = data.executionName ?? '';
        // An answer that arrives as the run stops finds the task gone: the page says so, and that is no error of the run.
        if (options.decide && first && !decided.has(execution)) {
          decided.add(execution);
          decisions.push(decideThroughEndpoint(first.url, options.decide).catch((e: unknown) => (signal?.aborted === true ? undefined : Promise.reject(e))));
        }
      }
      return sent;
    },
  };

  // StartIncidents opens incident executions here as StartExecution does on AWS: by name, once.
  const starter: IncidentStarterPort = {
    start: async (name, input) => {
      try {
        const started = engine.start('incident', name, input);
        progress(`incident ${name} started`);
        return { executionArn: started.arn };
      } catch (e) {
        if (e instanceof ExecutionAlreadyExistsError) throw new IncidentAlreadyStartedError(e.message, { cause: e });
        throw e;
      }
    },
  };
  const detectionTasks = (): Record<string, TaskFn> => {
    const plan = createPlanWindowHandler({ config: athena === undefined ? { detection: config, engine: 'logs-insights' } : { detection: config, engine: 'athena', athenaTable: athena.table }, clock: realClock });
    const toFindings = createToFindingsHandler({
      config: { detection: config, suppression: suppressionSettingsFor(options.incident) },
      suppressions: adapters.suppression,
      metrics: noMetrics,
      clock: realClock,
      store: adapters.evidence,
      // The Lambda calls GetQueryResults through the SDK, in the SDK's own shapes.
      logsInsights: queries,
      ...(athena !== undefined ? { athenaResults: athena.local.results } : {}),
    });
    const startIncidents = createStartIncidentsHandler({ store: adapters.evidence, starter, suppressions: adapters.suppression });
    return {
      [DETECTION_TASKS.plan]: async (input) => {
        const out: PlanOutput = await plan(input as DetectionInput);
        return out;
      },
      // aws-sdk integrations: Step Functions' PascalCase in and out, converted by the SDK's own schemas.
      // Each engine's definition has its own query tasks: StartAthenaQuery (.sync), or StartQuery and StopQuery.
      ...(athena !== undefined
        ? athena.local.tasks
        : {
            [DETECTION_TASKS.startQuery]: sdkIntegration(StartQuery$, (input: StartQueryCommandInput) => queries.startQuery(input)),
            [DETECTION_TASKS.stopQuery]: sdkIntegration(StopQuery$, (input: StopQueryCommandInput) => queries.stopQuery(input)),
          }),
      [DETECTION_TASKS.toFindings]: (input) => toFindings(input as never),
      [DETECTION_TASKS.startIncidents]: (input) => startIncidents(input as never),
    };
  };

  const incidentTasks = (ctx: ExecutionContext, clock: SimulatedClock): Record<string, TaskFn> => {
    const notify = createNotifyHandler({ notifier });
    const release = createReleaseHandler({ ipSet: adapters.ipSets, registry: adapters.blocks, clock, networkAcl: { acls: adapters.networkAcls, lease: adapters.aclLease, ledger: adapters.aclLedger, clock, leaseClock: realClock } });
    const requestApproval = createRequestApprovalHandler({ store: adapters.approvals, notifier, keys: adapters.signingKeys, clock: realClock, approvers, baseUrl: server.baseUrl, allowPlainHttp: true, networkAclDeny: options.incident.networkAclDeny });
    const block = createBlockHandler({ ipSets: IP_SETS, ipSet: adapters.ipSets, registry: adapters.blocks, budget: adapters.budget, guardrails, clock, networkAcl: { acls: adapters.networkAcls, lease: adapters.aclLease, ledger: adapters.aclLedger, clock, leaseClock: realClock } });
    return {
      [INCIDENT_TASKS.evidence]: (input) => createEvidenceHandler({ records: adapters.flowRecords, inventory: adapters.inventory, store: adapters.evidence, clock })(input as never),
      [INCIDENT_TASKS.notify]: (input) => notify(input as never),
      [INCIDENT_TASKS.escalate]: (input) => notify(input as never),
      [INCIDENT_TASKS.notifyFailure]: (input) => notify(input as never),
      [INCIDENT_TASKS.policy]: (input) => createPolicyHandler({ incident: options.incident, guardrails })(input as never),
      [INCIDENT_TASKS.approval]: async (input) => {
        const req = input as ApprovalRequestInput;
        const answer = adapters.taskCallbacks.register(req.taskToken, { timeoutMs: approvalTimeoutSeconds * 1000 });
        progress(`incident ${ctx.name} asks for approval (${approvalTimeoutSeconds} s to decide)`);
        await requestApproval(req);
        try {
          return await answer;
        } finally {
          waiting.delete(ctx.name);
        }
      },
      [INCIDENT_TASKS.block]: async (input) => {
        const out = await block(input as never);
        if (out.status === 'blocked') progress(`incident ${ctx.name} blocked ${out.blocked.join(', ')} until ${out.expiresAt} (a wait fast-forwarded on the simulated clock)`);
        return out;
      },
      [INCIDENT_TASKS.ticket]: (input) => createTicketHandler({ tickets: adapters.tickets })(input as never),
      [INCIDENT_TASKS.release]: async (input) => {
        // The Wait before this state was fast-forwarded: move this execution's clock to the expiry.
        const blocks = await adapters.blocks.byExecution(ctx.name);
        const latest = blocks.map((b) => new Date(b.expiresAt)).sort((a, b) => b.getTime() - a.getTime())[0];
        if (latest !== undefined) clock.advanceTo(latest, 'block expiry (Wait fast-forwarded on the simulated clock)', INCIDENT_WAITS.expiry);
        return release(input as never);
      },
      [INCIDENT_TASKS.releaseAfterFailure]: (input) => release(input as never),
    };
  };

  const machines: Record<string, AslDefinition> = { incident: definitions.incident, anomaly: definitions.detection.anomaly, security: definitions.detection.security };
  const recorders = new Map<string, ExecutionRecorder>();
  const sweeps = new Map<string, SweepOutput>();
  const engine: LocalStepFunctions = new LocalStepFunctions({
    tasksFor: (ctx) => {
      // Each execution has its own simulated clock: fast-forwarding one block's expiry moves no one else's time.
      const clock = new SimulatedClock();
      clocks.set(ctx.name, clock);
      const recorder = new ExecutionRecorder({ definition: machines[ctx.machine], stateMachineName: ctx.machine, executionName: ctx.name, executionArn: ctx.arn, clock });
      recorders.set(ctx.name, recorder);
      const served = ctx.machine === 'incident' ? incidentTasks(ctx, clock) : detectionTasks();
      return recorder.instrument(served as TaskHandlers) as Record<string, TaskFn>;
    },
    onEvent: (execution, event) => recorders.get(execution.name)?.record(event as LibraryEvent),
    waitOverrides: { [INCIDENT_WAITS.expiry]: 0, [DETECTION_WAITS.query]: 0 },
    retryIntervalOverrides: Object.fromEntries([...Object.values(INCIDENT_TASKS), ...Object.values(DETECTION_TASKS)].map((n) => [n, 10])),
    nameTaken: (machine, name) => existsSync(path.join(adapters.stateDir.executions, machine, `${name}.json`)),
    onEndError: (execution, error) => {
      endErrors.push(`${execution.name}: ${error.message}`);
      progress(`after ${execution.name} ended: ${error.message}`);
    },
    onEnd: async (execution) => {
      if (execution.machine === 'incident' && execution.status !== 'SUCCEEDED') {
        // No orphan blocks: an execution that ended without releasing has its blocks released now.
        const sweep = createSweepHandler({ ipSet: adapters.ipSets, registry: adapters.blocks, clock: realClock, networkAcl: { acls: adapters.networkAcls, lease: adapters.aclLease, ledger: adapters.aclLedger, clock: realClock, leaseClock: realClock } });
        const swept = await sweep({ 'detail-type': 'Step Functions Execution Status Change', detail: { status: execution.status, name: execution.name, executionArn: execution.arn } });
        sweeps.set(execution.name, swept);
        const own = swept.released.filter((r) => r.executionName === execution.name).map((r) => r.cidr);
        // On AWS the sweeper's release is in its own logs, not in this history; locally the history is the whole record, so it goes here.
        if (execution.status === 'ABORTED' || own.length > 0) {
          recorders.get(execution.name)?.noteExecution(
            `after the execution ended ${execution.status}, sweep-expired (which the EventBridge rule runs for such executions on AWS) ${own.length > 0 ? `released ${own.join(', ')}` : 'found no block of it to release'}`,
            { sweep: swept },
          );
        }
        if (own.length > 0) progress(`incident ${execution.name} ended ${execution.status}: its block of ${own.join(', ')} was released`);
      }
      const recorder = recorders.get(execution.name);
      if (recorder !== undefined) await writeExecutionHistory(adapters.stateDir.root, recorder.document());
      progress(`${execution.machine} ${execution.name}: ${execution.status}${execution.machine === 'incident' && execution.output ? ` (${(execution.output as { outcome?: string }).outcome ?? ''})` : ''}`);
    },
  });
  engine.register('incident', definitions.incident);
  for (const group of ['anomaly', 'security'] as const) engine.register(group, definitions.detection[group]);

  let remindedOf = 0;
  const reminder =
    options.reminderSeconds !== undefined && options.onReminder !== undefined
      ? setInterval(() => {
          const now = Date.now();
          const pending = [...waiting.values()].flat().map((link) => ({ link, secondsLeft: Math.max(0, Math.round((Date.parse(link.expiresAt) - now) / 1000)) }));
          // Once more with none left, so that a countdown on screen can go away.
          if (pending.length > 0 || remindedOf > 0) options.onReminder?.(pending);
          remindedOf = pending.length;
        }, options.reminderSeconds * 1000)
      : undefined;
  let interrupted: { reason: string; aborted: ExecutionRecord[] } | null = null;
  const interrupt = (): void => {
    if (interrupted !== null) return;
    interrupted = { reason: abortReason(signal), aborted: engine.stopAll() };
    progress(`interrupted (${interrupted.reason}): stopping ${interrupted.aborted.length} running execution${interrupted.aborted.length === 1 ? '' : 's'}…`);
    // The stopped approvals' tasks stop waiting, so their timers end and nothing keeps the process up.
    adapters.taskCallbacks.close();
  };
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const groups: readonly DetectionGroup[] = ['security', 'anomaly'];
    // Interrupted during the scan: nothing was started, so nothing needs recording.
    if (signal?.aborted === true) interrupt();
    const detections = interrupted === null ? groups.map((group) => engine.start(group, `${group}-${window.end}-${stamp}`, { group, window, scheduledTime: null })) : [];
    await engine.idle();
    await Promise.all(decisions);
    const findingsRecords = await readFindingsRecords(adapters, detections);
    return { scan, window, engine, adapters, detections, incidents: engine.list('incident'), approvalLinks, clocks, sweeps, interrupted, findingsRecords, startupSweep };
  } finally {
    signal?.removeEventListener('abort', interrupt);
    if (reminder !== undefined) clearInterval(reminder);
    adapters.taskCallbacks.close();
    await server.close();
    await athena?.close();
  }
}

/** The local Athena of a run, over its inputs less the copies the scan left out, with the table PlanWindow names. */
async function openLocalAthena(inputs: readonly string[], config: FlowirConfig, scan: ScanResult, progress: (line: string) => void): Promise<{ local: LocalAthena; table: string; close(): Promise<void> }> {
  progress('opening the local Athena (DuckDB) over the flow logs…');
  // Its results are read through an AthenaClient, whose first construction on Node 20 warns that SDK
  // versions published after January 2027 will need Node 22; flowir pins its SDK in package-lock.json.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const exclude = ((scan.records as { duplicateOf?: ReadonlyArray<{ path: string }> }).duplicateOf ?? []).map((d) => d.path);
  const local = await createLocalAthena({ inputs, format: config.format, table: DEFAULT_LOCAL_ATHENA_TABLE, exclude });
  return { local, table: DEFAULT_LOCAL_ATHENA_TABLE, close: () => local.close() };
}

/** The findings records the detections' rules filed, failed detections' included. */
async function readFindingsRecords(adapters: LocalAdapters, detections: readonly ExecutionRecord[]): Promise<FindingsRecord[]> {
  const out: FindingsRecord[] = [];
  for (const d of detections) {
    for (const key of await adapters.evidence.list(`detections/${d.name}/`)) {
      if (!key.endsWith('/findings.json')) continue;
      const body = await adapters.evidence.get(key);
      if (body !== undefined) out.push(JSON.parse(body.toString('utf8')) as FindingsRecord);
    }
  }
  return out;
}

function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (typeof r === 'string') return r;
  return r instanceof Error && r.name !== 'AbortError' ? r.message : 'aborted';
}

/** Answer an approval link as a person would: open the page, then post the form it shows. */
async function decideThroughEndpoint(url: string, decision: 'approve' | 'reject'): Promise<void> {
  const page = await fetch(url);
  await page.text();
  const u = new URL(url);
  const token = u.searchParams.get('token') ?? '';
  const body = new URLSearchParams({ token, decision, comment: `decided by flowir run --decide ${decision}` });
  const res = await fetch(`${u.origin}${u.pathname}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } });
  await res.text();
}

/** The evidence manifest path of a finding under the state dir. */
export async function manifestPath(adapters: LocalAdapters, manifestKey: string | undefined): Promise<string | null> {
  if (manifestKey === undefined) return null;
  const p = path.join(adapters.stateDir.evidence, manifestKey);
  try {
    await readFile(p);
    return p;
  } catch {
    return null;
  }
}
