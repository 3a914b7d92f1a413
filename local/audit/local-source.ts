/** The local state dir of `flowir run`: histories under `executions/`, evidence, the outbox, and the stores the record is held against. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_NAME } from '../../core/evidence';
import { executionName as executionNameOf } from '../../core/incident/execution-name';
import { FileObjectStore } from '../adapters/object-store';
import { StateDir } from '../adapters/state-dir';
import { HISTORY_ANCHOR_NAME, HistoryAnchorError, historyAnchorKey, parseHistoryAnchor } from '../history/chain';
import type { EvidenceReader } from './evidence-check';
import { parseHistoryDocument, type AuditedExecution } from './history';
import { checkBlocks, checkChain, checkDecision, networkAclDenyKey, recordCheck, type NetworkAclState, type RecordCheck, type StoredApproval, type StoredBlock, type WafSet } from './record-check';
import { AuditSourceError, inRange, isDetection, isIncident, startedBefore, type AuditSource, type TimeRange, type UnrecordedIncident } from './source';
import type { IncidentStory, NoticeRecord } from './story';

export class LocalAuditSource implements AuditSource {
  readonly description: string;
  readonly evidence: EvidenceReader;
  private readonly dir: StateDir;
  private readonly store: FileObjectStore;
  private all: Promise<AuditedExecution[]> | undefined;
  /** Each history file's content as parsed JSON, by file: what its chain is computed over. */
  private readonly raw = new Map<string, unknown>();
  private outbox: Promise<Array<NoticeRecord & { executionName: string | null }>> | undefined;
  private approvalFiles: Promise<StoredApproval[]> | undefined;
  private blockRecords: Promise<StoredBlock[]> | undefined;
  private wafSets: Promise<Map<string, WafSet>> | undefined;
  private aclState: Promise<NetworkAclState> | undefined;
  private folders: Promise<EvidenceFolder[]> | undefined;

  constructor(stateDir: string) {
    this.dir = new StateDir(stateDir);
    this.description = `local state dir ${this.dir.root}`;
    const store = new FileObjectStore(this.dir.evidence);
    this.store = store;
    this.evidence = { description: this.dir.evidence, get: (k) => store.get(k), list: (p) => store.list(p) };
  }

  async executions(range: TimeRange): Promise<AuditedExecution[]> {
    return (await this.load()).filter((e) => inRange(e.startDate, range));
  }

  async execution(nameOrArn: string): Promise<AuditedExecution | null> {
    return (await this.load()).find((e) => e.name === nameOrArn || e.executionArn === nameOrArn) ?? null;
  }

  async detectionsAround(incident: AuditedExecution): Promise<AuditedExecution[]> {
    return startedBefore(incident, await this.load(), 24 * 3600);
  }

  async notices(executionName: string): Promise<NoticeRecord[]> {
    this.outbox ??= readOutbox(this.dir.outbox);
    return (await this.outbox).filter((n) => n.executionName === executionName).map(({ executionName: _e, ...n }) => n);
  }

  async unrecorded(): Promise<UnrecordedIncident[]> {
    const recorded = new Set((await this.load()).map((e) => e.name));
    this.outbox ??= readOutbox(this.dir.outbox);
    const [folders, approvals, notices] = await Promise.all([this.evidenceFolders(), this.approvals(), this.outbox]);
    const found = new Map<string, Set<UnrecordedIncident['found'][number]>>();
    const mark = (name: string | null, what: UnrecordedIncident['found'][number]): void => {
      if (name === null || recorded.has(name)) return;
      found.set(name, (found.get(name) ?? new Set()).add(what));
    };
    for (const a of approvals) mark(a.executionName, 'approval');
    for (const n of notices) mark(n.executionName, 'notices');
    // An incident folder is an incident's evidence when something else names it: a history anchor, a
    // manifest of a finding of that name, an approval or a notice. Otherwise it is a folder no execution wrote (stateProblems).
    for (const f of folders) if (f.kind === 'incidents' && (f.anchor || f.manifestOfName || found.has(f.name))) mark(f.name, 'evidence');
    const order = ['evidence', 'approval', 'notices'] as const;
    return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, what]) => ({ name, found: order.filter((o) => what.has(o)) }));
  }

  async record(execution: AuditedExecution, story: IncidentStory | null): Promise<RecordCheck> {
    const history = this.rel(execution.location);
    const raw = this.raw.get(execution.location);
    const key = historyAnchorKey({ name: execution.name, input: typeof raw === 'object' && raw !== null ? (raw as { input?: unknown }).input : undefined });
    const chain = checkChain(raw, history, await this.store.get(key), `evidence/${key}`, key);
    if (story === null) return recordCheck({ sealed: true, anchor: chain.anchor, agreed: chain.agreed, problems: chain.problems });
    const [approvals, registry, waf, acls] = await Promise.all([this.approvals(), this.registry(), this.waf(), this.networkAcls()]);
    const decision = checkDecision(story, history, approvals);
    const blocks = checkBlocks(execution, story, history, registry, waf, acls);
    return recordCheck({
      sealed: true,
      anchor: chain.anchor,
      agreed: [...chain.agreed, ...decision.agreed, ...blocks.agreed],
      problems: [...chain.problems, ...decision.problems, ...blocks.problems],
      warnings: decision.warnings,
    });
  }

  async stateProblems(): Promise<string[]> {
    const all = await this.load();
    const recorded = new Set(all.map((e) => e.name));
    const problems: string[] = [];
    const unrecorded = new Set((await this.unrecorded()).map((u) => u.name));
    for (const f of await this.evidenceFolders()) {
      if (recorded.has(f.name)) continue;
      const where = `evidence/${f.kind}/${f.name}/`;
      if (f.anchor) {
        const key = `${f.kind}/${f.name}/${HISTORY_ANCHOR_NAME}`;
        const bytes = await this.store.get(key);
        try {
          const a = parseHistoryAnchor((bytes ?? Buffer.alloc(0)).toString('utf8'));
          problems.push(`evidence/${key}: the anchor of a history of ${f.name} written ${a.writtenAt} (${a.eventCount} events, ${a.status}), which is no longer in executions/: the history was deleted`);
        } catch (e) {
          if (!(e instanceof HistoryAnchorError)) throw e;
          problems.push(`evidence/${key}: a history anchor that cannot be read (${e.message}), and no history of ${f.name}`);
        }
      } else if (f.kind === 'detections') {
        problems.push(`${where}: findings of a detection execution ${f.name}, which has no history and no history anchor (a run stopped before it recorded it, or both were deleted)`);
      } else if (!unrecorded.has(f.name)) {
        problems.push(`${where}: a folder no execution wrote (${f.objects} object${f.objects === 1 ? '' : 's'}): no history, history anchor, approval or notice names ${f.name}, and no manifest in it is of a finding of that name`);
      }
    }
    // Every address in a WAF IP set is there for a live block.
    const [registry, waf] = await Promise.all([this.registry(), this.waf()]);
    for (const [name, set] of [...waf.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const cidr of set.addresses) {
        if (!registry.some((b) => b.cidr === cidr && b.ipSet.name === name && b.removedAt === null)) problems.push(`${set.file}: ${cidr} is in the WAF IP set, but no live block in blocks.json accounts for it`);
      }
    }
    // Every holding in the network ACL ledger is an entry in its ACL.
    const acls = await this.networkAcls();
    for (const h of acls.holdings) {
      if (!(acls.denies.get(h.networkAclId)?.has(networkAclDenyKey(h.ruleNumber, h.cidr)) ?? false)) problems.push(`acl-ledger.json: ${h.executionName} holds the network ACL deny of ${h.cidr} (rule ${h.ruleNumber} of ${h.networkAclId}), but network-acls.json has no such entry`);
      if (!recorded.has(h.executionName)) problems.push(`acl-ledger.json: the network ACL deny of ${h.cidr} (rule ${h.ruleNumber} of ${h.networkAclId}) is held for ${h.executionName}, which has no execution history`);
    }
    // Detection histories are part of the record too (the story's detection context comes from them).
    for (const d of all.filter((e) => isDetection(e) || !isIncident(e))) problems.push(...(await this.record(d, null)).problems);
    return problems;
  }

  async stray(name: string): Promise<string | undefined> {
    if ((await this.load()).some((e) => e.name === name)) return undefined;
    const unrecorded = new Set((await this.unrecorded()).map((u) => u.name));
    const f = (await this.evidenceFolders()).find((x) => x.name === name && x.kind === 'incidents' && !x.anchor && !unrecorded.has(x.name));
    return f === undefined ? undefined : `evidence/incidents/${name}/ is a folder no execution wrote: no history, history anchor, approval or notice names ${name}, and no manifest in it is of a finding of that name`;
  }

  /** A path under the state dir as the report names it (`executions/incident/x.json`). */
  private rel(file: string): string {
    const r = path.relative(this.dir.root, file);
    return r.startsWith('..') || path.isAbsolute(r) ? file : r.split(path.sep).join('/');
  }

  private load(): Promise<AuditedExecution[]> {
    this.all ??= this.read();
    return this.all;
  }

  private async read(): Promise<AuditedExecution[]> {
    const root = this.dir.executions;
    let machines: string[];
    try {
      machines = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new AuditSourceError(`${root}: no execution histories here. Run \`flowir run <flow logs> --state-dir ${this.dir.root}\` first, or point --state-dir at the state dir of a run.`);
      }
      throw new AuditSourceError(`${root}: cannot list (${(e as Error).message})`, { cause: e });
    }
    const out: AuditedExecution[] = [];
    for (const m of machines.sort()) {
      const files = (await fs.readdir(path.join(root, m))).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
      for (const f of files) {
        const file = path.join(root, m, f);
        const text = await fs.readFile(file, 'utf8');
        const execution = parseHistoryDocument(text, file, 'local');
        this.raw.set(file, JSON.parse(text) as unknown);
        out.push(execution);
      }
    }
    return out.sort((a, b) => Date.parse(a.startDate) - Date.parse(b.startDate) || (a.name < b.name ? -1 : 1));
  }

  /** Every approval in the approval store (`approvals/approval-<id>.json`), read as files: nothing is written. */
  private approvals(): Promise<StoredApproval[]> {
    this.approvalFiles ??= readApprovals(this.dir.approvals);
    return this.approvalFiles;
  }

  /** The block registry's records, removed ones included (blocks.json). */
  private registry(): Promise<StoredBlock[]> {
    this.blockRecords ??= readBlocks(this.dir.blocks);
    return this.blockRecords;
  }

  /** The local WAF IP sets (`waf/<name>.json`), read as files: nothing is created. */
  private waf(): Promise<Map<string, WafSet>> {
    this.wafSets ??= readWaf(this.dir.waf);
    return this.wafSets;
  }

  /** The network ACL ledger (acl-ledger.json) and the ACLs' deny entries (network-acls.json), read as files. */
  private networkAcls(): Promise<NetworkAclState> {
    this.aclState ??= readNetworkAcls(this.dir.aclLedger, this.dir.networkAcls);
    return this.aclState;
  }

  private evidenceFolders(): Promise<EvidenceFolder[]> {
    this.folders ??= (async () => [...(await readFolders(this.store, this.dir.evidence, 'incidents')), ...(await readFolders(this.store, this.dir.evidence, 'detections'))])();
    return this.folders;
  }
}

/** A folder of the evidence store under incidents/ or detections/. */
interface EvidenceFolder {
  readonly kind: 'incidents' | 'detections';
  readonly name: string;
  readonly objects: number;
  readonly anchor: boolean;
  /** It holds a manifest whose finding's execution name is the folder's. */
  readonly manifestOfName: boolean;
}

async function readFolders(store: FileObjectStore, root: string, kind: 'incidents' | 'detections'): Promise<EvidenceFolder[]> {
  const out: EvidenceFolder[] = [];
  for (const name of (await subfolders(path.join(root, kind))).sort()) {
    let keys: string[];
    try {
      keys = await store.list(`${kind}/${name}/`);
    } catch (e) {
      throw new AuditSourceError(`${path.join(root, kind, name)}: cannot list (${(e as Error).message})`, { cause: e });
    }
    let manifestOfName = false;
    const manifest = keys.includes(`${kind}/${name}/${MANIFEST_NAME}`) ? await store.get(`${kind}/${name}/${MANIFEST_NAME}`) : undefined;
    if (manifest !== undefined) {
      try {
        const id = (JSON.parse(manifest.toString('utf8')) as { finding?: { id?: unknown } }).finding?.id;
        manifestOfName = typeof id === 'string' && executionNameOf(id) === name;
      } catch {
        manifestOfName = false;
      }
    }
    out.push({ kind, name, objects: keys.length, anchor: keys.includes(`${kind}/${name}/${HISTORY_ANCHOR_NAME}`), manifestOfName });
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Folder names under `dir`; none when it is absent. */
async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditSourceError(`${dir}: cannot list (${(e as Error).message})`, { cause: e });
  }
}

/** Every stored approval: its file, execution and decision. */
async function readApprovals(dir: string): Promise<StoredApproval[]> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.startsWith('approval-') && f.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditSourceError(`${dir}: cannot list (${(e as Error).message})`, { cause: e });
  }
  const out: StoredApproval[] = [];
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'));
    } catch (e) {
      throw new AuditSourceError(`${path.join(dir, f)}: not a readable approval (${(e as Error).message})`, { cause: e });
    }
    if (!isObj(doc) || typeof doc.executionName !== 'string') continue;
    const d = doc.decision;
    const decision = isObj(d) ? { decision: String(d.decision), approver: String(d.approver), at: String(d.at), comment: d.comment ?? null, sourceIp: d.sourceIp ?? null } : null;
    out.push({ file: `approvals/${f}`, executionName: doc.executionName, decision });
  }
  return out;
}

/** blocks.json's records (none when it is absent). */
async function readBlocks(file: string): Promise<StoredBlock[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditSourceError(`${file}: not a readable block registry (${(e as Error).message})`, { cause: e });
  }
  if (!isObj(doc) || !Array.isArray(doc.blocks)) throw new AuditSourceError(`${file}: expected {"blocks": [...]} (the block registry)`);
  return doc.blocks.map((b: unknown, i: number): StoredBlock => {
    if (!isObj(b) || typeof b.cidr !== 'string' || typeof b.executionName !== 'string' || typeof b.blockedAt !== 'string' || typeof b.expiresAt !== 'string' || !isObj(b.ipSet) || typeof b.ipSet.name !== 'string') {
      throw new AuditSourceError(`${file}: blocks[${i}]: expected {cidr, ipSet, executionName, blockedAt, expiresAt}`);
    }
    return { cidr: b.cidr, executionName: b.executionName, blockedAt: b.blockedAt, expiresAt: b.expiresAt, removedAt: typeof b.removedAt === 'string' ? b.removedAt : null, ipSet: { name: b.ipSet.name } };
  });
}

/** A JSON file's content; undefined when it is absent. */
async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditSourceError(`${file}: not a readable ${what} (${(e as Error).message})`, { cause: e });
  }
}

/** The network ACL ledger's holdings and each ACL's ingress deny entries (none when the files are absent). */
async function readNetworkAcls(ledgerFile: string, aclsFile: string): Promise<NetworkAclState> {
  const ledger = await readJson(ledgerFile, 'network ACL ledger');
  const acls = await readJson(aclsFile, 'network ACL state');
  if (ledger !== undefined && (!isObj(ledger) || !Array.isArray(ledger.holdings))) throw new AuditSourceError(`${ledgerFile}: expected {"holdings": [...]} (the network ACL ledger)`);
  if (acls !== undefined && (!isObj(acls) || !Array.isArray(acls.networkAcls))) throw new AuditSourceError(`${aclsFile}: expected {"networkAcls": [...]} (the network ACLs)`);
  const holdings = ((ledger as { holdings?: unknown[] } | undefined)?.holdings ?? []).map((h: unknown, i: number) => {
    if (!isObj(h) || typeof h.networkAclId !== 'string' || typeof h.ruleNumber !== 'number' || typeof h.cidr !== 'string' || typeof h.executionName !== 'string') {
      throw new AuditSourceError(`${ledgerFile}: holdings[${i}]: expected {networkAclId, ruleNumber, cidr, executionName, expiresAt}`);
    }
    return { networkAclId: h.networkAclId, ruleNumber: h.ruleNumber, cidr: h.cidr, executionName: h.executionName };
  });
  const denies = new Map<string, Set<string>>();
  for (const a of ((acls as { networkAcls?: unknown[] } | undefined)?.networkAcls ?? []).filter(isObj)) {
    if (typeof a.networkAclId !== 'string') continue;
    const entries = Array.isArray(a.entries) ? a.entries.filter(isObj) : [];
    denies.set(a.networkAclId, new Set(entries.filter((e) => e.egress === false && e.ruleAction === 'deny' && typeof e.ruleNumber === 'number' && typeof e.cidr === 'string').map((e) => networkAclDenyKey(e.ruleNumber as number, e.cidr as string))));
  }
  return { holdings, denies };
}

/** The WAF IP set files, by set name. */
async function readWaf(dir: string): Promise<Map<string, WafSet>> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new AuditSourceError(`${dir}: cannot list (${(e as Error).message})`, { cause: e });
  }
  const out = new Map<string, WafSet>();
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'));
    } catch (e) {
      throw new AuditSourceError(`${path.join(dir, f)}: not a readable WAF IP set (${(e as Error).message})`, { cause: e });
    }
    if (!isObj(doc) || !Array.isArray(doc.addresses) || !doc.addresses.every((a: unknown) => typeof a === 'string')) throw new AuditSourceError(`${path.join(dir, f)}: expected a WAF IP set {addresses, lockToken}`);
    out.set(f.slice(0, -'.json'.length), { file: `waf/${f}`, addresses: doc.addresses as string[] });
  }
  return out;
}

/** The outbox folder's notices (an absent folder is no notices; an unreadable file is an error). */
async function readOutbox(dir: string): Promise<Array<NoticeRecord & { executionName: string | null }>> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditSourceError(`${dir}: cannot list (${(e as Error).message})`, { cause: e });
  }
  const out: Array<NoticeRecord & { executionName: string | null }> = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let doc: unknown;
    try {
      doc = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (e) {
      throw new AuditSourceError(`${file}: not a readable notice (${(e as Error).message})`, { cause: e });
    }
    if (!isObj(doc)) throw new AuditSourceError(`${file}: expected a JSON object (an outbox notice)`);
    const data = isObj(doc.data) ? doc.data : {};
    const links = Array.isArray(data.links) ? data.links.filter(isObj) : [];
    out.push({
      messageId: typeof doc.messageId === 'string' ? doc.messageId : f,
      sentAt: typeof doc.sentAt === 'string' ? doc.sentAt : '',
      topic: typeof doc.topic === 'string' ? doc.topic : '?',
      subject: typeof doc.subject === 'string' ? doc.subject : '',
      kind: typeof data.kind === 'string' ? data.kind : null,
      // The links themselves carry signed tokens: the audit names who got one, never the link.
      approvers: links.map((l) => (typeof l.approver === 'string' ? l.approver : '?')),
      expiresAt: typeof data.expiresAt === 'string' ? data.expiresAt : null,
      executionName: typeof data.executionName === 'string' ? data.executionName : null,
    });
  }
  return out;
}
