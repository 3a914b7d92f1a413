/**
 * The hash chain that makes a local execution history tamper-evident, and the anchor that keeps
 * its head beside the incident's evidence.
 *
 * Each event is hashed alone (SHA-256 of its canonical JSON), and the hashes are chained:
 *
 *     link(0) = sha256("flowir-history-chain/1")
 *     link(i) = sha256(link(i-1) + ":" + sha256(canonical(event i)))        i = 1..n, in file order
 *     head    = sha256(link(n) + ":" + sha256(canonical(document without events and chain)))
 *
 * so the head covers every event, their order and count, and every other field of the document
 * (status, input, output, local notes). Canonical JSON is JSON with object keys sorted and no
 * whitespace; what JSON.stringify leaves out (undefined) is left out, so the head of a document
 * before it is written equals the head of the file read back.
 *
 * `writeExecutionHistory` stores the head in the document (`chain`, which the head does not
 * cover) and writes the anchor, `history-anchor.json`, into the evidence store:
 * `incidents/<execution>/` for an incident (beside its manifest), `detections/<execution>/` for a
 * detection. The anchor also lists each event's id, type, timestamp and hash and each document
 * field's hash, so that an audit can name the first event, or the field, that no longer matches.
 *
 * The chain has no secret: whoever can rewrite the history and its anchor together can make them
 * agree again. What holds against such a rewrite is what the writer cannot also rewrite: the
 * approval store and block registry the audit cross-checks, and on AWS, the exported history and
 * evidence under Object Lock and Step Functions' own history.
 */
import { createHash } from 'node:crypto';

export const HISTORY_ANCHOR_NAME = 'history-anchor.json';
export const HISTORY_CHAIN_VERSION = 'flowir-history-chain/1';
const ANCHOR_KIND = 'flowir execution history anchor';

/** What the written document carries of its chain (not covered by the head). */
export interface HistoryChainSummary {
  readonly version: typeof HISTORY_CHAIN_VERSION;
  readonly events: number;
  readonly head: string;
  /** The anchor's key in the evidence store. */
  readonly anchor: string;
}

export interface ChainedEvent {
  readonly id: number | null;
  readonly type: string | null;
  readonly timestamp: string | null;
  /** SHA-256 of the event's canonical JSON (the event alone). */
  readonly sha256: string;
}

/** The chain of one history document. */
export interface HistoryChain {
  readonly events: readonly ChainedEvent[];
  /** SHA-256 of each top-level field other than `events` and `chain`. */
  readonly fields: Readonly<Record<string, string>>;
  /** SHA-256 of the document without `events` and `chain`. */
  readonly documentSha256: string;
  readonly head: string;
}

/** The anchor as written to the evidence store. */
export interface HistoryAnchor {
  readonly anchor: typeof ANCHOR_KIND;
  readonly version: typeof HISTORY_CHAIN_VERSION;
  readonly executionName: string;
  readonly stateMachineName: string;
  readonly executionArn: string;
  /** The history file, relative to the state dir. */
  readonly history: string;
  readonly status: string;
  /** When the history was written (real time). */
  readonly writtenAt: string;
  readonly head: string;
  readonly documentSha256: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly eventCount: number;
  readonly events: readonly ChainedEvent[];
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** JSON with object keys in code-unit order and no whitespace; undefined (and functions) left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined && typeof o[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** The link after `previous` for an event hash (or, last, the document hash). */
export function nextLink(previous: string, sha: string): string {
  return sha256(`${previous}:${sha}`);
}

/** The head of a chain of event hashes and the document hash. */
export function chainHead(eventHashes: readonly string[], documentSha256: string): string {
  let link = sha256(HISTORY_CHAIN_VERSION);
  for (const h of eventHashes) link = nextLink(link, h);
  return nextLink(link, documentSha256);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The chain of a history document: the recorder's, or the file's content parsed (any JSON object with `events`). */
export function historyChain(doc: unknown): HistoryChain {
  const o: Obj = isObj(doc) ? doc : {};
  const rawEvents: unknown[] = Array.isArray(o.events) ? o.events : [];
  const events = rawEvents.map((e): ChainedEvent => {
    const x: Obj = isObj(e) ? e : {};
    return {
      id: typeof x.id === 'number' ? x.id : null,
      type: typeof x.type === 'string' ? x.type : null,
      timestamp: typeof x.timestamp === 'string' ? x.timestamp : null,
      sha256: sha256(canonicalJson(e)),
    };
  });
  const rest: Obj = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'events' && k !== 'chain' && v !== undefined) rest[k] = v;
  const fields = Object.fromEntries(
    Object.keys(rest)
      .sort()
      .map((k) => [k, sha256(canonicalJson(rest[k]))]),
  );
  const documentSha256 = sha256(canonicalJson(rest));
  return { events, fields, documentSha256, head: chainHead(events.map((e) => e.sha256), documentSha256) };
}

/** Incident executions carry a finding in their input (as `flowir audit` tells them apart). */
function isIncidentDocument(doc: { readonly input?: unknown }): boolean {
  if (typeof doc.input !== 'string') return false;
  try {
    const input = JSON.parse(doc.input) as unknown;
    return isObj(input) && 'finding' in input;
  } catch {
    return false;
  }
}

/** Where the anchor of an execution's history goes in the evidence store. */
export function historyAnchorKey(doc: { readonly name: string; readonly input?: unknown }): string {
  return `${isIncidentDocument(doc) ? 'incidents' : 'detections'}/${doc.name}/${HISTORY_ANCHOR_NAME}`;
}

/** Both places an anchor of this execution may be (incident first): for an audit that reads a document whose input was edited. */
export function historyAnchorKeys(executionName: string): readonly string[] {
  return [`incidents/${executionName}/${HISTORY_ANCHOR_NAME}`, `detections/${executionName}/${HISTORY_ANCHOR_NAME}`];
}

export function makeHistoryAnchor(
  doc: { readonly name: string; readonly stateMachineName: string; readonly executionArn: string; readonly status: string },
  chain: HistoryChain,
  history: string,
  writtenAt: Date,
): HistoryAnchor {
  return {
    anchor: ANCHOR_KIND,
    version: HISTORY_CHAIN_VERSION,
    executionName: doc.name,
    stateMachineName: doc.stateMachineName,
    executionArn: doc.executionArn,
    history,
    status: doc.status,
    writtenAt: writtenAt.toISOString(),
    head: chain.head,
    documentSha256: chain.documentSha256,
    fields: chain.fields,
    eventCount: chain.events.length,
    events: chain.events,
  };
}

/** An anchor that cannot be read as one. */
export class HistoryAnchorError extends Error {
  override readonly name = 'HistoryAnchorError';
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Read an anchor, checking every field the audit relies on. */
export function parseHistoryAnchor(text: string): HistoryAnchor {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HistoryAnchorError(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(doc) || doc.anchor !== ANCHOR_KIND) throw new HistoryAnchorError(`expected {"anchor": "${ANCHOR_KIND}", ...}`);
  if (doc.version !== HISTORY_CHAIN_VERSION) throw new HistoryAnchorError(`version: expected "${HISTORY_CHAIN_VERSION}", got ${JSON.stringify(doc.version)}`);
  for (const k of ['executionName', 'stateMachineName', 'executionArn', 'history', 'status', 'writtenAt'] as const) {
    if (typeof doc[k] !== 'string') throw new HistoryAnchorError(`${k}: expected a string`);
  }
  for (const k of ['head', 'documentSha256'] as const) if (typeof doc[k] !== 'string' || !HEX64.test(doc[k])) throw new HistoryAnchorError(`${k}: expected a SHA-256 in hex`);
  if (!isObj(doc.fields) || !Object.values(doc.fields).every((v) => typeof v === 'string' && HEX64.test(v))) throw new HistoryAnchorError('fields: expected {field: SHA-256}');
  if (!Array.isArray(doc.events)) throw new HistoryAnchorError('events: expected an array');
  doc.events.forEach((e: unknown, i: number) => {
    if (!isObj(e) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) throw new HistoryAnchorError(`events[${i}]: expected {id, type, timestamp, sha256}`);
  });
  if (doc.eventCount !== doc.events.length) throw new HistoryAnchorError(`eventCount: ${JSON.stringify(doc.eventCount)}, but it lists ${doc.events.length} events`);
  return doc as unknown as HistoryAnchor;
}
