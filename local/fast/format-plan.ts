import type { FieldSpec } from '../../core/flowlog/fields';
import type { FlowLogFormat } from '../../core/flowlog/format';
import { parseField } from '../../core/flowlog/record';

/**
 * How the byte scanner reads each field of a format. A field's code says both how to validate it
 * and which detection value (if any) it carries, so that the hot loop needs one switch per field.
 */
export const enum FieldCode {
  /** Free text: any run of printable ASCII. */
  Text = 0,
  /** A whole number with no detection role: int, time or count, up to `max`. */
  Number = 1,
  DstPort = 2,
  Bytes = 3,
  Start = 4,
  Address = 5,
  SrcAddr = 6,
  Action = 7,
  LogStatus = 8,
  /** A type the byte scanner does not know: every line of such a format takes the reference path. */
  Unsupported = 9,
}

export interface FormatPlan {
  readonly format: FlowLogFormat;
  readonly codes: Uint8Array;
  /** Largest value a number field accepts on the fast path (digits are capped at 15 on top). */
  readonly max: Float64Array;
  /** Without a log-status field every record counts as OK. */
  readonly hasLogStatus: boolean;
}

/** Whole numbers of up to 15 digits are exact doubles; longer ones take the reference path. */
export const FAST_DIGITS = 15;
const LARGEST_FAST = 999_999_999_999_999;

/**
 * The largest value the reference parser accepts for a number field, found by asking it, so that
 * a range the reference enforces (ports, protocol, tcp-flags) can never drift from the fast path.
 */
function largestAccepted(spec: FieldSpec): number {
  const ok = (n: number): boolean => !('error' in parseField(spec, String(n)));
  if (!ok(0)) return -1;
  if (ok(LARGEST_FAST)) return LARGEST_FAST;
  let lo = 0;
  let hi = LARGEST_FAST;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function codeFor(spec: FieldSpec): FieldCode {
  switch (spec.type) {
    case 'int':
    case 'time':
    case 'count':
      if (spec.name === 'dstport') return FieldCode.DstPort;
      if (spec.name === 'bytes') return FieldCode.Bytes;
      if (spec.name === 'start') return FieldCode.Start;
      return FieldCode.Number;
    case 'addr':
      return spec.name === 'srcaddr' ? FieldCode.SrcAddr : FieldCode.Address;
    case 'action':
      return FieldCode.Action;
    case 'log-status':
      return FieldCode.LogStatus;
    case 'text':
      return FieldCode.Text;
    default:
      return FieldCode.Unsupported;
  }
}

/** Compile a format into the tables the byte scanner reads. */
export function compilePlan(format: FlowLogFormat): FormatPlan {
  const n = format.specs.length;
  const codes = new Uint8Array(n);
  const max = new Float64Array(n);
  format.specs.forEach((spec, i) => {
    let code = codeFor(spec);
    // The detection roles must come from the fields the reference reads them from, or not at all.
    if ((code === FieldCode.DstPort || code === FieldCode.Bytes || code === FieldCode.Start) && spec.type === 'text') code = FieldCode.Unsupported;
    codes[i] = code;
    if (code === FieldCode.Number || code === FieldCode.DstPort || code === FieldCode.Bytes || code === FieldCode.Start) {
      const largest = largestAccepted(spec);
      if (largest < 0) codes[i] = FieldCode.Unsupported;
      max[i] = largest;
    }
  });
  return { format, codes, max, hasLogStatus: format.has('log-status') };
}
