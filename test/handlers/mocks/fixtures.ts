import { findingId } from '../../../core/detection/findings';
import type { DetectionId } from '../../../core/detection/rules';
import { executionName } from '../../../core/incident/execution-name';
import type { Clock } from '../../../handlers/ports';
import type { EvidenceOutput, FindingDoc } from '../../../workflows/contract';

export const WINDOW = { start: 1763802000, end: 1763805600 };

const DEFAULTS: Record<DetectionId, { severity: 'WARNING' | 'CRITICAL'; value: number; threshold: number; port: number | null }> = {
  PORT_SCAN: { severity: 'CRITICAL', value: 171, threshold: 50, port: null },
  SUSPICIOUS_PORT_ACCESS: { severity: 'CRITICAL', value: 40, threshold: 10, port: 22 },
  HIGH_TRAFFIC_VOLUME: { severity: 'WARNING', value: 2_500_000_000, threshold: 1_000_000_000, port: null },
  HIGH_CONNECTION_COUNT: { severity: 'WARNING', value: 4200, threshold: 1000, port: null },
};

/** A well-formed finding (its id derived from its fields, as detection makes it). */
export function finding(source: string, detection: DetectionId = 'PORT_SCAN', overrides: Partial<Omit<FindingDoc, 'id'>> = {}): FindingDoc {
  const d = DEFAULTS[detection];
  const port = overrides.port !== undefined ? overrides.port : d.port;
  const window = overrides.window ?? WINDOW;
  return { id: findingId(detection, source, port, window), detection, severity: overrides.severity ?? d.severity, source, port, value: overrides.value ?? d.value, threshold: overrides.threshold ?? d.threshold, window };
}

export function executionFor(f: FindingDoc): string {
  return executionName(f.id);
}

export function evidence(overrides: Partial<EvidenceOutput['summary']> = {}): EvidenceOutput {
  return {
    manifestKey: 'incidents/PORT_SCAN:203.0.113.50:1763805600/manifest.json',
    manifestSha256: '0'.repeat(64),
    recount: 171,
    confirmed: true,
    summary: {
      records: 342,
      firstSeen: 1763802120,
      lastSeen: 1763805540,
      topDestinations: [
        { address: '10.0.1.15', records: 200 },
        { address: '10.0.1.16', records: 142 },
      ],
      topPorts: [
        { port: 22, records: 12 },
        { port: 3389, records: 9 },
      ],
      rejected: 340,
      accepted: 2,
      interfaces: ['eni-0a1b2c3d4e5f60001'],
      securityGroups: ['sg-0123456789abcdef0 (web)'],
      ...overrides,
    },
  };
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** 2025-11-22T10:05:00Z: shortly after the fixture window. */
export const T0 = new Date('2025-11-22T10:05:00Z');

/** Lock-token retries without waiting (the jitter arithmetic is tested on its own). */
export const NO_WAIT_RETRY = { maxAttempts: 20, baseDelayMs: 200, maxDelayMs: 3000, sleep: async (): Promise<void> => undefined, random: Math.random };
