import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StateFileError, isRecord, readJsonIfExists, safeName, writeJsonAtomic } from '../adapters/files';
import { FileObjectStore } from '../adapters/object-store';
import { StateDir } from '../adapters/state-dir';
import { HISTORY_CHAIN_VERSION, historyAnchorKey, historyChain, makeHistoryAnchor } from './chain';
import type { ExecutionHistoryDocument, ExecutionStatus } from './document';

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** `<state>/executions/<stateMachine>/<name>.json` (names checked: they become file names). */
export function executionHistoryFile(stateDir: string, stateMachineName: string, executionName: string): string {
  return path.join(new StateDir(stateDir).executions, safeName(stateMachineName, 'state machine name'), `${safeName(executionName, 'execution name')}.json`);
}

/**
 * Write an execution's history document (replacing an earlier snapshot of the same execution),
 * sealed: its hash chain's head in the document (`chain`), and the anchor (the head, the count and
 * each event's hash) in the evidence store beside the incident's evidence,
 * `incidents/<execution>/history-anchor.json` (`detections/<execution>/` for a detection), so that
 * `flowir audit` can tell an edited history from the one the run wrote (local/history/chain.ts).
 * The history is written first: a crash in between leaves a history without its anchor, which
 * the audit reports, never an anchor of a history that was not written. Returns the file.
 */
export async function writeExecutionHistory(stateDir: string, doc: ExecutionHistoryDocument): Promise<string> {
  const dir = new StateDir(stateDir);
  const file = executionHistoryFile(stateDir, doc.stateMachineName, doc.name);
  const { chain: _earlier, ...content } = doc;
  const chain = historyChain(content);
  const anchorKey = historyAnchorKey(content);
  await writeJsonAtomic(file, { ...content, chain: { version: HISTORY_CHAIN_VERSION, events: chain.events.length, head: chain.head, anchor: anchorKey } });
  const anchor = makeHistoryAnchor(content, chain, path.relative(dir.root, file).split(path.sep).join('/'), new Date());
  await new FileObjectStore(dir.evidence).put(anchorKey, `${JSON.stringify(anchor, null, 2)}\n`, 'application/json');
  return file;
}

/** Read a history document (local, or exported from AWS), checking the fields `flowir audit` relies on. */
export async function readExecutionHistory(file: string): Promise<ExecutionHistoryDocument> {
  const doc = await readJsonIfExists(file);
  if (doc === undefined) throw new StateFileError(file, 'no such execution history');
  const fail = (what: string): never => {
    throw new StateFileError(file, what);
  };
  if (!isRecord(doc)) return fail('expected an execution history object');
  for (const k of ['executionArn', 'name', 'stateMachineName', 'startDate'] as const) if (typeof doc[k] !== 'string') fail(`${k}: expected a string, got ${JSON.stringify(doc[k])}`);
  if (!STATUSES.includes(doc.status as ExecutionStatus)) fail(`status: expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(doc.status)}`);
  for (const k of ['stopDate', 'input', 'output', 'error', 'cause'] as const) if (doc[k] !== null && typeof doc[k] !== 'string') fail(`${k}: expected a string or null, got ${JSON.stringify(doc[k])}`);
  if (!Array.isArray(doc.events)) return fail('events: expected an array');
  doc.events.forEach((e: unknown, i: number) => {
    if (!isRecord(e) || typeof e.id !== 'number' || typeof e.type !== 'string' || typeof e.timestamp !== 'string' || typeof e.previousEventId !== 'number') {
      fail(`events[${i}]: expected {id, previousEventId, timestamp, type, ...details}`);
    }
  });
  return doc as unknown as ExecutionHistoryDocument;
}

/** Every execution history under the state dir, by state machine then name. */
export async function listExecutionHistories(stateDir: string): Promise<Array<{ readonly stateMachineName: string; readonly name: string; readonly file: string }>> {
  const root = new StateDir(stateDir).executions;
  let machines: string[];
  try {
    machines = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateFileError(root, `cannot list: ${(e as Error).message}`, { cause: e });
  }
  const out: Array<{ stateMachineName: string; name: string; file: string }> = [];
  for (const machine of machines.sort()) {
    const names = (await fs.readdir(path.join(root, machine))).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    for (const n of names) out.push({ stateMachineName: machine, name: n.slice(0, -'.json'.length), file: path.join(root, machine, n) });
  }
  return out;
}
