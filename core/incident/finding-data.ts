import { findingId, type Finding } from '../detection/findings';
import { DETECTION_IDS, isDetectionId, RULES, type DetectionId, type Severity } from '../detection/rules';
import { parseAddress } from '../flowlog/address';
import type { Count } from '../flowlog/record';

/** A count in JSON: a number while it is a safe integer, its exact decimal text beyond. */
export type CountData = number | string;

/** A finding as plain JSON (what crosses Step Functions states and lands in evidence). */
export interface FindingData {
  readonly id: string;
  readonly detection: DetectionId;
  readonly severity: Severity;
  readonly source: string;
  readonly port: number | null;
  readonly value: CountData;
  readonly threshold: number;
  readonly window: { readonly start: number; readonly end: number };
}

/** A finding, task input or stored document does not have the expected shape. */
export class FindingDataError extends Error {
  override readonly name = 'FindingDataError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A count as JSON-safe data (bigints, which JSON.stringify refuses, become decimal text). */
export function countToData(value: Count): CountData {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** Read a count written by {@link countToData}; exact beyond 2^53. */
export function countFromData(value: unknown, field = 'value'): Count {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new FindingDataError(field, `expected a non-negative whole number, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value === 'string' && /^(0|[1-9]\d{0,39})$/.test(value)) {
    const big = BigInt(value);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  throw new FindingDataError(field, `expected a non-negative whole number or its decimal text, got ${JSON.stringify(value)}`);
}

/** The finding as plain JSON data. */
export function toFindingData(f: Finding): FindingData {
  return { id: f.id, detection: f.detection, severity: f.severity, source: f.source, port: f.port, value: countToData(f.value), threshold: f.threshold, window: { start: f.window.start, end: f.window.end } };
}

/** The parts of a finding id (`DETECTION:source[:port]:windowEnd`). */
export interface FindingIdParts {
  readonly detection: DetectionId;
  readonly source: string;
  readonly port: number | null;
  readonly windowEnd: number;
}

/**
 * Split a finding id into its parts; undefined when it is not one. IPv6 sources contain colons,
 * so the detection decides whether a port precedes the window end.
 */
export function parseFindingId(id: string): FindingIdParts | undefined {
  const first = id.indexOf(':');
  const last = id.lastIndexOf(':');
  if (first === -1 || last === first) return undefined;
  const detection = id.slice(0, first);
  if (!isDetectionId(detection)) return undefined;
  const endText = id.slice(last + 1);
  if (!/^(0|[1-9]\d{0,11})$/.test(endText)) return undefined;
  let middle = id.slice(first + 1, last);
  let port: number | null = null;
  if (RULES[detection].key === 'srcaddr,dstport') {
    const p = middle.lastIndexOf(':');
    const portText = middle.slice(p + 1);
    if (p === -1 || !/^(0|[1-9]\d{0,4})$/.test(portText) || Number(portText) > 65535) return undefined;
    port = Number(portText);
    middle = middle.slice(0, p);
  }
  if (parseAddress(middle) === undefined) return undefined;
  return { detection, source: middle, port, windowEnd: Number(endText) };
}

const FINDING_FIELDS = ['id', 'detection', 'severity', 'source', 'port', 'value', 'threshold', 'window'];

/**
 * Validate finding data (task input, a stored manifest) and return the finding with an exact count.
 * The source must be an address; it is put in canonical form, and the id must be the one
 * detection derives from the other fields, so a finding cannot name one source and block another.
 */
export function parseFinding(doc: unknown, where = 'finding'): Finding {
  const fail = (field: string, message: string): never => {
    throw new FindingDataError(field ? `${where}.${field}` : where, message);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('', 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of FINDING_FIELDS) if (!(k in d)) fail(k, 'missing');
  for (const k of Object.keys(d)) if (!FINDING_FIELDS.includes(k)) fail(k, `unknown field (known: ${FINDING_FIELDS.join(', ')})`);

  if (typeof d.detection !== 'string' || !isDetectionId(d.detection)) fail('detection', `expected one of ${DETECTION_IDS.join(', ')}, got ${JSON.stringify(d.detection)}`);
  const detection = d.detection as DetectionId;
  if (d.severity !== 'WARNING' && d.severity !== 'CRITICAL') fail('severity', `expected "WARNING" or "CRITICAL", got ${JSON.stringify(d.severity)}`);
  const address = typeof d.source === 'string' ? parseAddress(d.source) : undefined;
  if (address === undefined) return fail('source', `expected an IPv4 or IPv6 address, got ${JSON.stringify(d.source)}`);

  const wantsPort = RULES[detection].key === 'srcaddr,dstport';
  if (wantsPort) {
    if (typeof d.port !== 'number' || !Number.isInteger(d.port) || d.port < 0 || d.port > 65535) fail('port', `${detection} needs a port from 0 to 65535, got ${JSON.stringify(d.port)}`);
  } else if (d.port !== null) {
    fail('port', `${detection} has no port; expected null, got ${JSON.stringify(d.port)}`);
  }
  const port = d.port as number | null;

  const value = countFromData(d.value, `${where}.value`);
  if (typeof d.threshold !== 'number' || !Number.isSafeInteger(d.threshold) || d.threshold < 0) fail('threshold', `expected a non-negative whole number, got ${JSON.stringify(d.threshold)}`);

  const w = d.window;
  if (typeof w !== 'object' || w === null || Array.isArray(w)) return fail('window', 'expected {"start": seconds, "end": seconds}');
  const { start, end } = w as Record<string, unknown>;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) fail('window.start', `expected epoch seconds, got ${JSON.stringify(start)}`);
  if (typeof end !== 'number' || !Number.isSafeInteger(end) || end <= (start as number)) fail('window.end', `expected epoch seconds after window.start, got ${JSON.stringify(end)}`);
  const window = { start: start as number, end: end as number };

  const id = findingId(detection, address.text, port, window);
  if (d.id !== id) fail('id', `expected "${id}" (derived from detection, source, port and window end), got ${JSON.stringify(d.id)}`);
  return { id, detection, severity: d.severity as Severity, source: address.text, port, value, threshold: d.threshold as number, window };
}
