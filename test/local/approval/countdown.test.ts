/**
 * What `flowir run` prints while approvals wait: each link once, then one countdown line, rewritten
 * in place on a terminal. The pure pieces first, then `flowir run` itself with approvals that time
 * out after a few seconds, its stderr captured as a terminal would get it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StatusLine, timeLeft, waitingLine, type WaitingLink } from '../../../local/approval/waiting-line';
import { runCommand } from '../../../local/cli/run-command';
import { writeSample } from '../../../local/sample/write';

const link = (executionName: string, secondsLeft: number): WaitingLink => ({ link: { executionName, findingId: `id-${executionName}`, url: `http://127.0.0.1:1/approval?token=${executionName}`, expiresAt: '2025-11-22T11:00:00Z' }, secondsLeft });

describe('the countdown line', () => {
  it.each([
    [0, '0 s'],
    [45, '45 s'],
    [60, '1 min 00 s'],
    [252, '4 min 12 s'],
    [3599.6, '60 min 00 s'],
    [-3, '0 s'],
  ])('%s s left reads "%s"', (s, text) => {
    expect(timeLeft(s)).toBe(text);
  });

  it('counts incidents, not links, and gives one figure when they end together', () => {
    expect(waitingLine([link('a', 252)])).toBe('waiting for 1 approval, 4 min 12 s left');
    expect(waitingLine([link('a', 252), link('b', 253), link('c', 251)])).toBe('waiting for 3 approvals, 4 min 11 s left');
    // Two approvers of one incident: one approval.
    expect(waitingLine([link('a', 252), link('a', 252)])).toBe('waiting for 1 approval, 4 min 12 s left');
    expect(waitingLine([link('a', 40), link('b', 3540)])).toBe('waiting for 2 approvals, 40 s left for the first, 59 min 00 s for the last');
  });

  class Capture extends Writable {
    text = '';
    constructor(readonly isTTY: boolean) {
      super();
    }
    override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
      this.text += chunk.toString('utf8');
      done();
    }
  }

  it('on a terminal: rewritten in place, cleared before other lines and put back after them', () => {
    const out = new Capture(true);
    const status = new StatusLine(out);
    status.print('before\n');
    status.show('waiting for 2 approvals, 10 s left');
    status.show('waiting for 2 approvals, 9 s left');
    status.print('a line\n');
    status.clear();
    status.print('after\n');
    expect(out.text).toBe('before\n\rwaiting for 2 approvals, 10 s left\u001b[K\rwaiting for 2 approvals, 9 s left\u001b[K\r\u001b[Ka line\n\rwaiting for 2 approvals, 9 s left\u001b[K\r\u001b[Kafter\n');
  });

  it('in a log: plain lines, nothing redrawn', () => {
    const out = new Capture(false);
    const status = new StatusLine(out);
    status.show('waiting for 1 approval, 4 min 12 s left');
    status.print('a line\n');
    status.clear();
    expect(out.text).toBe('waiting for 1 approval, 4 min 12 s left\na line\n');
  });

  describe('flowir run without --decide', () => {
    let dir: string;
    let sample: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'flowir-countdown-'));
      sample = (await writeSample(path.join(dir, 'sample'), { records: 2000, seed: 9 })).s3Root;
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function run(tty: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
      const stdout = new Capture(false);
      const stderr = new Capture(tty);
      const stdin = new PassThrough();
      stdin.end();
      const code = await runCommand([sample, '--until', '1763805600', '--state-dir', path.join(dir, `state-${tty}`), '--approval-timeout', '3s'], { stdout, stderr, stdin });
      return { code, stdout: stdout.text, stderr: stderr.text };
    }

    it('on a terminal: each link printed once, then a countdown rewritten every second, gone before the summary', async () => {
      const r = await run(true);
      expect(r.code).toBe(0);
      const urls = r.stderr.match(/http:\/\/127\.0\.0\.1:\d+\/approval\?token=[\w.-]+/g) ?? [];
      expect(urls).toHaveLength(3);
      expect(new Set(urls).size).toBe(3);
      expect((r.stderr.match(/APPROVAL NEEDED for /g) ?? []).length).toBe(3);
      const ERASE = '\u001b[K';
      const frames = r.stderr
        .split('\r')
        .filter((f) => f.startsWith('flowir run: waiting for ') && f.endsWith(` (Ctrl-C stops the run)${ERASE}`))
        .map((f) => f.slice('flowir run: '.length, -` (Ctrl-C stops the run)${ERASE}`.length));
      // How many frames a 3 s wait shows depends on the machine's load: at least one, counting down.
      expect(frames.length).toBeGreaterThanOrEqual(1);
      for (const f of frames) expect(f).toMatch(/^waiting for [1-3] approvals?, [0-3] s left$/);
      const left = frames.map((f) => Number(/, (\d) s left$/.exec(f)?.[1]));
      expect(left).toEqual([...left].sort((a, b) => b - a));
      // The line is taken away once nothing waits: the last thing on stderr is not a countdown.
      expect(r.stderr.endsWith('\r\u001b[K')).toBe(true);
      expect(r.stdout).toMatch(/^window .*: \d+ findings, \d+ incidents\n/);
      expect(r.stdout).toContain('TIMED_OUT   ');
    }, 60_000);

    it('in a log: links once, no countdown line within the first minute, no carriage returns', async () => {
      const r = await run(false);
      expect((r.stderr.match(/\/approval\?token=/g) ?? []).length).toBe(3);
      expect(r.stderr).not.toContain('\r');
      expect(r.stderr).not.toContain('waiting for');
    }, 60_000);
  });
});
