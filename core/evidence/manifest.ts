import { createHash } from 'node:crypto';
import type { Finding } from '../detection/findings';
import { FindingDataError, parseFinding, toFindingData, type FindingData } from '../incident/finding-data';
import { evidencePrefix, MANIFEST_NAME } from './layout';

/** One stored evidence object. */
export interface EvidenceObject {
  /** Full key, under the incident's prefix. */
  readonly key: string;
  /** Lower-case hex SHA-256 of the stored bytes (after gzip, for `.gz` objects). */
  readonly sha256: string;
  readonly bytes: number;
  readonly contentType: string;
}

export const MANIFEST_VERSION = 1;

/** The evidence manifest (`incidents/<name>/manifest.json`): plain JSON. */
export interface EvidenceManifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly findingId: string;
  readonly prefix: string;
  /** ISO 8601 UTC to the second. */
  readonly createdAt: string;
  readonly finding: FindingData;
  /** Sorted by key. */
  readonly objects: readonly EvidenceObject[];
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** Lower-case hex SHA-256 of some bytes (text is hashed as UTF-8). */
export function sha256Hex(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Describe an object about to be stored: its hash and size are taken from the exact bytes. */
export function describeEvidenceObject(key: string, content: Uint8Array | string, contentType: string): EvidenceObject {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { key, sha256: sha256Hex(bytes), bytes: bytes.length, contentType };
}

const SHA256 = /^[0-9a-f]{64}$/;

function checkObjects(objects: readonly unknown[], prefix: string, where: string): EvidenceObject[] {
  const seen = new Set<string>();
  const out = objects.map((raw, i): EvidenceObject => {
    const at = `${where}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ManifestError(at, 'expected an object');
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['key', 'sha256', 'bytes', 'contentType'].includes(k)) throw new ManifestError(`${at}.${k}`, 'unknown field (known: key, sha256, bytes, contentType)');
    if (typeof o.key !== 'string' || !o.key.startsWith(prefix) || o.key.length === prefix.length || o.key.slice(prefix.length).includes('/')) {
      throw new ManifestError(`${at}.key`, `expected a key directly under ${prefix}, got ${JSON.stringify(o.key)}`);
    }
    if (o.key === `${prefix}${MANIFEST_NAME}`) throw new ManifestError(`${at}.key`, 'the manifest cannot list itself');
    if (seen.has(o.key)) throw new ManifestError(`${at}.key`, `"${o.key}" is listed twice`);
    seen.add(o.key);
    if (typeof o.sha256 !== 'string' || !SHA256.test(o.sha256)) throw new ManifestError(`${at}.sha256`, `expected 64 lower-case hex digits, got ${JSON.stringify(o.sha256)}`);
    if (typeof o.bytes !== 'number' || !Number.isSafeInteger(o.bytes) || o.bytes < 0) throw new ManifestError(`${at}.bytes`, `expected a whole number of bytes, got ${JSON.stringify(o.bytes)}`);
    if (typeof o.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(o.contentType)) throw new ManifestError(`${at}.contentType`, `expected a media type, got ${JSON.stringify(o.contentType)}`);
    return { key: o.key, sha256: o.sha256, bytes: o.bytes, contentType: o.contentType };
  });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Build the manifest for a finding's evidence; objects must sit directly under its prefix. */
export function buildManifest(input: { readonly finding: Finding; readonly createdAt: number; readonly objects: readonly EvidenceObject[] }): EvidenceManifest {
  if (!Number.isSafeInteger(input.createdAt) || input.createdAt < 0) throw new ManifestError('createdAt', `expected epoch seconds, got ${String(input.createdAt)}`);
  const prefix = evidencePrefix(input.finding.id);
  return {
    version: MANIFEST_VERSION,
    findingId: input.finding.id,
    prefix,
    createdAt: new Date(input.createdAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    finding: toFindingData(input.finding),
    objects: checkObjects(input.objects, prefix, 'objects'),
  };
}

/** The manifest's stored text: stable field order, two-space indent, final newline. */
export function serializeManifest(m: EvidenceManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Read a stored manifest, checking every field; errors name the field and the source. */
export function parseManifest(text: string, source = 'manifest'): EvidenceManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(source, `not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const fail = (field: string, message: string): never => {
    throw new ManifestError(`${source}: ${field}`, message);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('', 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!['version', 'findingId', 'prefix', 'createdAt', 'finding', 'objects'].includes(k)) fail(k, 'unknown field');
  if (d.version !== MANIFEST_VERSION) fail('version', `expected ${MANIFEST_VERSION}, got ${JSON.stringify(d.version)}`);
  let finding: Finding;
  try {
    finding = parseFinding(d.finding, 'finding');
  } catch (e) {
    if (e instanceof FindingDataError) throw new ManifestError(`${source}: ${e.field}`, e.message.slice(e.field.length + 2), { cause: e });
    throw e;
  }
  if (d.findingId !== finding.id) fail('findingId', `expected "${finding.id}" (the finding's id), got ${JSON.stringify(d.findingId)}`);
  const prefix = evidencePrefix(finding.id);
  if (d.prefix !== prefix) fail('prefix', `expected "${prefix}", got ${JSON.stringify(d.prefix)}`);
  if (typeof d.createdAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(d.createdAt) || Number.isNaN(Date.parse(d.createdAt))) {
    fail('createdAt', `expected an ISO 8601 UTC time, got ${JSON.stringify(d.createdAt)}`);
  }
  if (!Array.isArray(d.objects)) return fail('objects', 'expected an array');
  let objects: EvidenceObject[];
  try {
    objects = checkObjects(d.objects, prefix, 'objects');
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${source}: ${e.field}`, e.message.slice(e.field.length + 2), { cause: e });
    throw e;
  }
  return { version: MANIFEST_VERSION, findingId: finding.id, prefix, createdAt: d.createdAt as string, finding: toFindingData(finding), objects };
}
