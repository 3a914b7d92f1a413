/**
 * `flowir run --state-dir X` where X cannot hold a run's state (a file, a folder under a file):
 * refused before anything runs, exit 1, one line naming the path; not a run whose executions fail
 * one by one (exit 2, "0 incidents"), nor a stack trace.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowir } from './run-main';

const PLAIN = join(__dirname, '..', '..', 'fixtures', 'flowlogs', 'plain', 'exported-from-cloudwatch-v2.log');

let work: string;
let file: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'flowir-run-state-dir-'));
  file = join(work, 'passwd');
  writeFileSync(file, 'root:x:0:0::/root:/bin/sh\n');
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('flowir run with a state dir it cannot use', () => {
  it('a file: exit 1, the path named, nothing scanned or started, the file untouched', async () => {
    const r = await flowir(['run', PLAIN, '--state-dir', file, '--decide', 'approve']);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `flowir run: state dir ${file}: is a file, not a folder; --state-dir names the folder where a run keeps its evidence, histories and blocks (made if missing)\n`]);
    expect(readFileSync(file, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
  });

  it('a folder under a file: exit 1, the path named with why it cannot be made', async () => {
    const under = join(file, 'state');
    const r = await flowir(['run', PLAIN, '--state-dir', under, '--decide', 'approve', '--json']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(`flowir run: state dir ${under}: cannot be created (ENOTDIR: not a directory, mkdir '${under}')\n`);
  });

  it('the usable folder beside them still runs (exit 0) and keeps its state there', async () => {
    const stateDir = join(work, 'state');
    const r = await flowir(['run', PLAIN, '--state-dir', stateDir, '--decide', 'approve', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { stateDir: string }).stateDir).toBe(stateDir);
    expect(readdirSync(stateDir)).toContain('executions');
  }, 60_000);

  it('a folder another flowir run is using: exit 1, the owner named, nothing run; the run that owns it is unaffected', async () => {
    const stateDir = join(work, 'shared');
    // The first run waits on its approvals (no --decide) while the second is started.
    const first = flowir(['run', PLAIN, '--state-dir', stateDir, '--approval-timeout', '3s', '--json']);
    const deadline = Date.now() + 30_000;
    while (!readdirSync(work).includes('shared') || !readdirSync(stateDir).includes('lock.json')) {
      if (Date.now() > deadline) throw new Error('the first run never took its lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await flowir(['run', PLAIN, '--state-dir', stateDir, '--decide', 'approve', '--json']);
    expect([second.code, second.stdout]).toEqual([1, '']);
    expect(second.stderr).toMatch(new RegExp(`^flowir run: state dir ${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is in use by another flowir run \\(process ${process.pid}, since [0-9TZ:.-]+\\); wait for it to end, or give this run its own --state-dir\n$`));
    const done = await first;
    expect(done.code).toBe(0);
    expect(readdirSync(stateDir)).not.toContain('lock.json');
  }, 60_000);
});
