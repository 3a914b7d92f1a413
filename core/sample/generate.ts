import { DEFAULT_CONFIG, type FlowirConfig } from '../detection/config';
import { FlowLogFormat } from '../flowlog/format';
import type { Count } from '../flowlog/record';
import { plantedIncidents, type ExpectedFinding, type PlantedFlow, type PlantedIncident } from './planted';
import { Random } from './random';

export interface SampleOptions {
  /** Background records (planted incidents come on top). */
  readonly records: number;
  readonly seed: number;
  readonly format: 'v2' | 'v5';
  /** End of the detection window the incidents are planted around (epoch seconds, hour-aligned). */
  readonly until: number;
  /** Thresholds and window to plant around. */
  readonly config: FlowirConfig;
}

export const SAMPLE_DEFAULTS: SampleOptions = { records: 20_000, seed: 1, format: 'v2', until: 1763805600, config: DEFAULT_CONFIG };

/** One S3 object of the flow-log delivery layout. */
export interface SampleObject {
  /** Key under the bucket: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<name>.log.gz`. */
  readonly key: string;
  /** Delivery time in the key name (epoch seconds). */
  readonly time: number;
  /** Record lines, without the header. */
  readonly lines: readonly string[];
}

export const SAMPLE_ACCOUNT = '123456789012';
export const SAMPLE_REGION = 'us-east-1';
/** The sample's VPC, with an IPv6 block (its records include IPv6 sources), and its three subnets (host i is in subnet i mod 3, address 10.0.<i mod 3>.<10 + i>). */
export const SAMPLE_VPC = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  ipv6: true,
  subnets: ['subnet-01a2b3c4d5e6f70811', 'subnet-02b3c4d5e6f7081922', 'subnet-03c4d5e6f708192a33'],
} as const;
const FLOW_LOG_ID = 'fl-0a1b2c3d4e5f67890';
const OBJECT_SECONDS = 300;
/** Objects land about five minutes after the slot they cover closes, like real deliveries. */
const DELIVERY_DELAY = 300;

export function resolveSampleOptions(o: Partial<SampleOptions>): SampleOptions {
  const s = { ...SAMPLE_DEFAULTS, ...o };
  if (!Number.isInteger(s.records) || s.records < 0) throw new RangeError(`records must be a whole number >= 0, got ${s.records}`);
  if (s.until % 3600 !== 0) throw new RangeError(`until must be a whole hour (epoch seconds divisible by 3600), got ${s.until}`);
  return s;
}

export function sampleFormat(format: 'v2' | 'v5'): FlowLogFormat {
  return format === 'v5' ? FlowLogFormat.V5 : FlowLogFormat.V2;
}

/** The time span a sample covers: the window and as much again before it, in whole objects. */
export function sampleSpan(o: SampleOptions): { start: number; end: number } {
  const seconds = Math.ceil((2 * o.config.windowSeconds) / OBJECT_SECONDS) * OBJECT_SECONDS;
  return { start: o.until - seconds, end: o.until };
}

/** Findings a scan with the sample's config and default window must return (background stays below thresholds). */
export function expectedFindings(o: Partial<SampleOptions>): ExpectedFinding[] {
  const s = resolveSampleOptions(o);
  return plantedIncidents(s.config, s.until)
    .map((i) => i.expect)
    .filter((e): e is ExpectedFinding => e !== null);
}

export function samplePlantedIncidents(o: Partial<SampleOptions>): PlantedIncident[] {
  const s = resolveSampleOptions(o);
  return plantedIncidents(s.config, s.until);
}

interface Host {
  readonly addr: string;
  readonly eni: string;
  readonly instance: string;
  readonly subnet: string;
  readonly az: string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
function keyTime(t: number): { day: string; stamp: string } {
  const d = new Date(t * 1000);
  const y = d.getUTCFullYear();
  const mo = pad2(d.getUTCMonth() + 1);
  const da = pad2(d.getUTCDate());
  return { day: `${y}/${mo}/${da}`, stamp: `${y}${mo}${da}T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}Z` };
}

/**
 * Realistic flow logs with the planted incidents: internal hosts talking to each other and to the
 * internet, some rejected probes, DNS and NTP over UDP, ICMP, IPv6, NODATA and SKIPDATA records.
 * Background sources are numerous enough that none comes near a default threshold.
 */
export function* generateSample(options: Partial<SampleOptions>): Generator<SampleObject> {
  const o = resolveSampleOptions(options);
  const rnd = new Random(o.seed);
  const v5 = o.format === 'v5';
  const span = sampleSpan(o);
  const slots = (span.end - span.start) / OBJECT_SECONDS;

  const hosts: Host[] = [];
  const hostCount = 40;
  for (let i = 0; i < hostCount; i++) {
    const sub = i % 3;
    hosts.push({
      addr: `10.0.${sub}.${10 + i}`,
      eni: `eni-0${rnd.hex(16)}`,
      instance: `i-0${rnd.hex(16)}`,
      subnet: SAMPLE_VPC.subnets[sub] ?? SAMPLE_VPC.subnets[0],
      az: `use1-az${sub + 1}`,
    });
  }
  // Enough distinct background sources that each stays far below 1,000 records an hour.
  const inWindowShare = o.config.windowSeconds / (span.end - span.start);
  const sourceCount = Math.max(60, Math.ceil((o.records * inWindowShare) / 250));
  const external: string[] = [];
  const excludedFirstOctets = new Set([10, 100, 127, 169, 172, 192, 198, 203, 224]);
  while (external.length < sourceCount) {
    if (rnd.chance(0.1)) {
      external.push(`2600:${rnd.hex(4).replace(/^0+(?=.)/, '')}:${rnd.hex(3).replace(/^0+(?=.)/, '')}:${rnd.int(1, 0xffff).toString(16)}::${rnd.int(1, 0xffff).toString(16)}`);
      continue;
    }
    let a = rnd.int(3, 223);
    while (excludedFirstOctets.has(a)) a = rnd.int(3, 223);
    external.push(`${a}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`);
  }
  const internalSources = Array.from({ length: Math.max(20, Math.ceil(sourceCount / 4)) }, (_, i) => `10.0.${4 + (i % 12)}.${1 + Math.floor(i / 12) % 254}`);
  const probePorts = [22, 23, 25, 135, 139, 445, 1433, 3306, 3389, 5432, 5900, 8080];
  const servicePorts = [443, 443, 443, 80, 8443, 5432, 6379];

  const vpc = SAMPLE_VPC.vpcId;
  const planted: PlantedFlow[][] = Array.from({ length: slots }, () => []);
  for (const incident of plantedIncidents(o.config, o.until)) {
    for (const f of incident.flows) {
      const slot = Math.floor((f.start - span.start) / OBJECT_SECONDS);
      if (slot >= 0 && slot < slots) planted[slot]?.push(f);
    }
  }
  const perSlot = o.records / slots;
  let made = 0;

  const line = (
    host: Host,
    src: string,
    dst: string,
    srcport: number,
    dstport: number,
    protocol: number,
    packets: number,
    bytes: Count,
    start: number,
    action: 'ACCEPT' | 'REJECT',
    ingress: boolean,
  ): string => {
    const end = start + rnd.int(1, 59);
    const base = `${v5 ? 5 : 2} ${SAMPLE_ACCOUNT} ${host.eni} ${src} ${dst} ${srcport} ${dstport} ${protocol} ${packets} ${String(bytes)} ${start} ${end} ${action} OK`;
    if (!v5) return base;
    const six = src.includes(':');
    const flags = protocol !== 6 ? 0 : action === 'REJECT' ? 2 : rnd.pick([2, 3, 18, 19, 27]);
    const path = ingress ? '-' : String(rnd.pick([1, 1, 1, 8]));
    return `${base} ${vpc} ${host.subnet} ${host.instance} ${flags} ${six ? 'IPv6' : 'IPv4'} ${src} ${dst} ${SAMPLE_REGION} ${host.az} - - - - ${ingress ? 'ingress' : 'egress'} ${path}`;
  };
  const noData = (host: Host, start: number, status: 'NODATA' | 'SKIPDATA'): string => {
    const end = start + 60;
    const base = `${v5 ? 5 : 2} ${SAMPLE_ACCOUNT} ${host.eni} - - - - - - - ${start} ${end} - ${status}`;
    return v5 ? `${base} ${vpc} ${host.subnet} ${host.instance} - - - - ${SAMPLE_REGION} ${host.az} - - - - - -` : base;
  };
  const hostFor = (addr: string): Host => hosts.find((h) => h.addr === addr) ?? (hosts[0] as Host);

  for (let k = 0; k < slots; k++) {
    const slotStart = span.start + k * OBJECT_SECONDS;
    const target = Math.round(perSlot * (k + 1)) - made;
    const lines: string[] = [];
    for (let i = 0; i < target; i++) {
      const start = slotStart + rnd.int(0, OBJECT_SECONDS - 1);
      const host = rnd.pick(hosts);
      const r = rnd.next();
      if (r < 0.004) {
        lines.push(noData(host, start, rnd.chance(0.8) ? 'NODATA' : 'SKIPDATA'));
      } else if (r < 0.45) {
        // Inbound from the internet: mostly HTTPS, some rejected probes of admin ports.
        const src = rnd.pick(external);
        const reject = rnd.chance(0.1);
        const dstport = reject ? rnd.pick(probePorts) : rnd.pick([443, 443, 443, 80]);
        const packets = reject ? 1 : rnd.int(2, 120);
        const dst = src.includes(':') ? `2600:1f18:4a3:6a00::${(10 + hosts.indexOf(host)).toString(16)}` : host.addr;
        lines.push(line(host, src, dst, rnd.int(1024, 65535), dstport, 6, packets, reject ? 40 : packets * rnd.int(60, 1400), start, reject ? 'REJECT' : 'ACCEPT', true));
      } else if (r < 0.8) {
        // East-west between internal hosts.
        const src = rnd.pick(internalSources);
        const dstport = rnd.pick(servicePorts);
        const packets = rnd.int(1, 400);
        lines.push(line(host, src, host.addr, rnd.int(32768, 60999), dstport, 6, packets, packets * rnd.int(60, 1500), start, rnd.chance(0.02) ? 'REJECT' : 'ACCEPT', true));
      } else if (r < 0.95) {
        // Outbound: internal host to the internet, and its replies.
        const dst = rnd.pick(external);
        if (dst.includes(':')) {
          lines.push(line(host, `2600:1f18:4a3:6a00::${(10 + hosts.indexOf(host)).toString(16)}`, dst, rnd.int(32768, 60999), 443, 6, rnd.int(2, 60), rnd.int(200, 90000), start, 'ACCEPT', false));
        } else {
          lines.push(line(host, host.addr, dst, rnd.int(32768, 60999), rnd.pick([443, 443, 80, 123]), 6, rnd.int(2, 60), rnd.int(200, 90000), start, 'ACCEPT', false));
        }
      } else {
        // DNS over UDP and ICMP.
        const icmp = rnd.chance(0.3);
        lines.push(
          icmp
            ? line(host, rnd.pick(internalSources), host.addr, 0, 0, 1, rnd.int(1, 4), rnd.int(84, 336), start, 'ACCEPT', true)
            : line(host, host.addr, '10.0.0.2', rnd.int(32768, 60999), 53, 17, 2, rnd.int(120, 600), start, 'ACCEPT', false),
        );
      }
    }
    made += target;
    for (const f of planted[k] ?? []) {
      const host = hostFor(f.dstaddr);
      lines.push(line(host, f.srcaddr, f.dstaddr, rnd.int(1024, 65535), f.dstport, f.protocol, f.packets, f.bytes, f.start, f.action, true));
    }
    rnd.shuffle(lines);
    const time = slotStart + OBJECT_SECONDS + DELIVERY_DELAY;
    const { day, stamp } = keyTime(time);
    const name = `${SAMPLE_ACCOUNT}_vpcflowlogs_${SAMPLE_REGION}_${FLOW_LOG_ID}_${stamp}_${rnd.hex(8)}.log.gz`;
    yield { key: `AWSLogs/${SAMPLE_ACCOUNT}/vpcflowlogs/${SAMPLE_REGION}/${day}/${name}`, time, lines };
  }
}
