import type { FlowirConfig } from '../detection/config';
import type { DetectionId } from '../detection/rules';
import type { Count } from '../flowlog/record';

/** One flow the sample plants on purpose (the generator fills in interface, ports and times). */
export interface PlantedFlow {
  readonly srcaddr: string;
  readonly dstaddr: string;
  readonly dstport: number;
  readonly protocol: number;
  readonly bytes: Count;
  readonly packets: number;
  readonly start: number;
  readonly action: 'ACCEPT' | 'REJECT';
}

export interface ExpectedFinding {
  readonly detection: DetectionId;
  readonly source: string;
  readonly port: number | null;
  readonly value: Count;
}

export interface PlantedIncident {
  readonly name: string;
  /** Plain words: what was planted and what a default scan should make of it. */
  readonly description: string;
  readonly flows: readonly PlantedFlow[];
  /** The finding it must produce, or null when it sits exactly at a threshold or outside the window. */
  readonly expect: ExpectedFinding | null;
}

/** Sources the planted incidents use: the background never uses these ranges. */
export const PLANTED_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '10.0.99.0/24'];

const TARGET = '10.0.1.20';
const TARGET6 = '2600:1f18:4a3:6a00::20';

/**
 * The incidents every sample carries, relative to the configured thresholds and window:
 * each detection just over and exactly at its threshold, IPv6 sources, a sum above 2^32,
 * a private scanner, an attack outside the window, and records on both window edges.
 */
export function plantedIncidents(config: FlowirConfig, until: number): PlantedIncident[] {
  const w = config.windowSeconds;
  const from = until - w;
  const t = config.detections;
  const ports = config.suspiciousPorts;
  const sshLike = ports[0] ?? 22;
  const rdpLike = ports[2] ?? ports[ports.length - 1] ?? 3389;
  // Spread flows over a stretch of the window so they land in several S3 objects.
  // Offsets and spans are written for a one-hour window and scaled to the configured one.
  const scale = w / 3600;
  const spread = (i: number, n: number, offset: number): number => from + Math.floor((offset + (i * 1800) / Math.max(1, n)) * scale);
  const rejects = (src: string, dst: string, portList: readonly number[], offset: number): PlantedFlow[] =>
    portList.map((p, i) => ({ srcaddr: src, dstaddr: dst, dstport: p, protocol: 6, bytes: 40, packets: 1, start: spread(i, portList.length, offset), action: 'REJECT' }));
  const range = (first: number, n: number): number[] => Array.from({ length: n }, (_, i) => first + i);
  const repeat = (port: number, n: number): number[] => new Array<number>(n).fill(port);

  const scanOver = t.PORT_SCAN.threshold + 1;
  const suspOver = t.SUSPICIOUS_PORT_ACCESS.threshold + 1;
  const connOver = t.HIGH_CONNECTION_COUNT.threshold + 1;
  const vol = t.HIGH_TRAFFIC_VOLUME.threshold;

  const volumeFlows = (src: string, dst: string, total: bigint, n: number, offset: number): PlantedFlow[] => {
    const flows: PlantedFlow[] = [];
    let left = total;
    for (let i = 0; i < n; i++) {
      const part = i === n - 1 ? left : total / BigInt(n);
      left -= part;
      const bytes: Count = part <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(part) : part;
      flows.push({ srcaddr: src, dstaddr: dst, dstport: 443, protocol: 6, bytes, packets: Math.max(1, Math.floor(Number(part) / 1400)), start: spread(i, n, offset), action: 'ACCEPT' });
    }
    return flows;
  };
  const connections = (src: string, n: number, offset: number, edgeFirst: boolean): PlantedFlow[] =>
    range(0, n).map((i) => ({
      srcaddr: src,
      dstaddr: TARGET,
      dstport: 443,
      protocol: 6,
      bytes: 1200,
      packets: 6,
      start: edgeFirst && i === 0 ? from : spread(i, n, offset),
      action: 'ACCEPT',
    }));

  return [
    {
      name: 'port-scan-over',
      description: `198.51.100.23 is rejected on ${scanOver} distinct ports: one over the PORT_SCAN threshold`,
      flows: rejects('198.51.100.23', TARGET, range(1000, scanOver), 120),
      expect: { detection: 'PORT_SCAN', source: '198.51.100.23', port: null, value: scanOver },
    },
    {
      name: 'port-scan-at',
      description: `198.51.100.24 is rejected on exactly ${t.PORT_SCAN.threshold} distinct ports (and accepted on others): no finding`,
      flows: [
        ...rejects('198.51.100.24', TARGET, range(2000, t.PORT_SCAN.threshold), 200),
        ...range(3000, 5).map((p, i): PlantedFlow => ({ srcaddr: '198.51.100.24', dstaddr: TARGET, dstport: p, protocol: 6, bytes: 60, packets: 1, start: from + 900 + i, action: 'ACCEPT' })),
      ],
      expect: null,
    },
    {
      name: 'port-scan-ipv6',
      description: `2001:db8:bad::50 (IPv6) is rejected on ${scanOver + 20} distinct ports`,
      flows: rejects('2001:db8:bad::50', TARGET6, range(4000, scanOver + 20), 400),
      expect: { detection: 'PORT_SCAN', source: '2001:db8:bad::50', port: null, value: scanOver + 20 },
    },
    {
      name: 'port-scan-private',
      description: `10.0.99.9, an internal host, is rejected on ${scanOver + 9} distinct ports: a finding that containment must never block`,
      flows: rejects('10.0.99.9', '10.0.1.30', range(5000, scanOver + 9), 600),
      expect: { detection: 'PORT_SCAN', source: '10.0.99.9', port: null, value: scanOver + 9 },
    },
    {
      name: 'suspicious-port-over',
      description: `203.0.113.50 is rejected ${suspOver} times on port ${sshLike} (and exactly ${t.SUSPICIOUS_PORT_ACCESS.threshold} times on ${rdpLike})`,
      flows: [...rejects('203.0.113.50', TARGET, repeat(sshLike, suspOver), 700), ...rejects('203.0.113.50', TARGET, repeat(rdpLike, t.SUSPICIOUS_PORT_ACCESS.threshold), 750)],
      expect: { detection: 'SUSPICIOUS_PORT_ACCESS', source: '203.0.113.50', port: sshLike, value: suspOver },
    },
    {
      name: 'suspicious-port-at',
      description: `203.0.113.51 is rejected exactly ${t.SUSPICIOUS_PORT_ACCESS.threshold} times on port ${rdpLike}: no finding`,
      flows: rejects('203.0.113.51', TARGET, repeat(rdpLike, t.SUSPICIOUS_PORT_ACCESS.threshold), 800),
      expect: null,
    },
    {
      name: 'volume-over',
      description: `192.0.2.10 sends ${vol + 1} bytes: one over the HIGH_TRAFFIC_VOLUME threshold`,
      flows: volumeFlows('192.0.2.10', TARGET, BigInt(vol) + 1n, 10, 300),
      expect: { detection: 'HIGH_TRAFFIC_VOLUME', source: '192.0.2.10', port: null, value: vol + 1 },
    },
    {
      name: 'volume-at',
      description: `192.0.2.11 sends exactly ${vol} bytes: no finding`,
      flows: volumeFlows('192.0.2.11', TARGET, BigInt(vol), 10, 350),
      expect: null,
    },
    {
      name: 'volume-ipv6-above-2^32',
      description: '2001:db8:1::10 (IPv6) sends 6,000,000,007 bytes in four flows of more than 2^32 bytes each',
      flows: volumeFlows('2001:db8:1::10', TARGET6, 6_000_000_007n, 4, 400),
      expect: vol < 6_000_000_007 ? { detection: 'HIGH_TRAFFIC_VOLUME', source: '2001:db8:1::10', port: null, value: 6_000_000_007 } : null,
    },
    {
      name: 'connections-over',
      description: `192.0.2.20 opens ${connOver} connections, the first at the very start of the window`,
      flows: connections('192.0.2.20', connOver, 60, true),
      expect: { detection: 'HIGH_CONNECTION_COUNT', source: '192.0.2.20', port: null, value: connOver },
    },
    {
      name: 'connections-at',
      description: `192.0.2.21 opens exactly ${t.HIGH_CONNECTION_COUNT.threshold} connections in the window, and 5 more just before it: no finding`,
      flows: [
        ...connections('192.0.2.21', t.HIGH_CONNECTION_COUNT.threshold, 90, false),
        ...range(1, 5).map((i): PlantedFlow => ({ srcaddr: '192.0.2.21', dstaddr: TARGET, dstport: 443, protocol: 6, bytes: 1200, packets: 6, start: from - i, action: 'ACCEPT' })),
      ],
      expect: null,
    },
    {
      name: 'attack-outside-window',
      description: '198.51.100.99 scans 200 ports and hammers port 23 the hour before the window: no finding',
      flows: [...rejects('198.51.100.99', TARGET, range(6000, 200), -3000), ...rejects('198.51.100.99', TARGET, repeat(23, 60), -2500)],
      expect: null,
    },
  ];
}
