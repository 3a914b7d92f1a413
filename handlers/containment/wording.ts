import { PORT_NAMES } from '../../core/containment/actions';
import { RULES } from '../../core/detection/rules';
import type { EvidenceOutput, FindingDoc } from '../../workflows/contract';

/** `22 (SSH)`, or just the number for ports without a well-known name. */
export function portLabel(port: number): string {
  const name = PORT_NAMES[port];
  return name === undefined ? String(port) : `${port} (${name})`;
}

/** `Port scan from 203.0.113.50`, `Suspicious port access from 198.51.100.7 to port 22 (SSH)`. */
export function findingTitle(f: Pick<FindingDoc, 'detection' | 'source' | 'port'>): string {
  const base = `${RULES[f.detection].title} from ${f.source}`;
  return f.port === null ? base : `${base} to port ${portLabel(f.port)}`;
}

/** `171 distinct rejected destination ports (threshold 50)`. */
export function measureText(f: Pick<FindingDoc, 'detection' | 'value' | 'threshold'>): string {
  return `${groupDigits(f.value)} ${RULES[f.detection].unit} (threshold ${groupDigits(f.threshold)})`;
}

/** `2025-11-22T09:20:00Z`; epoch seconds in, ISO 8601 out. */
export function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function windowText(w: FindingDoc['window']): string {
  return `${isoSeconds(w.start)} to ${isoSeconds(w.end)}`;
}

/** `1,000,000,000`; exact for counts given as decimal text beyond 2^53. */
export function groupDigits(value: number | string): string {
  const text = String(value);
  return /^\d+$/.test(text) ? text.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : text;
}

/** Human-readable durations for messages: `1 hour`, `90 minutes`, `2 days`, `45 seconds`. */
export function durationText(seconds: number): string {
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds % 86400 === 0) return unit(seconds / 86400, 'day');
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

/** The evidence summary as plain-text lines (messages and tickets). */
export function evidenceLines(e: EvidenceOutput): string[] {
  const s = e.summary;
  const lines = [
    `Exact re-count on the raw records: ${groupDigits(e.recount)} (${e.confirmed ? 'confirmed' : 'NOT confirmed: below the threshold'})`,
    `Flow records from the source: ${groupDigits(s.records)} (${groupDigits(s.rejected)} rejected, ${groupDigits(s.accepted)} accepted)`,
  ];
  if (s.firstSeen !== null && s.lastSeen !== null) lines.push(`First seen ${isoSeconds(s.firstSeen)}, last seen ${isoSeconds(s.lastSeen)}`);
  if (s.topDestinations.length > 0) lines.push(`Top destinations: ${s.topDestinations.map((d) => `${d.address} (${groupDigits(d.records)})`).join(', ')}`);
  if (s.topPorts.length > 0) lines.push(`Top ports: ${s.topPorts.map((p) => `${portLabel(p.port)} (${groupDigits(p.records)})`).join(', ')}`);
  if (s.interfaces.length > 0) lines.push(`Network interfaces reached: ${s.interfaces.join(', ')}`);
  if (s.securityGroups.length > 0) lines.push(`Security groups that let it in: ${s.securityGroups.join(', ')}`);
  lines.push(`Evidence manifest: ${e.manifestKey}`);
  return lines;
}
