import { createHash } from 'node:crypto';
/**
 * Evidence verification: every object the manifest lists is read again and hashed, the finding is
 * re-counted from the raw records in the evidence, and both are held against what the execution
 * history recorded when the evidence was taken. Any difference is a failed check, said plainly.
 */
import { gunzipSync } from 'node:zlib';
import { MANIFEST_NAME, ManifestError, manifestKey as manifestKeyOf, parseManifest, recountFinding, verifyManifest, type EvidenceManifest, type ObjectVerification, type RecountResult } from '../../core/evidence';
import { FindingDataError, parseFinding } from '../../core/incident';
import { EVIDENCE_FILES } from '../../handlers/evidence';
import { HISTORY_ANCHOR_NAME } from '../history/chain';
import type { EvidenceOutput, FindingDoc } from '../../workflows/contract';
import { fmt } from './story';

/** Reads evidence objects: the local evidence folder, or the evidence bucket. */
export interface EvidenceReader {
  /** Where the evidence lives, for the report (`<state dir>/evidence`, `s3://bucket`). */
  readonly description: string;
  /** The object's bytes, or undefined when there is none; other failures throw. */
  get(key: string): Promise<Buffer | undefined>;
  list(prefix: string): Promise<string[]>;
  /** The object's Object Lock (S3 only): null when it has none; absent where locks do not exist (a local folder). */
  retention?(key: string): Promise<ObjectRetention | null>;
}

/** An object's Object Lock as S3 reports it. */
export interface ObjectRetention {
  readonly mode: string | null;
  /** ISO 8601. */
  readonly retainUntil: string | null;
  readonly versionId: string | null;
}

/** Object Lock of one object the audit relies on. */
export interface RetentionCheck extends ObjectRetention {
  readonly key: string;
  /** Locked now: a mode, and a retain-until date still ahead. */
  readonly locked: boolean;
}

/** The Object Lock of each key (S3 only), and a warning for each one not locked now. */
export async function checkRetention(reader: EvidenceReader, keys: readonly string[], now: Date = new Date()): Promise<{ retention: RetentionCheck[]; warnings: string[] }> {
  const retention: RetentionCheck[] = [];
  const warnings: string[] = [];
  if (reader.retention === undefined) return { retention, warnings };
  for (const key of keys) {
    const r = (await reader.retention(key)) ?? { mode: null, retainUntil: null, versionId: null };
    const locked = r.mode !== null && r.retainUntil !== null && Date.parse(r.retainUntil) > now.getTime();
    retention.push({ key, ...r, locked });
    if (!locked) warnings.push(r.mode === null ? `${key} is not under Object Lock: nothing kept it from being overwritten or deleted` : `${key}: its Object Lock (${r.mode}) ran out on ${r.retainUntil ?? '?'}`);
  }
  return { retention, warnings };
}

/**
 * verified: every check passed. failed: at least one did (see problems). none: the execution took
 * no evidence (it ended before, or the finding needed none). unchecked: no evidence store to read.
 */
export type EvidenceVerdict = 'verified' | 'failed' | 'none' | 'unchecked';

export interface RecountCheck {
  /** The value re-counted now from the raw records in the evidence. */
  readonly value: string;
  /** What the execution history recorded (SnapshotEvidence output), if it did. */
  readonly recorded: string | null;
  /** What recount.json in the evidence says. */
  readonly stored: string | null;
  /** What the detection query reported. */
  readonly reported: string;
  readonly threshold: number;
  readonly confirmed: boolean;
  readonly records: RecountResult['records'];
}

export interface EvidenceCheck {
  readonly verdict: EvidenceVerdict;
  readonly store: string | null;
  readonly manifestKey: string | null;
  readonly manifestCreatedAt: string | null;
  readonly objects: readonly ObjectVerification[];
  /** Objects under the incident's prefix that the manifest does not list (not part of the hashed record). */
  readonly unlisted: readonly string[];
  readonly recount: RecountCheck | null;
  /** Failed checks, one sentence each. Empty when verified. */
  readonly problems: readonly string[];
  /** Why there is nothing to check (none, unchecked). */
  readonly note: string | null;
  /** Object Lock of the manifest and each object (evidence read from S3; empty locally). */
  readonly retention: readonly RetentionCheck[];
  /** Worth a look, but not a failed check (an object outside the manifest, an object not locked). */
  readonly warnings: readonly string[];
}

export interface EvidenceCheckInput {
  readonly finding: FindingDoc | null;
  /** What SnapshotEvidence returned in the history (null when it never finished). */
  readonly recorded: EvidenceOutput | null;
}

/** Check one incident's evidence against its manifest and its history. */
export async function checkEvidence(input: EvidenceCheckInput, reader: EvidenceReader | null): Promise<EvidenceCheck> {
  const blank = { store: reader?.description ?? null, manifestCreatedAt: null, objects: [], unlisted: [], recount: null, retention: [], warnings: [] };
  const key = input.recorded?.manifestKey ?? (input.finding !== null ? safeManifestKey(input.finding.id) : null);
  if (reader === null) return { ...blank, verdict: 'unchecked', manifestKey: key, problems: [], note: 'no evidence store given: the hashes and the recount were not checked' };
  if (key === null) return { ...blank, verdict: 'none', manifestKey: null, problems: [], note: 'the execution has no finding, so no evidence' };

  const manifestBytes = await reader.get(key);
  if (manifestBytes === undefined) {
    if (input.recorded === null) return { ...blank, verdict: 'none', manifestKey: key, problems: [], note: 'the execution took no evidence (it ended before SnapshotEvidence finished)' };
    return { ...blank, verdict: 'failed', manifestKey: key, problems: [`the manifest ${key} is missing from ${reader.description}, though the history records that it was written`], note: null };
  }
  const problems: string[] = [];
  const recordedHash = input.recorded?.manifestSha256;
  if (typeof recordedHash === 'string') {
    const actual = createHash('sha256').update(manifestBytes).digest('hex');
    if (actual !== recordedHash) problems.push(`the manifest itself was altered: its sha256 is ${actual}, the execution history recorded ${recordedHash}`);
  }
  let manifest: EvidenceManifest;
  try {
    manifest = parseManifest(manifestBytes.toString('utf8'), key);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    return { ...blank, verdict: 'failed', manifestKey: key, problems: [`the manifest cannot be read: ${e.message}`], note: null };
  }

  if (input.finding !== null) {
    const m = manifest.finding;
    const x = input.finding;
    const differs: string[] = (['id', 'detection', 'source', 'port', 'threshold'] as const).filter((k) => m[k] !== x[k]);
    if (String(m.value) !== String(x.value)) differs.push('value');
    if (m.window.start !== x.window.start || m.window.end !== x.window.end) differs.push('window');
    if (differs.length > 0) problems.push(`the manifest's finding differs from the execution's in ${differs.join(', ')}`);
  }

  const verification = await verifyManifest(manifest, (k) => reader.get(k));
  for (const o of verification.objects) {
    const name = o.key.slice(manifest.prefix.length);
    if (o.status === 'missing') problems.push(`${name}: missing (the manifest lists it with sha256 ${o.expected.sha256}, ${fmt(o.expected.bytes)} bytes)`);
    if (o.status === 'mismatched' && o.actual) {
      problems.push(`${name}: altered — sha256 is ${o.actual.sha256} (${fmt(o.actual.bytes)} bytes), the manifest recorded ${o.expected.sha256} (${fmt(o.expected.bytes)} bytes)`);
    }
  }
  // The history's anchor sits beside the evidence (local/history/chain.ts): checked with the record, not part of the manifest.
  const listed = new Set([...manifest.objects.map((o) => o.key), `${manifest.prefix}${MANIFEST_NAME}`, `${manifest.prefix}${HISTORY_ANCHOR_NAME}`]);
  const unlisted = (await reader.list(manifest.prefix)).filter((k) => !listed.has(k));

  const recount = await recheck(manifest, input, reader, problems);
  const locks = await checkRetention(reader, [key, ...verification.objects.filter((o) => o.status !== 'missing').map((o) => o.key)]);
  return {
    verdict: problems.length === 0 ? 'verified' : 'failed',
    store: reader.description,
    manifestKey: key,
    manifestCreatedAt: manifest.createdAt,
    objects: verification.objects,
    unlisted,
    recount,
    problems,
    note: null,
    retention: locks.retention,
    warnings: [...unlisted.map((k) => `${k} is under the incident's prefix but not in the manifest (not part of the hashed record)`), ...locks.warnings],
  };
}

/** Re-count the finding from the raw records and hold it against the history and recount.json. */
async function recheck(manifest: EvidenceManifest, input: EvidenceCheckInput, reader: EvidenceReader, problems: string[]): Promise<RecountCheck | null> {
  const recordsKey = `${manifest.prefix}${EVIDENCE_FILES.records}`;
  if (!manifest.objects.some((o) => o.key === recordsKey)) {
    problems.push(`the manifest lists no ${EVIDENCE_FILES.records}: the finding cannot be re-counted from raw records`);
    return null;
  }
  const gz = await reader.get(recordsKey);
  if (gz === undefined) {
    problems.push(`${EVIDENCE_FILES.records}: missing, so the finding cannot be re-counted`);
    return null;
  }
  let text: string;
  try {
    text = gunzipSync(gz).toString('utf8');
  } catch (e) {
    problems.push(`${EVIDENCE_FILES.records}: not readable as gzip (${(e as Error).message}), so the finding cannot be re-counted`);
    return null;
  }
  let finding;
  try {
    finding = parseFinding(manifest.finding, 'manifest.finding');
  } catch (e) {
    if (!(e instanceof FindingDataError)) throw e;
    problems.push(`the manifest's finding is not valid: ${e.message}`);
    return null;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const result = recountFinding(finding, lines, { file: EVIDENCE_FILES.records });
  const value = String(result.value);
  const recorded = input.recorded === null ? null : String(input.recorded.recount);
  if (recorded !== null && recorded !== value) problems.push(`recount: the raw records in the evidence give ${fmt(value)}, but the execution recorded ${fmt(recorded)}`);
  if (input.recorded !== null && input.recorded.confirmed !== result.confirmed) {
    problems.push(`recount: the raw records ${result.confirmed ? 'confirm' : 'do not confirm'} the finding (${fmt(value)} vs threshold ${fmt(result.threshold)}), but the execution recorded it as ${input.recorded.confirmed ? 'confirmed' : 'unconfirmed'}`);
  }
  if (result.errorCount > 0) problems.push(`${EVIDENCE_FILES.records}: ${fmt(result.errorCount)} line(s) do not parse (first: line ${result.errors[0]?.line}: ${result.errors[0]?.reason})`);

  let stored: string | null = null;
  const recountBytes = await reader.get(`${manifest.prefix}${EVIDENCE_FILES.recount}`);
  if (recountBytes !== undefined) {
    const doc = safeParse(recountBytes);
    stored = doc !== null && typeof doc === 'object' && 'value' in doc ? String((doc as { value: unknown }).value) : null;
    if (stored !== null && stored !== value) problems.push(`recount: ${EVIDENCE_FILES.recount} says ${fmt(stored)}, the raw records give ${fmt(value)}`);
  }
  const summaryBytes = await reader.get(`${manifest.prefix}${EVIDENCE_FILES.summary}`);
  if (summaryBytes !== undefined && input.recorded !== null) {
    const doc = safeParse(summaryBytes) as { summary?: unknown } | null;
    if (doc !== null && doc.summary !== undefined && !sameData(doc.summary, input.recorded.summary)) {
      problems.push(`${EVIDENCE_FILES.summary} differs from the evidence summary the execution recorded`);
    }
  }
  return { value, recorded, stored, reported: String(result.reportedValue), threshold: result.threshold, confirmed: result.confirmed, records: result.records };
}

function safeManifestKey(findingId: string): string | null {
  try {
    return manifestKeyOf(findingId);
  } catch {
    return null;
  }
}

function safeParse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Structural equality of JSON data. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && sameData(ao[k], bo[k]));
}
