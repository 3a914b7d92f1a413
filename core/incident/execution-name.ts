import { createHash } from 'node:crypto';
import { DETECTION_IDS, RULES } from '../detection/rules';
import { parseAddress } from '../flowlog/address';
import { parseFindingId } from './finding-data';

/** Step Functions limit on execution names. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
const HASH_CHARS = 12;

export class ExecutionNameError extends Error {
  override readonly name = 'ExecutionNameError';
}

/**
 * The Step Functions execution name for a finding id: at most 80 characters of `[A-Za-z0-9_-]`
 * (the set CloudWatch logging accepts), deterministic and readable.
 *
 * `:` and `.` become `-`: `PORT_SCAN:203.0.113.50:1763805600` → `PORT_SCAN-203-0-113-50-1763805600`.
 * That alone is lossy (an IPv4-mapped `::ffff:1.2.3.4` and `::ffff:1:2:3:4` would meet), so the
 * plain form is used only for a well-formed finding id with a canonical source whose plain name
 * decodes back to exactly that id (see {@link decodeExecutionName}); every other id, or one too long,
 * gets `_` and 12 hex digits of its SHA-256 after its (shortened) plain form. A plain name never
 * ends in `_` + lower-case hex after its detection prefix, so the two forms cannot meet either.
 */
export function executionName(id: string): string {
  if (id.length === 0) throw new ExecutionNameError('a finding id is needed to name an execution');
  const plain = id.replace(/[^A-Za-z0-9_-]/g, '-');
  if (plain.length <= MAX_EXECUTION_NAME_LENGTH && isPlainNameSafe(id) && decodeExecutionName(plain) === id) return plain;
  const hash = createHash('sha256').update(id, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${plain.slice(0, MAX_EXECUTION_NAME_LENGTH - HASH_CHARS - 1)}_${hash}`;
}

function isPlainNameSafe(id: string): boolean {
  const parts = parseFindingId(id);
  return parts !== undefined && parseAddress(parts.source)?.text === parts.source;
}

/**
 * The finding id a plain execution name stands for (undefined for hashed or foreign names).
 * The detection says whether a port precedes the window end; a source of four non-empty parts is
 * IPv4 (dots), anything else IPv6 (colons): canonical IPv6 has eight groups or a `::`.
 */
export function decodeExecutionName(name: string): string | undefined {
  const detection = DETECTION_IDS.find((d) => name.startsWith(`${d}-`));
  if (detection === undefined) return undefined;
  const parts = name.slice(detection.length + 1).split('-');
  const end = parts.pop();
  const port = RULES[detection].key === 'srcaddr,dstport' ? parts.pop() : undefined;
  if (end === undefined || parts.length === 0) return undefined;
  const source = parts.length === 4 && parts.every((p) => p.length > 0) ? parts.join('.') : parts.join(':');
  return [detection, source, ...(port === undefined ? [] : [port]), end].join(':');
}
