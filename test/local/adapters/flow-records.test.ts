import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { FlowRecordSourceError, InputFlowRecordSource } from '../../../local/adapters/flow-records';
import { writeSample } from '../../../local/sample/write';
import { useTempDir } from './temp-dir';

const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const WINDOW = { start: 1763802000, end: 1763805600 };
const v2 = (src: string, dstport: number, start: number, action = 'REJECT'): string => `2 123456789012 eni-0a1b2c ${src} 10.0.1.5 40000 ${dstport} 6 1 44 ${start} ${start + 10} ${action} OK`;

describe('InputFlowRecordSource', () => {
  const tmp = useTempDir();
  const file = (name: string): string => path.join(tmp.path, name);

  it('returns the raw lines of the source with start in the window, with the format as a header and a query that says what was read', async () => {
    const inWindow = [v2('203.0.113.50', 22, WINDOW.start), v2('203.0.113.50', 23, WINDOW.end - 1, 'ACCEPT')];
    const lines = [
      V2_HEADER,
      inWindow[0],
      v2('203.0.113.50', 24, WINDOW.start - 1),
      v2('203.0.113.51', 26, WINDOW.start),
      v2('203.0.113.5', 27, WINDOW.start),
      `2 123456789012 eni-0a1b2c 10.0.1.5 203.0.113.50 22 40000 6 1 44 ${WINDOW.start} ${WINDOW.start + 5} ACCEPT OK`,
      inWindow[1],
      v2('203.0.113.50', 28, WINDOW.end),
      '2 123456789012 eni-0a1b2c - - - - - - - 1763802000 1763802060 - NODATA',
      'garbage line',
    ];
    await fs.writeFile(file('a.log'), `${lines.join('\n')}\n`);
    const result = await new InputFlowRecordSource([file('a.log')]).records('203.0.113.50', WINDOW);
    expect(result.lines).toEqual(inWindow);
    expect(result.format).toBe(V2_HEADER);
    expect(result.query).toBe(`local scan of 1 input file (${file('a.log')}): srcaddr = 203.0.113.50 and start in [1763802000, 1763805600) (2025-11-22T09:00:00Z to 2025-11-22T10:00:00Z)`);
  });

  it('reads folders and gzip files, and files without a header in the default format', async () => {
    await fs.mkdir(file('AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22'), { recursive: true });
    const gz = file('AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22/part.log.gz');
    await fs.writeFile(gz, gzipSync(`${V2_HEADER}\n${v2('198.51.100.7', 3389, WINDOW.start + 60)}\n`));
    await fs.writeFile(file('AWSLogs/plain.log'), `${v2('198.51.100.7', 445, WINDOW.start + 120)}\n`);
    const result = await new InputFlowRecordSource([file('AWSLogs')], FlowLogFormat.V2).records('198.51.100.7', WINDOW);
    expect(result.lines.sort()).toEqual([v2('198.51.100.7', 3389, WINDOW.start + 60), v2('198.51.100.7', 445, WINDOW.start + 120)].sort());
    expect(result.query).toMatch(/^local scan of 2 input files: /);
  });

  it('does not take an address that merely contains the source text for it', async () => {
    await fs.writeFile(file('a.log'), `${v2('203.0.113.50', 22, WINDOW.start)}\n${v2('203.0.113.5', 22, WINDOW.start)}\n`);
    expect((await new InputFlowRecordSource([file('a.log')]).records('203.0.113.5', WINDOW)).lines).toEqual([v2('203.0.113.5', 22, WINDOW.start)]);
  });

  it('matches IPv6 sources written in any form', async () => {
    const header = 'srcaddr dstaddr dstport bytes start action';
    await fs.writeFile(file('v6.log'), `${header}\n2001:DB8:0:0:0:0:0:1 2001:db8::5 22 100 ${WINDOW.start} REJECT\n2001:db8::2 2001:db8::5 22 100 ${WINDOW.start} REJECT\n`);
    const result = await new InputFlowRecordSource([file('v6.log')]).records('2001:db8::1', WINDOW);
    expect(result).toMatchObject({ format: header, lines: [`2001:DB8:0:0:0:0:0:1 2001:db8::5 22 100 ${WINDOW.start} REJECT`] });
  });

  it('rewrites a matching line of another format into the first one, with - for fields it lacks', async () => {
    await fs.writeFile(file('1.log'), `${V2_HEADER}\n${v2('203.0.113.50', 22, WINDOW.start)}\n`);
    await fs.writeFile(file('2.log'), `srcaddr dstport start action bytes\n203.0.113.50 23 ${WINDOW.start + 1} REJECT 60\n`);
    const result = await new InputFlowRecordSource([file('1.log'), file('2.log')]).records('203.0.113.50', WINDOW);
    expect(result.lines).toEqual([v2('203.0.113.50', 22, WINDOW.start), `- - - 203.0.113.50 - - 23 - - 60 ${WINDOW.start + 1} - REJECT -`]);
  });

  it('keeps the lines read before a damaged gzip member and says the evidence is incomplete', async () => {
    const good = gzipSync(`${V2_HEADER}\n${v2('203.0.113.50', 22, WINDOW.start)}\n`);
    const damaged = gzipSync(`${v2('203.0.113.50', 23, WINDOW.start)}\n`.repeat(200)).subarray(0, 40);
    await fs.writeFile(file('cut.log.gz'), Buffer.concat([good, damaged]));
    const result = await new InputFlowRecordSource([file('cut.log.gz')]).records('203.0.113.50', WINDOW);
    expect(result.lines[0]).toBe(v2('203.0.113.50', 22, WINDOW.start));
    expect(result.query).toMatch(/INCOMPLETE, not read to the end: .*cut\.log\.gz: damaged gzip data/);
  });

  it('returns no lines, in the default format, when the source sent nothing in the window', async () => {
    await fs.writeFile(file('a.log'), `${v2('203.0.113.50', 22, WINDOW.start)}\n`);
    expect(await new InputFlowRecordSource([file('a.log')], FlowLogFormat.V5).records('192.0.2.1', WINDOW)).toMatchObject({ format: FlowLogFormat.V5.header(), lines: [] });
  });

  it('refuses stdin, a bad source and a bad window, naming them', async () => {
    await expect(new InputFlowRecordSource(['-']).records('203.0.113.50', WINDOW)).rejects.toThrow(/stdin/);
    await expect(new InputFlowRecordSource([file('none.log')]).records('203.0.113.50', WINDOW)).rejects.toThrow(/none\.log/);
    await expect(new InputFlowRecordSource([]).records('not-an-ip', WINDOW)).rejects.toBeInstanceOf(FlowRecordSourceError);
    await expect(new InputFlowRecordSource([]).records('203.0.113.50', { start: 10, end: 10 })).rejects.toBeInstanceOf(FlowRecordSourceError);
  });

  it('answers the requests of one window that come together with one pass over the inputs, each with its own lines', async () => {
    const lines = [V2_HEADER, v2('203.0.113.50', 22, WINDOW.start), v2('198.51.100.7', 23, WINDOW.start + 1), v2('203.0.113.50', 24, WINDOW.start + 2), v2('2001:db8::7', 25, WINDOW.start + 3)];
    await fs.writeFile(file('a.log'), `${lines.join('\n')}\n`);
    const passes: number[] = [];
    const source = new InputFlowRecordSource([file('a.log')], FlowLogFormat.V2, { onPass: (p) => passes.push(p.sources) });
    const [a, b, c, again, none] = await Promise.all([
      source.records('203.0.113.50', WINDOW),
      source.records('198.51.100.7', WINDOW),
      source.records('2001:DB8:0::7', WINDOW),
      source.records('203.0.113.50', WINDOW),
      source.records('192.0.2.1', WINDOW),
    ]);
    expect(passes).toEqual([4]);
    expect(a.lines).toEqual([lines[1], lines[3]]);
    expect(again).toEqual(a);
    expect(b.lines).toEqual([lines[2]]);
    expect(c.lines).toEqual([lines[4]]);
    expect(c.query).toContain('srcaddr = 2001:db8::7 and');
    expect(none.lines).toEqual([]);
  });

  it('starts a pass that has read little again with a source asked for during it; one further along answers it with the next', async () => {
    await fs.writeFile(file('a.log'), `${v2('203.0.113.50', 22, WINDOW.start)}\n${v2('198.51.100.7', 23, WINDOW.start - 10)}\n`);
    for (const [restartBefore, want] of [
      [0.5, [1, 2]],
      [0, [1, 1]],
    ] as const) {
      const passes: number[] = [];
      const during: Array<Promise<{ lines: string[] }>> = [];
      const source: InputFlowRecordSource = new InputFlowRecordSource([file('a.log')], FlowLogFormat.V2, {
        quietMs: 5,
        restartBefore,
        onPass: (p) => {
          passes.push(p.sources);
          // Asked for as the first pass begins (nothing read yet).
          if (passes.length === 1) during.push(source.records('198.51.100.7', WINDOW));
        },
      });
      const first = await source.records('203.0.113.50', WINDOW);
      expect(first.lines).toEqual([v2('203.0.113.50', 22, WINDOW.start)]);
      expect((await during[0])?.lines).toEqual([]);
      expect(passes).toEqual(want);
    }
  });

  it('answers each window with its own pass', async () => {
    await fs.writeFile(file('a.log'), `${v2('203.0.113.50', 22, WINDOW.start)}\n${v2('198.51.100.7', 23, WINDOW.start - 10)}\n`);
    const passes: Array<{ start: number; sources: number }> = [];
    const source = new InputFlowRecordSource([file('a.log')], FlowLogFormat.V2, { quietMs: 5, onPass: (p) => passes.push({ start: p.window.start, sources: p.sources }) });
    const [now, earlier] = await Promise.all([source.records('203.0.113.50', WINDOW), source.records('198.51.100.7', { start: WINDOW.start - 3600, end: WINDOW.start })]);
    expect(now.lines).toEqual([v2('203.0.113.50', 22, WINDOW.start)]);
    expect(earlier.lines).toEqual([v2('198.51.100.7', 23, WINDOW.start - 10)]);
    expect(passes.sort((a, b) => a.start - b.start)).toEqual([
      { start: WINDOW.start - 3600, sources: 1 },
      { start: WINDOW.start, sources: 1 },
    ]);
    expect(source.passes).toBe(2);
  });

  it('reads the sources announced by expect in one pass at once, and answers their requests from it', async () => {
    await fs.writeFile(file('a.log'), `${v2('203.0.113.50', 22, WINDOW.start)}\n${v2('198.51.100.7', 23, WINDOW.start + 1)}\n`);
    const passes: number[] = [];
    const source = new InputFlowRecordSource([file('a.log')], FlowLogFormat.V2, { quietMs: 60_000, maxWaitMs: 60_000, onPass: (p) => passes.push(p.sources) });
    await source.expect(WINDOW, ['203.0.113.50', '198.51.100.7', 'not an address']);
    // No quiet period: the announced pass is under way, and a request joins it.
    const a = await source.records('203.0.113.50', WINDOW);
    const b = await source.records('198.51.100.7', WINDOW);
    expect([a.lines, b.lines]).toEqual([[v2('203.0.113.50', 22, WINDOW.start)], [v2('198.51.100.7', 23, WINDOW.start + 1)]]);
    expect(passes).toEqual([2]);
  });

  it('lists each record once from a folder holding both layouts of flowir sample, and says which input it left out', async () => {
    await writeSample(tmp.path, { records: 3000, seed: 3 });
    const planted = '198.51.100.23';
    const both = await new InputFlowRecordSource([tmp.path]).records(planted, WINDOW);
    const s3Only = await new InputFlowRecordSource([path.join(tmp.path, 's3')]).records(planted, WINDOW);
    const plainOnly = await new InputFlowRecordSource([path.join(tmp.path, 'plain')]).records(planted, WINDOW);
    expect(s3Only.lines.length).toBeGreaterThan(50);
    expect([...both.lines].sort()).toEqual([...s3Only.lines].sort());
    expect([...plainOnly.lines].sort()).toEqual([...s3Only.lines].sort());
    expect(new Set(both.lines).size).toBe(both.lines.length);
    expect(both.query).toMatch(/left out as holding the same records as others: /);
  });
});
