/**
 * The WebAssembly scanner may only ever take a line the compiled JavaScript scanner takes, with
 * the same record; any other line it must leave (stop at its first byte). Checked line by line
 * against the JavaScript scanner, on lines it must take and on every kind it must leave.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { compilePlan } from '../../../local/fast/format-plan';
import { BATCH_INTS, BATCH_NUMS, compileRegionScan, RecordBatch } from '../../../local/fast/region-compiler';
import { WasmRegionScanner } from '../../../local/fast/wasm-scan';

const V2 = compilePlan(FlowLogFormat.V2);
const js = compileRegionScan(V2);
const LO = 1763802000;
const HI = 1763805600;
const line = (over: Partial<Record<string, string>> = {}): string =>
  FlowLogFormat.V2.fields
    .map((f) => over[f] ?? ({ version: '2', 'account-id': '123456789012', 'interface-id': 'eni-0a1b2c3d4e5f67890', srcaddr: '203.0.113.50', dstaddr: '10.0.1.20', srcport: '40000', dstport: '22', protocol: '6', packets: '3', bytes: '180', start: '1763803000', end: '1763803060', action: 'REJECT', 'log-status': 'OK' } as Record<string, string>)[f])
    .join(' ');

interface Outcome {
  readonly taken: boolean;
  readonly record: readonly number[] | null;
  readonly counts: readonly number[];
}

function record(batch: RecordBatch): number[] | null {
  if (batch.n === 0) return null;
  const v4 = (batch.ints[0]! & 7) === 4;
  // bytes, start, and where the line starts: written as base + its offset (an address, for the module).
  return [...batch.ints.subarray(0, v4 ? 2 : 5), batch.ints[5] as number, ...batch.nums.subarray(0, BATCH_NUMS - 1), (batch.nums[BATCH_NUMS - 1] as number) - batch.base];
}

function viaJs(text: string): Outcome {
  const buf = Buffer.from(`${text}\n`);
  const batch = new RecordBatch(LO, HI);
  const end = js(buf, 0, buf.length, batch);
  return { taken: end === buf.length, record: record(batch), counts: [batch.lines, batch.read, batch.skipped, batch.outside] };
}

const wasm = new WasmRegionScanner();
function viaWasm(text: string): Outcome {
  const buf = Buffer.from(`${text}\n`);
  const batch = new RecordBatch(LO, HI, 512, wasm.batchArrays());
  const base = wasm.place(buf, 0, buf.length) as number;
  batch.base = base;
  const end = wasm.scan(V2, base, 0, buf.length, batch);
  expect([0, buf.length]).toContain(end);
  return { taken: end === buf.length, record: record(batch), counts: [batch.lines, batch.read, batch.skipped, batch.outside] };
}

describe('WebAssembly region scanner', () => {
  it('takes ordinary lines with exactly the record and counts of the JavaScript scanner', () => {
    const lines = [
      line(),
      line({ action: 'ACCEPT', dstport: '443', bytes: '999999999999999' }),
      line({ srcaddr: '0.0.0.0', dstaddr: '255.255.255.255', srcport: '65535', protocol: '255' }),
      line({ srcaddr: '1.22.133.4', start: String(LO) }),
      line({ start: String(HI) }), // outside the window: counted, not batched
      line({ start: '1763700000' }),
      line({ 'account-id': '-', 'interface-id': '-' }), // free text may be "-"
      line({ srcport: '007' }),
      line({ srcaddr: '2001:db8::1' }),
      line({ dstaddr: '2001:db8::1', action: 'ACCEPT' }),
      line({ srcaddr: '::' }),
      line({ srcaddr: '::1' }),
      line({ srcaddr: '2001:db8::' }),
      line({ srcaddr: 'fe80::1:2:3' }),
      line({ srcaddr: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' }),
      line({ srcaddr: 'ABCD:ef01::9' }),
      line({ srcaddr: '1:2:3:4:5:6:7::' }),
      line({ srcaddr: '::2:3:4:5:6:7:8' }),
      line({ srcaddr: '1234::5' }),
    ];
    for (const l of lines) {
      const w = viaWasm(l);
      expect({ line: l, ...w }).toEqual({ line: l, ...viaJs(l) });
      expect({ line: l, taken: w.taken }).toEqual({ line: l, taken: true });
    }
    // The record layout the window reads: kind (4, + 8 for REJECT), the address word, dstport, bytes, start, line start.
    expect(viaWasm(line()).record).toEqual([12, (203 << 24) | (113 << 8) | 50, 22, 180, 1763803000, 0]);
    expect(BATCH_NUMS).toBe(3);
    const v6 = new RecordBatch(LO, HI, 512, wasm.batchArrays());
    const buf = Buffer.from(`${line({ srcaddr: '2001:db8::a:b' })}\n`);
    wasm.scan(V2, wasm.place(buf, 0, buf.length) as number, 0, buf.length, v6);
    expect([...v6.ints.subarray(0, 6)]).toEqual([14, 0x20010db8, 0, 0x0, 0x000a000b, 22]);
    expect(BATCH_INTS).toBe(6);
  });

  it('writes where each record\'s line starts, both scanners alike (the collecting scan copies the lines from there)', () => {
    const first = line();
    const text = `${first}\n${line({ srcaddr: '2001:db8::1' })}\n${line({ srcaddr: '198.51.100.7' })}\n`;
    const starts = [0, first.length + 1, 2 * first.length + 2 + '2001:db8::1'.length - '203.0.113.50'.length];
    const buf = Buffer.from(text);
    const viaModule = new RecordBatch(LO, HI, 512, wasm.batchArrays());
    viaModule.base = wasm.place(buf, 0, buf.length) as number;
    expect(wasm.scan(V2, viaModule.base, 0, buf.length, viaModule)).toBe(buf.length);
    const viaJavaScript = new RecordBatch(LO, HI);
    expect(js(buf, 0, buf.length, viaJavaScript)).toBe(buf.length);
    for (const batch of [viaModule, viaJavaScript]) {
      expect(batch.n).toBe(3);
      expect([0, 1, 2].map((r) => (batch.nums[r * BATCH_NUMS + 2] as number) - batch.base)).toEqual(starts);
    }
  });

  it('leaves every other kind of line to JavaScript, at its first byte', () => {
    const leave = [
      line({ srcaddr: '::ffff:1.2.3.4' }),
      line({ srcaddr: ':::' }),
      line({ srcaddr: ':1' }),
      line({ srcaddr: '1:2:3:4:5:6:7:8:9' }),
      line({ srcaddr: '1:2:3:4:5:6:7' }),
      line({ srcaddr: '12345::1' }),
      line({ srcaddr: '1::2::3' }),
      line({ srcaddr: '1:2:3:4:5:6:7:8::' }),
      line({ srcaddr: 'g::1' }),
      line({ dstaddr: '2001:db8::1x' }),
      line({ dstport: '-' }),
      line({ srcaddr: '-', dstaddr: '-', action: '-', 'log-status': 'NODATA' }),
      line({ 'log-status': 'SKIPDATA' }),
      line().replace(' ', '\t'),
      line().replace(' ', '  '),
      ` ${line()}`,
      `${line()} `,
      `${line()}\r`,
      line({ bytes: '1234567890123456' }),
      line({ srcaddr: '01.2.3.4' }),
      line({ srcaddr: '1.2.3.256' }),
      line({ srcaddr: '1.2.3.4.5' }),
      line({ srcaddr: '1.2.3' }),
      line({ srcport: '65536' }),
      line({ protocol: '256' }),
      line({ action: 'ACCEPTED' }),
      line({ action: 'accept' }),
      line({ 'log-status': 'OKAY' }),
      line().split(' ').slice(0, 13).join(' '),
      `${line()} extra`,
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      '',
      line({ 'interface-id': 'eni-\u00e9' }),
    ];
    for (const l of leave) expect({ line: l, ...viaWasm(l) }).toEqual({ line: l, taken: false, record: null, counts: [0, 0, 0, 0] });
  });

  it('stops at a full batch and goes on from there', () => {
    const text = Array.from({ length: 700 }, (_, i) => line({ srcport: String(i) })).join('\n');
    const buf = Buffer.from(`${text}\n`);
    const batch = new RecordBatch(LO, HI, 512, wasm.batchArrays());
    const base = wasm.place(buf, 0, buf.length) as number;
    const first = wasm.scan(V2, base, 0, buf.length, batch);
    expect(batch.n).toBe(512);
    expect(buf.toString('utf8', 0, first).split('\n')).toHaveLength(513);
    batch.n = 0;
    expect(wasm.scan(V2, base, first, buf.length, batch)).toBe(buf.length);
    expect(batch.n).toBe(188);
    expect(batch.lines).toBe(700);
  });

  it('is the compilation of region-scan.wat (npm run build:wasm -- --check)', async () => {
    await expect(promisify(execFile)(process.execPath, [path.join(__dirname, '../../../scripts/build-wasm.mjs'), '--check'])).resolves.toBeDefined();
  });
});
