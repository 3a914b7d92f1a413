import { parseAddress } from '../flowlog/address';

export type DecisionKind = 'approve' | 'reject';

/** A recorded decision: what lands in the task output and so in the execution history. */
export interface ApprovalDecision {
  readonly decision: DecisionKind;
  /** From the verified link, never from the form. */
  readonly approver: string;
  /** ISO 8601 UTC to the second, e.g. `2025-11-22T10:00:07Z`. */
  readonly at: string;
  readonly comment: string | null;
  /** The HTTP client's address; null when no request was involved (the CLI's `--decide`). */
  readonly sourceIp: string | null;
}

export const MAX_COMMENT_LENGTH = 1000;

export class DecisionError extends Error {
  override readonly name = 'DecisionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Epoch seconds as ISO 8601 UTC without fractions. */
export function isoSeconds(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) throw new DecisionError('at', `expected epoch seconds, got ${String(epochSeconds)}`);
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A comment as it may be recorded: line breaks and tabs become spaces (it is shown on one line in
 * audit output and logs, where a newline could forge an entry), other control characters and
 * bidirectional overrides (which can make text read differently from what it is) are removed,
 * then it is trimmed and cut to `max` characters without splitting a surrogate pair. Empty → null.
 */
export function sanitizeComment(text: string, max: number = MAX_COMMENT_LENGTH): string | null {
  const cleaned = text
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ')
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
    .trim();
  const chars = Array.from(cleaned);
  const capped = chars.length > max ? chars.slice(0, max).join('').trimEnd() : cleaned;
  return capped.length === 0 ? null : capped;
}

/** The decision from a submitted form (`decision`, optional `comment`) and the verified context. */
export function makeDecision(form: { readonly decision: unknown; readonly comment?: unknown }, context: { readonly approver: string; readonly now: number; readonly sourceIp: string | null }): ApprovalDecision {
  if (form.decision !== 'approve' && form.decision !== 'reject') throw new DecisionError('decision', `expected "approve" or "reject", got ${JSON.stringify(form.decision) ?? 'nothing'}`);
  if (form.comment !== undefined && form.comment !== null && typeof form.comment !== 'string') throw new DecisionError('comment', 'expected text');
  if (context.approver.length === 0) throw new DecisionError('approver', 'is empty');
  let sourceIp: string | null = null;
  if (context.sourceIp !== null) {
    const parsed = parseAddress(context.sourceIp);
    if (parsed === undefined) throw new DecisionError('sourceIp', `"${context.sourceIp}" is not an IPv4 or IPv6 address`);
    sourceIp = parsed.text;
  }
  return { decision: form.decision, approver: context.approver, at: isoSeconds(context.now), comment: typeof form.comment === 'string' ? sanitizeComment(form.comment) : null, sourceIp };
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Validate a decision read back (task output, history, the local store). */
export function parseDecision(doc: unknown, where = 'decision'): ApprovalDecision {
  const fail = (field: string, message: string): never => {
    throw new DecisionError(`${where}.${field}`, message);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('', 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!['decision', 'approver', 'at', 'comment', 'sourceIp'].includes(k)) fail(k, 'unknown field (known: decision, approver, at, comment, sourceIp)');
  if (d.decision !== 'approve' && d.decision !== 'reject') fail('decision', `expected "approve" or "reject", got ${JSON.stringify(d.decision)}`);
  if (typeof d.approver !== 'string' || d.approver.length === 0) fail('approver', 'expected a non-empty string');
  if (typeof d.at !== 'string' || !ISO_SECONDS.test(d.at) || Number.isNaN(Date.parse(d.at))) fail('at', `expected an ISO 8601 UTC time such as 2025-11-22T10:00:07Z, got ${JSON.stringify(d.at)}`);
  const comment = d.comment ?? null;
  if (comment !== null && (typeof comment !== 'string' || sanitizeComment(comment) !== comment)) fail('comment', 'expected null or sanitized text');
  const sourceIp = d.sourceIp ?? null;
  if (sourceIp !== null && (typeof sourceIp !== 'string' || parseAddress(sourceIp)?.text !== sourceIp)) fail('sourceIp', `expected null or a canonical address, got ${JSON.stringify(sourceIp)}`);
  return { decision: d.decision as DecisionKind, approver: d.approver as string, at: d.at as string, comment: comment as string | null, sourceIp: sourceIp as string | null };
}
