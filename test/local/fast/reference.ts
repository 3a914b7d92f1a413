/**
 * Helpers for the fast-path differential tests: the reference scan (LineScanner over scanSource,
 * as `flowir scan` ran before the fast path), the fast scan in-process, and adversarial input.
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import type { FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { Random } from '../../../core/sample/random';
import { LineScanner, type ScanResult } from '../../../core/scan/scanner';
import { fastScan, type FastScanOptions, type FastScanResult } from '../../../local/fast/fast-scan';
import { expandInputs, scanSource } from '../../../local/input/sources';

/** A fixed "now", so that a scan with no records and no --until has a stable window. */
export const NOW = 1763805600;

export interface WindowChoice {
  readonly config: FlowirConfig;
  readonly until?: number;
  readonly windowSeconds?: number;
}

export async function referenceScan(paths: readonly string[], w: WindowChoice, stdin?: Buffer): Promise<ScanResult> {
  const evaluator = new DetectionEvaluator({ config: w.config, ...(w.until !== undefined ? { until: w.until } : {}), ...(w.windowSeconds !== undefined ? { windowSeconds: w.windowSeconds } : {}) });
  const scanner = new LineScanner({ config: w.config, evaluator });
  for (const src of await expandInputs(paths)) await scanSource(src, scanner, stdin === undefined ? undefined : Readable.from([stdin]));
  return scanner.result(NOW);
}

/**
 * The fast scan in-process. The same input given as plain and as gzip compares the two readers, so
 * duplicates are counted here unless `extra` says otherwise (the reference reader does not look for them).
 */
export async function fastScanOf(paths: readonly string[], w: WindowChoice, extra: Partial<FastScanOptions> = {}, stdin?: Buffer): Promise<FastScanResult> {
  return fastScan(await expandInputs(paths), {
    config: w.config,
    threads: 0,
    prune: false,
    duplicates: false,
    nowSeconds: NOW,
    ...(w.until !== undefined ? { until: w.until } : {}),
    ...(w.windowSeconds !== undefined ? { windowSeconds: w.windowSeconds } : {}),
    ...(stdin !== undefined ? { stdin: Readable.from([stdin]) } : {}),
    ...extra,
  });
}

/** The fast result without the object and input counts the reference does not have. */
export function withoutObjectCounts(r: FastScanResult): ScanResult {
  const { objectsRead: _read, objectsSkipped: _skipped, filesIgnored: _ignored, ignored: _list, duplicates: _duplicates, duplicateOf: _of, ...records } = r.records;
  return { ...r, records };
}

const V2 = FlowLogFormat.V2;
const V5 = FlowLogFormat.V5;
/** A custom order with the detection fields in unusual places, and text fields first. */
export const CUSTOM = new FlowLogFormat(['interface-id', 'start', 'action', 'srcaddr', 'bytes', 'dstport', 'log-status', 'account-id', 'dstaddr', 'end', 'tcp-flags', 'pkt-srcaddr']);
/** A header without srcaddr: its records are all skipped. */
const LACKING = new FlowLogFormat(['version', 'account-id', 'dstaddr', 'dstport', 'bytes', 'start', 'action', 'log-status']);

const IPV4 = ['198.51.100.23', '203.0.113.50', '10.0.1.20', '192.0.2.10', '0.0.0.0', '255.255.255.255', '1.2.3.4', '100.64.0.1'];
const BAD_IPV4 = ['256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.4x', 'a.b.c.d', '1.2.3.', '1234.1.1.1', '1.2.3.4/32'];
const IPV6 = ['2001:db8:bad::50', '2001:DB8:BAD::50', '2001:0db8:0bad:0000:0000:0000:0000:0050', '::1', '::', '1::', 'fe80::1:2', '2600:1f18:4a3:6a00::20', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '0:0:0:0:0:ffff:c000:20a', '::ffff:192.0.2.10', '64:ff9b::192.0.2.33', '2001:db8::1:0:0:1'];
const BAD_IPV6 = [':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::1', 'g::1', ':1::2', '1:2:3:4:5:6:7:8::', '::ffff:1.2.3', '1:2', '2001:db8::1/64'];

export class LineMaker {
  /** `headers`: the formats a header line may switch to (by default any of four). */
  constructor(
    private readonly rnd: Random,
    private readonly headers: readonly FlowLogFormat[] = [V2, V5, CUSTOM, LACKING],
  ) {}

  private pick<T>(items: readonly T[]): T {
    return this.rnd.pick(items);
  }

  private count(): string {
    const r = this.rnd.next();
    if (r < 0.02) return '9'.repeat(this.rnd.int(15, 21)); // 15 digits (fast path) to past 20 (malformed)
    if (r < 0.04) return String(2n ** 53n + BigInt(this.rnd.int(0, 5_000_000_000))); // sums go bigint
    if (r < 0.05) return `000${this.rnd.int(0, 999)}`;
    return String(this.rnd.int(0, 5_000_000));
  }

  private addr(): string {
    const r = this.rnd.next();
    if (r < 0.6) return this.pick(IPV4);
    if (r < 0.85) return this.pick(IPV6);
    return r < 0.93 ? this.pick(BAD_IPV4) : this.pick(BAD_IPV6);
  }

  private int(max: number): string {
    const r = this.rnd.next();
    if (r < 0.03) return String(max + this.rnd.int(1, 3));
    if (r < 0.05) return String(max);
    if (r < 0.06) return '1'.repeat(this.rnd.int(16, 22));
    return String(this.rnd.int(0, max));
  }

  /** A value for one field, mostly valid; sometimes `-` or garbage. */
  private value(field: string, start: number): string {
    if (this.rnd.chance(0.03)) return '-';
    if (this.rnd.chance(0.01)) return this.pick(['x', '-1', '1e3', '+5', '0x1f', 'ACCEPTED', 'ok', '--', '½']);
    switch (field) {
      case 'version':
        return this.pick(['2', '5', '3']);
      case 'account-id':
        return this.pick(['123456789012', 'unknown', '000000000000']);
      case 'interface-id':
        return this.pick(['eni-0a1b2c3d4e5f67890', 'eni-1234', 'pkt-srcaddr']);
      case 'srcaddr':
      case 'dstaddr':
      case 'pkt-srcaddr':
      case 'pkt-dstaddr':
        return this.addr();
      case 'srcport':
      case 'dstport':
        return this.rnd.chance(0.3) ? this.pick(['22', '23', '3389', '445', '135', '139']) : this.int(65535);
      case 'protocol':
        return this.int(255);
      case 'tcp-flags':
        return this.int(65535);
      case 'traffic-path':
        return String(this.rnd.int(1, 8));
      case 'packets':
      case 'bytes':
        return this.count();
      case 'start':
        return this.rnd.chance(0.01) ? '1'.repeat(16) : String(start);
      case 'end':
        return String(start + this.rnd.int(0, 60));
      case 'action':
        return this.rnd.chance(0.45) ? 'REJECT' : 'ACCEPT';
      case 'log-status':
        return this.pick(['OK', 'OK', 'OK', 'OK', 'NODATA', 'SKIPDATA']);
      default:
        return this.pick(['vpc-0a1b', 'subnet-1', 'i-0abc', 'IPv4', 'us-east-1', 'use1-az1', 'ingress', 'egress', 'AMAZON']);
    }
  }

  record(format: FlowLogFormat, start: number): string {
    const values = format.fields.map((f) => this.value(f, start));
    const sep = (): string => (this.rnd.chance(0.9) ? ' ' : this.pick(['  ', '\t', ' \t ', '\t\t']));
    let line = values.map((v, i) => (i === 0 ? v : sep() + v)).join('');
    if (this.rnd.chance(0.03)) line = this.pick([' ', '\t', '  ']) + line;
    if (this.rnd.chance(0.03)) line += this.pick([' ', '\t', ' \t']);
    if (this.rnd.chance(0.02)) line += ` ${this.value('bytes', start)}`; // one field too many
    if (this.rnd.chance(0.02)) line = line.slice(0, line.lastIndexOf(' ') > 0 ? line.lastIndexOf(' ') : line.length); // one too few
    return line;
  }

  /** Lines that exercise every path: records, headers, blanks, odd bytes. No newline inside. */
  line(format: FlowLogFormat, start: number): { text: string; format: FlowLogFormat } {
    const r = this.rnd.next();
    if (r < 0.82) return { text: this.record(format, start), format };
    if (r < 0.85) {
      const next = this.pick(this.headers);
      const text = this.pick([next.header(), `  ${next.header()}`, next.header().replace(/ /g, '\t'), next.header().replace(/-/g, '_'), `${next.header()} `]);
      return { text, format: next };
    }
    const odd = [
      '',
      ' ',
      '\t \t',
      '\r',
      'version version', // a duplicate field: not a header, so a malformed record
      'some words that are not fields',
      // A header with an unknown field (switching to a three-field format), unless headers must keep the format.
      this.headers.length > 1 ? 'version account-id bogus-field' : 'version account-id bogus.field',
      `\uFEFF${(this.headers[0] ?? V2).header()}`,
      `${this.record(format, start)}\u00a0`,
      `\u00a0${this.record(format, start)}`,
      `${this.record(format, start)}\r\r`,
      `${this.record(format, start)}\r `,
      `${this.record(format, start).replace(' ', '\r')}`,
      `${this.record(format, start).replace(' ', '\u000b')}`,
      `${this.record(format, start).replace(' ', ' \u00e9 ')}`,
      'v2 header? no',
      '2 123456789012 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1763802000 1763802001 ACCEPT OK extra',
      '\u0000\u0001binary',
    ];
    return { text: this.pick(odd), format };
  }
}

/**
 * A file's text from adversarial lines, its line ending sometimes CRLF, the last line sometimes
 * without newline. With `sameHeaders`, the file starts with the header of `first`, and header lines
 * mid-file only repeat it.
 */
export function adversarialText(seed: number, lines: number, first: FlowLogFormat = V2, sameHeaders = false): string {
  const startFrom = NOW - 3 * 3600;
  const span = 4 * 3600;
  const rnd = new Random(seed);
  const maker = new LineMaker(rnd, sameHeaders ? [first] : undefined);
  let format = first;
  const out: string[] = sameHeaders ? [first.header()] : [];
  for (let i = 0; i < lines; i++) {
    const l = maker.line(format, startFrom + rnd.int(0, span));
    format = l.format;
    out.push(l.text + (rnd.chance(0.1) ? '\r' : ''));
  }
  return out.join('\n') + (rnd.chance(0.5) ? '\n' : '');
}

/** Bytes that are not valid UTF-8 inside otherwise valid lines. */
export function invalidUtf8Lines(): Buffer {
  const good = '2 123456789012 eni-1 1.2.3.4 5.6.7.8 1 22 6 1 40 1763802000 1763802001 REJECT OK';
  return Buffer.concat([
    Buffer.from(`${V2.header()}\n${good}\n`),
    Buffer.from([0xff, 0xfe, 0x0a]),
    Buffer.from('2 12345678901'),
    Buffer.from([0xe2, 0x82, 0x20]), // a cut-off 3-byte character, then a space
    Buffer.from('eni-1 1.2.3.4 5.6.7.8 1 22 6 1 40 1763802000 1763802001 REJECT OK\n'),
    Buffer.from(`${good.replace('eni-1', 'eni-\u00e9')}\n`),
    Buffer.from([0xc3]), // a first byte of a 2-byte character at the very end
  ]);
}

export const gz = (text: string | Buffer): Buffer => gzipSync(typeof text === 'string' ? Buffer.from(text) : text);
