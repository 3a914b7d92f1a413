/**
 * The record behind a story, checked: that the history is the one the run wrote (its hash chain
 * against the anchor kept beside the evidence), that it agrees with itself (a task's result, the
 * state data it went into and the execution's output), and that what it says was decided and
 * blocked agrees with the stores that did it (the approval store; the block registry, the WAF IP
 * sets, the network ACL ledger and the ACLs). Pure: the local source reads the files and hands them in.
 *
 * What this can prove: an edit to any one of these records alone. What it cannot: a rewrite of all
 * of them that agrees with itself, by someone who can write the whole state dir (the chain has no
 * secret). On AWS, the history Step Functions keeps, and the exported history and the evidence under
 * Object Lock, are out of such a writer's reach.
 */
import { historyChain, parseHistoryAnchor, HistoryAnchorError, type ChainedEvent, type HistoryAnchor } from '../history/chain';
import { sameJson } from '../history/same-json';
import { INCIDENT_TASKS } from '../../workflows/contract';
import { safeJson, type AuditedExecution } from './history';
import { isIncident } from './source';
import { stateRuns, detailsOf, type EventRef } from './state-runs';
import type { IncidentStory } from './story';

/** verified: every check that applies passed. failed: one did. unsealed: the history has no local anchor to be held against (Step Functions, an exported history); the checks that apply passed. */
export type RecordVerdict = 'verified' | 'failed' | 'unsealed';

export interface RecordCheck {
  readonly verdict: RecordVerdict;
  /** The anchor the history was held against (local runs). */
  readonly anchor: { readonly key: string; readonly head: string; readonly events: number; readonly writtenAt: string } | null;
  /** What was held against what and agreed, one line each (the report's "Record" lines). */
  readonly agreed: readonly string[];
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

export function recordCheck(parts: { readonly anchor?: RecordCheck['anchor']; readonly agreed?: readonly string[]; readonly problems?: readonly string[]; readonly warnings?: readonly string[]; readonly sealed: boolean }): RecordCheck {
  const problems = parts.problems ?? [];
  return { verdict: problems.length > 0 ? 'failed' : parts.sealed ? 'verified' : 'unsealed', anchor: parts.anchor ?? null, agreed: parts.agreed ?? [], problems, warnings: parts.warnings ?? [] };
}

const short = (hex: string): string => hex.slice(0, 12);
const eventName = (e: ChainedEvent): string => `event ${e.id ?? '?'} (${e.type ?? 'no type'})`;

export interface ChainResult {
  readonly problems: string[];
  readonly anchor: RecordCheck['anchor'];
  readonly agreed: string[];
}

/**
 * Hold a history (its file's content, parsed) against its anchor. `history` and `anchorPath` name
 * the two files in the messages; `anchorKey` is the anchor's key in the evidence store.
 */
export function checkChain(raw: unknown, history: string, anchorBytes: Buffer | undefined, anchorPath: string, anchorKey: string): ChainResult {
  const chain = historyChain(raw);
  const problems: string[] = [];
  const own = typeof raw === 'object' && raw !== null ? (raw as { chain?: unknown }).chain : undefined;
  if (anchorBytes === undefined) {
    const older = own === undefined ? ' (the history carries no chain either: written before flowir sealed histories, or both removed)' : '';
    return { problems: [`${history}: no history anchor (${anchorPath} is missing): nothing shows this history is the one the run wrote${older}`], anchor: null, agreed: [] };
  }
  let anchor: HistoryAnchor;
  try {
    anchor = parseHistoryAnchor(anchorBytes.toString('utf8'));
  } catch (e) {
    if (!(e instanceof HistoryAnchorError)) throw e;
    return { problems: [`${anchorPath}: not a readable history anchor (${e.message}), so ${history} cannot be held against it`], anchor: null, agreed: [] };
  }
  const info = { key: anchorKey, head: anchor.head, events: anchor.eventCount, writtenAt: anchor.writtenAt };
  const doc = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const name = typeof doc.name === 'string' ? doc.name : typeof doc.executionName === 'string' ? doc.executionName : '';
  if (anchor.executionName !== name || anchor.executionArn !== doc.executionArn || anchor.stateMachineName !== doc.stateMachineName) {
    problems.push(`${anchorPath}: the anchor is of execution ${anchor.executionName} (${anchor.stateMachineName}), not of ${history}`);
  }
  if (anchor.history !== history) problems.push(`${history}: ${anchorPath} sealed the history at ${anchor.history}: it was moved after it was written`);
  if (chain.head !== anchor.head) problems.push(...differences(chain, anchor, history, anchorPath));
  else if (!isOwnChain(own, chain.head, chain.events.length, anchorKey)) problems.push(`${history}: its own "chain" field no longer says head ${short(chain.head)} and ${chain.events.length} events, as its content does: the file was edited after it was written`);
  return { problems, anchor: info, agreed: problems.length === 0 ? [`${history} matches its anchor ${anchorPath}: ${chain.events.length} events, chain head ${short(chain.head)}, written ${anchor.writtenAt}`] : [] };
}

function isOwnChain(own: unknown, head: string, events: number, anchorKey: string): boolean {
  if (typeof own !== 'object' || own === null) return false;
  const c = own as Record<string, unknown>;
  return c.head === head && c.events === events && c.anchor === anchorKey;
}

/** What differs between a history and its anchor: the first event that does, and every document field that does. */
function differences(chain: ReturnType<typeof historyChain>, anchor: HistoryAnchor, history: string, anchorPath: string): string[] {
  const out: string[] = [];
  const now = chain.events;
  const sealed = anchor.events;
  const first = firstDifference(now, sealed);
  if (first !== null) out.push(`${history}: ${first}`);
  const fields = new Set([...Object.keys(chain.fields), ...Object.keys(anchor.fields)]);
  for (const f of [...fields].sort()) {
    const a = chain.fields[f];
    const b = anchor.fields[f];
    if (a === b) continue;
    out.push(b === undefined ? `${history}: its ${f} was not in what ${anchorPath} sealed: added after the history was written` : a === undefined ? `${history}: its ${f}, which ${anchorPath} sealed, is gone: removed after the history was written` : `${history}: its ${f} is not what ${anchorPath} sealed: edited after the history was written`);
  }
  // Everything the head covers agrees, yet the heads differ: the anchor itself was edited.
  if (out.length === 0) out.push(`${anchorPath}: its head ${short(anchor.head)} is not the head of the events and fields it lists (${short(chain.head)}): the anchor was edited`);
  return out;

  function firstDifference(h: readonly ChainedEvent[], a: readonly ChainedEvent[]): string | null {
    const n = Math.min(h.length, a.length);
    let i = 0;
    while (i < n && h[i]?.sha256 === a[i]?.sha256) i++;
    if (i === h.length && i === a.length) return null;
    const counts = `(${a.length} events sealed, ${h.length} now)`;
    if (i === h.length) return `${eventName(a[i] as ChainedEvent)} that ${anchorPath} sealed is gone: removed after the history was written ${counts}`;
    if (i === a.length) return `${eventName(h[i] as ChainedEvent)} is not in what ${anchorPath} sealed: added after the history was written ${counts}`;
    const hi = h[i] as ChainedEvent;
    const ai = a[i] as ChainedEvent;
    const laterInHistory = h.slice(i + 1).some((x) => x.sha256 === ai.sha256);
    const laterInAnchor = a.slice(i + 1).some((x) => x.sha256 === hi.sha256);
    if (laterInHistory && laterInAnchor) return `${eventName(hi)} is not where ${anchorPath} sealed it: the events were reordered after the history was written`;
    if (laterInAnchor) return `${eventName(ai)} that ${anchorPath} sealed is gone: removed after the history was written ${counts}`;
    if (laterInHistory) return `${eventName(hi)} is not in what ${anchorPath} sealed: added after the history was written ${counts}`;
    const when = hi.timestamp !== ai.timestamp ? `; its timestamp reads ${hi.timestamp ?? '(none)'}, the sealed one ${ai.timestamp ?? '(none)'}` : '';
    if (hi.id === ai.id && hi.type === ai.type) return `${eventName(hi)} is not the event ${anchorPath} sealed: it was edited after the history was written${when}`;
    return `${eventName(hi)} is not the event ${anchorPath} sealed there, ${eventName(ai)}: it was replaced after the history was written${when}`;
  }
}

/** Where each incident task puts its result in the state data (workflows/incident.ts resultPath). */
const RESULT_KEYS: Readonly<Record<string, string>> = {
  [INCIDENT_TASKS.evidence]: 'evidence',
  [INCIDENT_TASKS.notify]: 'notice',
  [INCIDENT_TASKS.policy]: 'policy',
  [INCIDENT_TASKS.approval]: 'decision',
  [INCIDENT_TASKS.escalate]: 'escalation',
  [INCIDENT_TASKS.block]: 'containment',
  [INCIDENT_TASKS.ticket]: 'ticket',
  [INCIDENT_TASKS.release]: 'release',
  [INCIDENT_TASKS.releaseAfterFailure]: 'release',
  [INCIDENT_TASKS.notifyFailure]: 'failureNotice',
};

const ref = (e: EventRef): string => `event ${e.id}, ${e.type}`;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether an incident history agrees with itself: the story reads each fact from one place (a
 * state's output), while the history holds it in several (the task's result, every later state's
 * data, the execution's output). An edit to one copy only is caught here, whatever the source.
 */
export function checkConsistency(execution: AuditedExecution): string[] {
  if (!isIncident(execution)) return [];
  const problems: string[] = [];
  const say = (what: string): void => {
    problems.push(`the history disagrees with itself: ${what}`);
  };
  const { runs } = stateRuns(execution.events);
  for (const [i, r] of runs.entries()) {
    const key = RESULT_KEYS[r.name];
    const last = r.attempts[r.attempts.length - 1];
    if (key !== undefined && r.ended === 'exited' && r.exited !== null && last?.end?.kind === 'succeeded' && isObj(r.output) && isJson(last.end.output) && !sameJson(last.end.output, r.output[key])) {
      say(`the result of ${r.name} (${ref(last.end.event)}) differs from the ${key} in its state's output (event ${r.exited.id})`);
    }
    const prev = runs[i - 1];
    if (prev !== undefined && prev.ended === 'exited' && prev.exited !== null && prev.local.caught === undefined && isJson(prev.output) && isJson(r.input) && !sameJson(prev.output, r.input)) {
      say(`the input of ${r.name} (event ${r.entered.id}) differs from the output of ${prev.name} (event ${prev.exited.id}) before it`);
    }
  }
  const lastRun = runs[runs.length - 1];
  const succeeded = [...execution.events].reverse().find((e) => e.type === 'ExecutionSucceeded');
  if (execution.status === 'SUCCEEDED' && succeeded !== undefined) {
    const text = detailsOf(succeeded).output;
    const fromEvent = typeof text === 'string' ? safeJson(text) : undefined;
    if (lastRun?.ended === 'exited' && lastRun.exited !== null && isJson(lastRun.output) && isJson(fromEvent) && !sameJson(lastRun.output, fromEvent)) {
      say(`the output of ExecutionSucceeded (event ${succeeded.id}) differs from the output of its last state ${lastRun.name} (event ${lastRun.exited.id})`);
    }
    if (isJson(fromEvent) && isJson(execution.output) && !sameJson(fromEvent, execution.output)) say(`the execution's output differs from the output of ExecutionSucceeded (event ${succeeded.id})`);
  }
  return problems;
}

/** Parsed JSON data (a payload that was not JSON comes back as its text: not compared). */
function isJson(v: unknown): boolean {
  return v !== undefined && typeof v !== 'string';
}

/** One approval in the approval store, as the audit reads it. */
export interface StoredApproval {
  /** The file, relative to the state dir. */
  readonly file: string;
  readonly executionName: string;
  readonly decision: { readonly decision: string; readonly approver: string; readonly at: string; readonly comment: unknown; readonly sourceIp: unknown } | null;
}

const decisionText = (d: { decision: string; approver: string; at: string }): string => `${d.decision} by ${d.approver} at ${d.at}`;

/** The decision in the history against the approval store's. */
export function checkDecision(story: IncidentStory, history: string, approvals: readonly StoredApproval[]): { problems: string[]; warnings: string[]; agreed: string[] } {
  const mine = approvals.filter((a) => a.executionName === story.execution.name);
  const decided = mine.filter((a): a is StoredApproval & { decision: NonNullable<StoredApproval['decision']> } => a.decision !== null);
  const d = story.approval?.decision ?? null;
  if (d === null) {
    const stray = decided[0];
    if (stray === undefined) return { problems: [], warnings: [], agreed: [] };
    // A decision that came after the task stopped waiting is kept by the store, and changed nothing.
    const stopped = story.approval?.timedOutAt != null || story.execution.status === 'ABORTED' || story.execution.status === 'FAILED' || story.execution.status === 'TIMED_OUT';
    const text = `the approval store's ${stray.file} records ${decisionText(stray.decision)} for this execution, but ${history} records no decision`;
    return stopped ? { problems: [], warnings: [`${text}: it came after the execution stopped waiting, and changed nothing`], agreed: [] } : { problems: [`decision: ${text}`], warnings: [], agreed: [] };
  }
  if (decided.length === 0) return { problems: [`decision: ${history} records ${decisionText(d)}, but the approval store (approvals/) holds no decision for this execution`], warnings: [], agreed: [] };
  const differs = (s: NonNullable<StoredApproval['decision']>): string[] =>
    (['decision', 'approver', 'at', 'comment', 'sourceIp'] as const).filter((k) => !sameJson((d as unknown as Record<string, unknown>)[k] ?? null, (s as unknown as Record<string, unknown>)[k] ?? null));
  const match = decided.find((a) => differs(a.decision).length === 0);
  if (match !== undefined) return { problems: [], warnings: [], agreed: [`the decision (${decisionText(d)}) agrees with the approval store's ${match.file}`] };
  const first = decided[0] as (typeof decided)[number];
  const fields = differs(first.decision);
  return {
    problems: [`decision: ${history} records ${decisionText(d)}, but the approval store's ${first.file} records ${decisionText(first.decision)} (${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'})`],
    warnings: [],
    agreed: [],
  };
}

/** A block as blocks.json keeps it (removed ones stay, with removedAt). */
export interface StoredBlock {
  readonly cidr: string;
  readonly executionName: string;
  readonly blockedAt: string;
  readonly expiresAt: string;
  readonly removedAt: string | null;
  readonly ipSet: { readonly name: string };
}

/** A WAF IP set's file, relative to the state dir, and its addresses. */
export interface WafSet {
  readonly file: string;
  readonly addresses: readonly string[];
}

/** A network ACL deny entry flowir placed: `<acl> rule <n> <cidr>`. */
const aclKey = (e: { networkAclId: string; ruleNumber: number; cidr: string }): string => `${e.networkAclId} rule ${e.ruleNumber} ${e.cidr}`;

function aclEntriesOf(v: unknown, executionName?: string): Array<{ networkAclId: string; ruleNumber: number; cidr: string }> {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (e): e is { networkAclId: string; ruleNumber: number; cidr: string } =>
      isObj(e) && typeof e.networkAclId === 'string' && typeof e.ruleNumber === 'number' && typeof e.cidr === 'string' && (executionName === undefined || e.executionName === executionName),
  );
}

/** What a history records as released: ReleaseBlock's (normal), and ReleaseAfterFailure's and the sweeper's (after a failure or a stop). */
function releasesOf(execution: AuditedExecution, story: IncidentStory): { normal: Set<string>; afterFailure: Set<string>; aclNormal: Set<string>; aclAfterFailure: Set<string> } {
  const normal = new Set<string>();
  const afterFailure = new Set<string>(story.sweep?.released ?? []);
  const aclNormal = new Set<string>();
  const aclAfterFailure = new Set<string>();
  for (const n of execution.executionNotes ?? []) {
    const sweep = isObj(n.data) ? n.data.sweep : undefined;
    if (isObj(sweep)) for (const e of aclEntriesOf(sweep.releasedNetworkAclEntries, story.execution.name)) aclAfterFailure.add(aclKey(e));
  }
  for (const r of stateRuns(execution.events).runs) {
    const release = r.ended === 'exited' && isObj(r.output) ? r.output.release : undefined;
    if (!isObj(release) || !Array.isArray(release.released)) continue;
    const after = r.name === INCIDENT_TASKS.releaseAfterFailure;
    if (!after && r.name !== INCIDENT_TASKS.release) continue;
    for (const c of release.released) if (typeof c === 'string') (after ? afterFailure : normal).add(c);
    for (const e of aclEntriesOf(release.releasedNetworkAclEntries)) (after ? aclAfterFailure : aclNormal).add(aclKey(e));
  }
  return { normal, afterFailure, aclNormal, aclAfterFailure };
}

/** The network ACL state a local run keeps: the ledger of flowir's entries, and the ACLs. */
export interface NetworkAclState {
  /** acl-ledger.json's holdings: one per (ACL, CIDR, execution). */
  readonly holdings: ReadonlyArray<{ readonly networkAclId: string; readonly ruleNumber: number; readonly cidr: string; readonly executionName: string }>;
  /** network-acls.json's ACLs, by id: each ingress deny entry as `rule <n> <cidr>`. */
  readonly denies: ReadonlyMap<string, ReadonlySet<string>>;
}

const denyKey = (ruleNumber: number, cidr: string): string => `rule ${ruleNumber} ${cidr}`;
export { denyKey as networkAclDenyKey };

/** The blocks the history records against blocks.json and the WAF IP sets. */
export function checkBlocks(execution: AuditedExecution, story: IncidentStory, history: string, registry: readonly StoredBlock[], waf: ReadonlyMap<string, WafSet>, acls: NetworkAclState): { problems: string[]; agreed: string[] } {
  const problems: string[] = [];
  const agreed: string[] = [];
  const name = story.execution.name;
  const mine = registry.filter((b) => b.executionName === name);
  const c = story.containment;
  const blocked = c?.status === 'blocked' ? c.blocked : [];
  const { normal, afterFailure, aclNormal, aclAfterFailure } = releasesOf(execution, story);
  for (const cidr of blocked) {
    const r = mine.find((b) => b.cidr === cidr);
    if (r === undefined) {
      problems.push(`containment: ${history} records the block of ${cidr} at ${c?.status === 'blocked' ? c.blockedAt : '?'}, but blocks.json holds no record of it for this execution`);
      continue;
    }
    if (c?.status === 'blocked' && (r.blockedAt !== c.blockedAt || r.expiresAt !== c.expiresAt)) {
      problems.push(`containment: blocks.json's block of ${cidr} runs ${r.blockedAt} → ${r.expiresAt}, but ${history} records ${c.blockedAt} → ${c.expiresAt}`);
    }
  }
  for (const r of mine) {
    const explained = blocked.includes(r.cidr) || afterFailure.has(r.cidr) || (r.removedAt !== null && c?.status === 'guarded');
    if (!explained) problems.push(`containment: blocks.json records the block of ${r.cidr} by this execution at ${r.blockedAt}, but ${history} records no such block`);
  }
  for (const cidr of normal) if (!blocked.includes(cidr)) problems.push(`release: ${history} records the release of ${cidr}, which it never blocked`);
  for (const cidr of new Set([...normal, ...afterFailure])) {
    const r = mine.find((b) => b.cidr === cidr);
    if (r !== undefined && r.removedAt === null) problems.push(`release: ${history} records the release of ${cidr}, but blocks.json still holds its block live`);
  }
  // The WAF IP sets: an address is in its set while some live block holds it, and only then.
  for (const r of mine) {
    const set = waf.get(r.ipSet.name);
    const file = set?.file ?? `waf/${r.ipSet.name}.json`;
    const live = registry.some((b) => b.cidr === r.cidr && b.ipSet.name === r.ipSet.name && b.removedAt === null);
    const present = set?.addresses.includes(r.cidr) ?? false;
    if (r.removedAt === null && !present) problems.push(`containment: ${r.cidr} is blocked (blocks.json, live), but it is not in the WAF IP set ${r.ipSet.name} (${file})`);
    if (!live && present && (normal.has(r.cidr) || afterFailure.has(r.cidr))) problems.push(`release: ${r.cidr} is still in the WAF IP set ${r.ipSet.name} (${file}), though ${history} records its release and no live block holds it`);
  }
  // The network ACL deny entries: held in acl-ledger.json and present in network-acls.json until released, gone after.
  const entries = c?.status === 'blocked' ? aclEntriesOf(c.networkAclEntries) : [];
  const placed = new Set(entries.map(aclKey));
  const released = new Set([...aclNormal, ...aclAfterFailure]);
  const holds = (e: { networkAclId: string; cidr: string }, who: (x: string) => boolean): boolean => acls.holdings.some((h) => h.networkAclId === e.networkAclId && h.cidr === e.cidr && who(h.executionName));
  const present = (e: { networkAclId: string; ruleNumber: number; cidr: string }): boolean => acls.denies.get(e.networkAclId)?.has(denyKey(e.ruleNumber, e.cidr)) ?? false;
  for (const e of entries) {
    const what = `the network ACL deny of ${e.cidr} (rule ${e.ruleNumber} of ${e.networkAclId})`;
    if (released.has(aclKey(e))) {
      if (holds(e, (x) => x === name)) problems.push(`release: ${history} records the release of ${what}, but acl-ledger.json still holds it for this execution`);
      else if (present(e) && !holds(e, () => true)) problems.push(`release: ${what} is still in network-acls.json, though ${history} records its release and no holding in acl-ledger.json keeps it`);
      continue;
    }
    if (!holds(e, (x) => x === name)) problems.push(`containment: ${history} records ${what}, but acl-ledger.json holds no such entry for this execution`);
    if (!present(e)) problems.push(`containment: ${history} records ${what}, but network-acls.json has no such deny entry`);
  }
  for (const h of acls.holdings.filter((x) => x.executionName === name)) {
    if (!placed.has(aclKey(h)) && !aclAfterFailure.has(aclKey(h))) problems.push(`containment: acl-ledger.json holds the network ACL deny of ${h.cidr} (rule ${h.ruleNumber} of ${h.networkAclId}) for this execution, but ${history} records no such entry`);
  }
  for (const k of aclNormal) if (!placed.has(k)) problems.push(`release: ${history} records the release of the network ACL deny ${k}, which it never placed`);
  if (problems.length === 0 && blocked.length > 0) agreed.push(`the block of ${blocked.join(', ')} agrees with blocks.json and the WAF IP set${entries.length > 0 ? `, and its network ACL deny ${entries.length === 1 ? 'entry' : 'entries'} with acl-ledger.json and network-acls.json` : ''}`);
  return { problems, agreed };
}
