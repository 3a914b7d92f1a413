import { canonicalAddress } from './address';
import type { FieldSpec } from './fields';
import type { FlowLogFormat } from './format';

export type Action = 'ACCEPT' | 'REJECT';
export type LogStatus = 'OK' | 'NODATA' | 'SKIPDATA';
/** Packet and byte counts: a number while it is a safe integer, a bigint beyond. */
export type Count = number | bigint;

/** The fields detection reads from a record, already validated and canonical. */
export interface DetectionRecord {
  readonly srcaddr: string;
  readonly dstport: number;
  readonly bytes: Count;
  readonly start: number;
  readonly action: Action;
}

export type FieldValue = string | number | bigint | null;

export type LineResult =
  | { readonly kind: 'record'; readonly record: DetectionRecord; readonly values: readonly FieldValue[] }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string };

const MAX_INT: Partial<Record<string, number>> = { srcport: 65535, dstport: 65535, protocol: 255, 'tcp-flags': 65535 };

/** Parse a non-negative decimal integer; undefined when the text is not one. */
export function parseCount(text: string): Count | undefined {
  if (text.length === 0 || text.length > 20) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (text.length <= 15) return Number(text);
  const big = BigInt(text);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Validate one field's text; returns the typed value or an error reason. */
export function parseField(spec: FieldSpec, text: string): { value: FieldValue } | { error: string } {
  if (text === '-') return { value: null };
  switch (spec.type) {
    case 'int':
    case 'time': {
      const n = parseCount(text);
      if (n === undefined || typeof n === 'bigint') return { error: notACount(spec.name, text) };
      const max = MAX_INT[spec.name];
      if (max !== undefined && n > max) return { error: `${spec.name}: ${n} is out of range (0 to ${max})` };
      return { value: n };
    }
    case 'count': {
      const n = parseCount(text);
      if (n === undefined) return { error: notACount(spec.name, text) };
      return { value: n };
    }
    case 'addr': {
      const a = canonicalAddress(text);
      if (a === undefined) return { error: `${spec.name}: not an IPv4 or IPv6 address: "${clip(text)}"` };
      return { value: a };
    }
    case 'action':
      if (text !== 'ACCEPT' && text !== 'REJECT') return { error: `action: expected ACCEPT or REJECT, got "${clip(text)}"` };
      return { value: text };
    case 'log-status':
      if (text !== 'OK' && text !== 'NODATA' && text !== 'SKIPDATA') {
        return { error: `log-status: expected OK, NODATA or SKIPDATA, got "${clip(text)}"` };
      }
      return { value: text };
    case 'text':
      return { value: text };
  }
}

/** Say "too large" for digits beyond what the field holds, so that such a line is not mistaken for garbage. */
function notACount(field: string, text: string): string {
  return /^\d+$/.test(text) ? `${field}: ${clip(text)} is too large` : `${field}: not a whole number: "${clip(text)}"`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Split a line into fields: single or repeated spaces/tabs, a trailing CR ignored. */
export function splitFields(line: string): string[] {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  const t = trimmed.trim();
  return t.length === 0 ? [] : t.split(/[ \t]+/);
}

/**
 * Parse one record line. This is the reference parser: it validates every field of the format,
 * so that a record either takes part in detection, is skipped for a stated reason, or is malformed.
 */
export function parseLine(line: string, format: FlowLogFormat): LineResult {
  const tokens = splitFields(line);
  if (tokens.length === 0) return { kind: 'malformed', reason: 'empty line' };
  if (tokens.length !== format.fields.length) {
    return { kind: 'malformed', reason: `expected ${format.fields.length} fields, found ${tokens.length}` };
  }
  const values: FieldValue[] = new Array<FieldValue>(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const r = parseField(format.specs[i] as FieldSpec, tokens[i] as string);
    if ('error' in r) return { kind: 'malformed', reason: r.error };
    values[i] = r.value;
  }
  const at = (f: string): FieldValue => {
    const i = format.indexOf(f);
    return i === -1 ? null : (values[i] ?? null);
  };
  const status = format.has('log-status') ? at('log-status') : 'OK';
  if (status !== 'OK') return { kind: 'skipped', reason: status === null ? 'log-status is "-"' : `log-status ${String(status)}` };
  const srcaddr = at('srcaddr');
  const dstport = at('dstport');
  const bytes = at('bytes');
  const start = at('start');
  const action = at('action');
  if (srcaddr === null || dstport === null || bytes === null || start === null || action === null) {
    return { kind: 'skipped', reason: 'a detection field is "-"' };
  }
  return {
    kind: 'record',
    record: { srcaddr: srcaddr as string, dstport: dstport as number, bytes: bytes as Count, start: start as number, action: action as Action },
    values,
  };
}
