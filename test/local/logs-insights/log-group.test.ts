import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { LogGroup, LogGroupError, type LogEvent } from '../../../local/logs-insights';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'flowlogs');
const ALL = { startTime: 0, endTime: 9_999_999_999 };

async function events(group: LogGroup, range = ALL): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  await group.scan(range, (e) => out.push(e));
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-log-group-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the log group the input files stand for', () => {
  it('one event per record, at its start; NODATA and SKIPDATA are events, malformed lines are not; messages canonical and one space apart', async () => {
    const got = await events(new LogGroup({ inputs: [path.join(FIXTURES, 'plain')], format: FlowLogFormat.V2 }));
    // 32 lines: 6 malformed (a blank line among them), so 26 events.
    expect(got).toHaveLength(26);
    expect(got.filter((e) => e.message.endsWith(' NODATA') || e.message.endsWith(' SKIPDATA'))).toHaveLength(2);
    expect(got.every((e) => !/\t| {2}/.test(e.message))).toBe(true);
    // IPv6 written as 2001:DB8:0:0:0:0:0:BAD and 2001:0db8::0bad is held as the canonical text.
    expect(got.filter((e) => e.message.includes(' 2001:db8::bad ')).length).toBe(3);
    const tabbed = got.find((e) => e.message.includes(' 49762 '));
    expect(tabbed?.message).toBe('2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49762 3389 6 20 4249 1763804400 1763804460 REJECT OK');
    expect(tabbed?.timestamp).toBe(1763804400_000);
    expect(tabbed?.fields).toEqual(tabbed?.message.split(' '));
  });

  it('records of another layout (a v5 header) are written in the log group format, fields it lacks as "-"', async () => {
    const v2 = await events(new LogGroup({ inputs: [path.join(FIXTURES, 's3')], format: FlowLogFormat.V2 }));
    expect(v2[0]?.message).toBe('5 123456789010 eni-0f1e2d3c4b5a69788 203.0.113.99 172.31.9.12 62000 21 6 1 40 1763769300 1763769360 REJECT OK');
    const custom = await events(new LogGroup({ inputs: [path.join(FIXTURES, 's3')], format: FlowLogFormat.parse('srcaddr dstport start action flow-direction ecs-cluster-name') }));
    expect(custom[0]?.message).toBe('203.0.113.99 21 1763769300 REJECT ingress -');
  });

  it('selects by timestamp, both ends included, and counts the events and their bytes', async () => {
    const group = new LogGroup({ inputs: [path.join(FIXTURES, 'plain')], format: FlowLogFormat.V2 });
    const seen: LogEvent[] = [];
    const scan = await group.scan({ startTime: 1763802000, endTime: 1763803600 }, (e) => seen.push(e));
    expect(seen.map((e) => e.timestamp / 1000).every((t) => t >= 1763802000 && t <= 1763803600)).toBe(true);
    expect(seen.some((e) => e.timestamp === 1763802000_000)).toBe(true);
    expect(seen.some((e) => e.timestamp === 1763803600_000)).toBe(true);
    expect(scan.events).toBe(seen.length);
    expect(scan.bytes).toBe(seen.reduce((n, e) => n + Buffer.byteLength(e.message), 0));
  });

  it('does not open S3 objects whose key time rules out the range, as the run scan does not', async () => {
    const s3 = path.join(FIXTURES, 's3');
    const window = { startTime: 1763802000, endTime: 1763805599 };
    const pruned = await events(new LogGroup({ inputs: [s3], format: FlowLogFormat.V2 }), window);
    const everything = await events(new LogGroup({ inputs: [s3], format: FlowLogFormat.V2, prune: false }), window);
    expect(pruned.map((e) => e.message)).toEqual(everything.map((e) => e.message));
    // Over all time, the 2025-11-21 object's records are there.
    expect((await events(new LogGroup({ inputs: [s3], format: FlowLogFormat.V2 }))).some((e) => e.timestamp === 1763769300_000)).toBe(true);
  });

  it('leaves out the inputs given as duplicates, by file or by folder', async () => {
    const file = path.join(dir, 'a.log');
    await writeFile(file, '2 1 eni-1 192.0.2.1 192.0.2.2 1 2 6 1 40 1763802000 1763802060 ACCEPT OK\n');
    await writeFile(path.join(dir, 'b.log'), '2 1 eni-1 192.0.2.1 192.0.2.2 1 2 6 1 40 1763802000 1763802060 ACCEPT OK\n');
    expect(await events(new LogGroup({ inputs: [dir], format: FlowLogFormat.V2 }))).toHaveLength(2);
    expect(await events(new LogGroup({ inputs: [dir], format: FlowLogFormat.V2, leaveOut: [path.join(dir, 'b.log')] }))).toHaveLength(1);
    expect(await events(new LogGroup({ inputs: [dir, file], format: FlowLogFormat.V2, leaveOut: [dir] }))).toHaveLength(0);
  });

  it('refuses stdin, which cannot be read a second time', async () => {
    await expect(events(new LogGroup({ inputs: ['-'], format: FlowLogFormat.V2 }))).rejects.toBeInstanceOf(LogGroupError);
  });

  it('the mean message size of the first events', async () => {
    const mean = await new LogGroup({ inputs: [path.join(FIXTURES, 'plain')], format: FlowLogFormat.V2 }).meanMessageBytes(5);
    expect(mean).toBeGreaterThan(60);
    expect(mean).toBeLessThan(200);
  });
});
