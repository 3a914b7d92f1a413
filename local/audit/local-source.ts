/** The local state dir of `flowir run`: histories under `executions/`, evidence, the outbox. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileObjectStore } from '../adapters/object-store';
import { StateDir } from '../adapters/state-dir';
import type { EvidenceReader } from './evidence-check';
import { parseHistoryDocument, type AuditedExecution } from './history';
import { AuditSourceError, inRange, startedBefore, type AuditSource, type TimeRange, type UnrecordedIncident } from './source';
import type { NoticeRecord } from './story';

export class LocalAuditSource implements AuditSource {
  readonly description: string;
  readonly evidence: EvidenceReader;
  private readonly dir: StateDir;
  private all: Promise<AuditedExecution[]> | undefined;
  private outbox: Promise<Array<NoticeRecord & { executionName: string | null }>> | undefined;

  constructor(stateDir: string) {
    this.dir = new StateDir(stateDir);
    this.description = `local state dir ${this.dir.root}`;
    const store = new FileObjectStore(this.dir.evidence);
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
    const [evidence, approvals, notices] = await Promise.all([subfolders(path.join(this.dir.evidence, 'incidents')), approvalExecutions(this.dir.approvals), this.outbox]);
    const found = new Map<string, Set<UnrecordedIncident['found'][number]>>();
    const mark = (name: string | null, what: UnrecordedIncident['found'][number]): void => {
      if (name === null || recorded.has(name)) return;
      found.set(name, (found.get(name) ?? new Set()).add(what));
    };
    for (const n of evidence) mark(n, 'evidence');
    for (const n of approvals) mark(n, 'approval');
    for (const n of notices) mark(n.executionName, 'notices');
    const order = ['evidence', 'approval', 'notices'] as const;
    return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, what]) => ({ name, found: order.filter((o) => what.has(o)) }));
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
        out.push(parseHistoryDocument(await fs.readFile(file, 'utf8'), file, 'local'));
      }
    }
    return out.sort((a, b) => Date.parse(a.startDate) - Date.parse(b.startDate) || (a.name < b.name ? -1 : 1));
  }
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

/** The execution each stored approval belongs to. */
async function approvalExecutions(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.startsWith('approval-') && f.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditSourceError(`${dir}: cannot list (${(e as Error).message})`, { cause: e });
  }
  const out: string[] = [];
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'));
    } catch (e) {
      throw new AuditSourceError(`${path.join(dir, f)}: not a readable approval (${(e as Error).message})`, { cause: e });
    }
    if (isObj(doc) && typeof doc.executionName === 'string') out.push(doc.executionName);
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
