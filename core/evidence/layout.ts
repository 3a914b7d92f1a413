import { executionName } from '../incident/execution-name';

export class EvidenceKeyError extends Error {
  override readonly name = 'EvidenceKeyError';
}

/**
 * `incidents/<name>/`, where name is the finding's execution name: only `[A-Za-z0-9_-]`, safe in
 * S3 keys and on any filesystem (finding ids hold `:`), collision-free, and the same name the
 * incident's execution carries, so an auditor can go from one to the other.
 */
export function evidencePrefix(findingId: string): string {
  return `incidents/${executionName(findingId)}/`;
}

export const MANIFEST_NAME = 'manifest.json';

/** Where an incident's manifest lives. */
export function manifestKey(findingId: string): string {
  return `${evidencePrefix(findingId)}${MANIFEST_NAME}`;
}

/** The key of a named evidence object: a plain file name (letters, digits, `.`, `_`, `-`; no `..`). */
export function evidenceKey(findingId: string, name: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name) || name.startsWith('.') || name.includes('..')) {
    throw new EvidenceKeyError(`"${name}" is not a plain evidence file name (letters, digits, . _ -, not starting with a dot)`);
  }
  if (name === MANIFEST_NAME) throw new EvidenceKeyError(`"${MANIFEST_NAME}" is reserved for the manifest`);
  return `${evidencePrefix(findingId)}${name}`;
}
