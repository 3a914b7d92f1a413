/**
 * Option values from the odd to the hostile, through main() as the shell would pass them: each one
 * either works or is refused with exit 1 and one clear line naming the option, never a stack trace.
 * Run's refusals all happen before it starts a workflow, so none of these needs a state dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowir } from './run-main';

const PLAIN = join(__dirname, '..', '..', 'fixtures', 'flowlogs', 'plain', 'exported-from-cloudwatch-v2.log');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'flowir-bad-values-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const ANY_DURATION_REFUSAL = /is not a duration \(seconds, or 90s, 15m, 1h, 2d\)$/;
const ANY_INSTANT_REFUSAL = /is neither epoch seconds nor an ISO 8601 time$/;

describe.each([
  ['scan', (extra: string[]) => ['scan', PLAIN, '--no-progress', ...extra]],
  ['run', (extra: string[]) => ['run', PLAIN, '--decide', 'approve', ...extra]],
])('%s: --window and --until', (command, argv) => {
  it.each<[string[], RegExp | string]>([
    [['--window', '99999999999999'], /--window: "99999999999999" is too long \(at most (36500d|7d)\)$/],
    [['--window', '9'.repeat(400)], /--window: "9{400}" is too long/],
    [['--window', '0'], '--window: must be longer than zero'],
    [['--window', '0h'], '--window: must be longer than zero'],
    [['--window=-1h'], ANY_DURATION_REFUSAL],
    [['--window', '1e3'], ANY_DURATION_REFUSAL],
    [['--window', 'NaN'], ANY_DURATION_REFUSAL],
    [['--window', 'Infinity'], ANY_DURATION_REFUSAL],
    [['--window', '1.5h'], ANY_DURATION_REFUSAL],
    [['--window', '１h'], ANY_DURATION_REFUSAL],
    [['--window', ' '], ANY_DURATION_REFUSAL],
    [['--window='], '--window needs a value, got an empty one: --window D'],
    [['--window'], '--window needs a value: --window D'],
    [['--until', '99999999999999'], '--until: "99999999999999" is after 9999-12-31T23:59:59Z'],
    [['--until', '1763805600000'], '--until: "1763805600000" is after 9999-12-31T23:59:59Z (milliseconds? in seconds that is 1763805600)'],
    [['--until', '253402300800'], '--until: "253402300800" is after 9999-12-31T23:59:59Z'],
    [['--until', '0070-01-01'], '--until: "0070-01-01" is before 1970-01-01T00:00:00Z'],
    [['--until=-1'], ANY_INSTANT_REFUSAL],
    [['--until', '1e9'], ANY_INSTANT_REFUSAL],
    [['--until', 'NaN'], ANY_INSTANT_REFUSAL],
    [['--until', '2025-02-30'], ANY_INSTANT_REFUSAL],
    [['--until', '２０２５-11-22'], ANY_INSTANT_REFUSAL],
    [['--until', '100'], '--until 1970-01-01T00:01:40Z with a window of 1h: the window would start before 1970-01-01; give a shorter --window or a later --until'],
    [['--until', '1970-01-03T00:00Z', '--window', '3d'], '--until 1970-01-03T00:00:00Z with a window of 3d: the window would start before 1970-01-01; give a shorter --window or a later --until'],
  ])('%j', async (extra, message) => {
    const r = await flowir(argv(extra));
    expect(r.stdout).toBe('');
    const first = r.stderr.split('\n')[0] ?? '';
    expect(first.startsWith(`flowir ${command}: `)).toBe(true);
    if (typeof message === 'string') expect(first).toBe(`flowir ${command}: ${message}`);
    else expect(first).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
  });
});

describe('scan: the edges that work', () => {
  it.each([
    [['--window', '36500d']], // a century before the data's hour: takes in every record
    [['--window', ' 1h ']],
    [['--until', '9999-12-31T23:59:59Z']],
    [['--until', '253402300799']],
    [['--until', '3600', '--window', '3600']], // a window starting exactly at the epoch
    [['--window=3600', '--until=2025-11-22T11:00:00+01:00']],
  ])('%j: exit 0 and a window that prints as dates', async (extra) => {
    const r = await flowir(['scan', PLAIN, '--no-progress', '--json', ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { window: { start: number; end: number } };
    expect(Number.isNaN(new Date(out.window.start * 1000).getTime())).toBe(false);
    expect(Number.isNaN(new Date(out.window.end * 1000).getTime())).toBe(false);
  });
});

describe('run: its own options', () => {
  it.each<[string[], string]>([
    [['--window', '8d'], '--window: "8d" is too long (at most 7d)'],
    [['--port', '65536'], '--port: expected a port number (0 to 65535), got "65536"'],
    [['--port', '99999999999999'], '--port: expected a port number (0 to 65535), got "99999999999999"'],
    [['--port=-1'], '--port: expected a port number (0 to 65535), got "-1"'],
    [['--port', '1e3'], '--port: expected a port number (0 to 65535), got "1e3"'],
    [['--port', '８０'], '--port: expected a port number (0 to 65535), got "８０"'],
    [['--port='], '--port needs a value, got an empty one: --port N'],
    [['--approval-timeout', '8d'], '--approval-timeout: "8d" is too long (at most 7d)'],
    [['--approval-timeout', '99999999999999'], '--approval-timeout: "99999999999999" is too long (at most 7d)'],
    [['--approval-timeout', '0'], '--approval-timeout: must be longer than zero'],
    [['--approval-timeout', 'NaN'], '--approval-timeout: "NaN" is not a duration (seconds, or 90s, 15m, 1h, 2d)'],
    [['--decide', 'yes'], '--decide: expected approve or reject, got "yes"'],
    [['--decide='], '--decide needs a value, got an empty one: --decide approve|reject'],
    [['--approver', ''], '--approver needs a value, got an empty one: --approver EMAIL'],
    [['--json=1'], '--json takes no value (got "--json=1")'],
  ])('%j', async (extra, message) => {
    const r = await flowir(['run', PLAIN, ...extra]);
    expect({ code: r.code, stdout: r.stdout, first: r.stderr.split('\n')[0] }).toEqual({ code: 1, stdout: '', first: `flowir run: ${message}` });
  });
});

describe('sample', () => {
  it.each<[string[], string]>([
    [['--records', '10000001'], '--records: at most 10,000,000, got 10000001'],
    [['--records', '99999999999999999999999'], '--records: at most 10,000,000, got 99999999999999999999999'],
    [['--records=-5'], '--records: expected a whole number, got "-5"'],
    [['--records', '1e3'], '--records: expected a whole number, got "1e3"'],
    [['--records', 'NaN'], '--records: expected a whole number, got "NaN"'],
    [['--records', '_'], '--records: expected a whole number, got "_"'],
    [['--records', '١٠٠'], '--records: expected a whole number, got "١٠٠"'],
    [['--seed', '4294967296'], '--seed: at most 4,294,967,295, got 4294967296'],
    [['--seed', '0.5'], '--seed: expected a whole number, got "0.5"'],
    [['--seed='], '--seed needs a value, got an empty one: --seed S'],
    [['--format', 'v3'], '--format: expected v2 or v5, got "v3"'],
    [['--until', '2025-11-22T10:30:00Z'], '--until: the sample\'s window end must be a whole hour, got "2025-11-22T10:30:00Z"'],
    [['--until', '3600'], '--until: the sample covers the 2h before it, which would start before 1970-01-01; give a later time'],
    [['--until', '99999999999999'], '--until: "99999999999999" is after 9999-12-31T23:59:59Z'],
  ])('%j', async (extra, message) => {
    const r = await flowir(['sample', join(work, 'refused'), ...extra]);
    expect({ code: r.code, stdout: r.stdout, first: r.stderr.split('\n')[0] }).toEqual({ code: 1, stdout: '', first: `flowir sample: ${message}` });
  });

  it('takes digits grouped with _, the largest seed, and the earliest whole hour it can plant around', async () => {
    const r = await flowir(['sample', join(work, 'edges'), '--records', '1_000', '--seed', '4294967295', '--until', '7200']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Window with the planted incidents: 1970-01-01T01:00:00.000Z → 1970-01-01T02:00:00.000Z');
  });
});

describe('audit', () => {
  it.each<[string[], string]>([
    [['--since', '99999999999999'], '--since: "99999999999999" is after 9999-12-31T23:59:59Z'],
    [['--until', 'NaN'], '--until: "NaN" is neither epoch seconds nor an ISO 8601 time'],
    [['--since='], '--since needs a value, got an empty one: --since T'],
    [['--html='], '--html needs a value, got an empty one: --html FILE'],
    [['--state-dir='], '--state-dir needs a value, got an empty one: --state-dir DIR'],
    [['--outcome', 'WON'], '--outcome: expected one of CONTAINED, REJECTED, TIMED_OUT, NOTIFIED, UNCONFIRMED, SUPPRESSED, GUARDED, FAILED, got "WON"'],
    [['--source', '999.1.1.1'], '--source: expected an IPv4 or IPv6 address, got "999.1.1.1"'],
    [['--aws=1'], '--aws takes no value (got "--aws=1")'],
  ])('%j', async (extra, message) => {
    const r = await flowir(['audit', ...extra, '--state-dir', work]);
    expect({ code: r.code, stdout: r.stdout, first: r.stderr.split('\n')[0] }).toEqual({ code: 1, stdout: '', first: `flowir audit: ${message}` });
  });
});

describe('a config file', () => {
  it('an unknown top-level field is named, with every known one, incident included', async () => {
    const config = join(work, 'typo.json');
    writeFileSync(config, JSON.stringify({ incidnet: { approvalTimeoutSeconds: 60 } }));
    const r = await flowir(['scan', PLAIN, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flowir scan: ${config}: incidnet: unknown field (known: windowSeconds, deliveryLagSeconds, suspiciousPorts, allowlist, format, detections, schedules, incident)\n`);
  });

  it('--config= is refused as empty rather than read as a file named ""', async () => {
    const r = await flowir(['scan', PLAIN, '--config=']);
    expect(r.stderr).toBe('flowir scan: --config needs a value, got an empty one: --config FILE\nRun flowir scan --help for its options.\n');
  });
});
