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

/** The folder of one detection execution's findings for one rule: `detections/<execution>/<DETECTION>/`. */
export function detectionPrefix(execution: string, detection: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(execution)) throw new EvidenceKeyError(`"${execution}" is not a Step Functions execution name (1 to 80 of A-Z a-z 0-9 _ -)`);
  if (!/^[A-Z_]{1,64}$/.test(detection)) throw new EvidenceKeyError(`"${detection}" is not a detection name`);
  return `detections/${execution}/${detection}/`;
}

/** Where a rule's findings record (every finding and what became of it) lives. */
export function findingsRecordKey(execution: string, detection: string): string {
  return `${detectionPrefix(execution, detection)}findings.json`;
}

/** The key of the `index`-th (from 0) batch of new findings. */
export function findingsBatchKey(execution: string, detection: string, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 9999) throw new EvidenceKeyError(`batch index ${index} is not 0..9999`);
  return `${detectionPrefix(execution, detection)}batch-${String(index + 1).padStart(4, '0')}.json`;
}
