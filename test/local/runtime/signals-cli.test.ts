/**
 * Ctrl-C and SIGTERM sent to the built CLI (`node bin/flowir.js run`; `npm test` builds first)
 * while its approvals wait: it says what it recorded, exits as a shell expects of a process stopped
 * by that signal (130, 143), and leaves a state dir that `flowir audit` finds complete.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeSample } from '../../../local/sample/write';
import { listJson } from '../audit/cli';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin/flowir.js');

let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-signals-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 2000, seed: 9 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start `flowir run`, send `signal` once its three approval links are out, and collect what it printed and how it ended. */
function interrupt(stateDir: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', sample, '--until', '1763805600', '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flowir run did not end; stderr so far:\n${stderr}`));
    }, 40_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (sentAt === 0 && (stderr.match(/APPROVAL NEEDED/g) ?? []).length === 3) {
        sentAt = Date.now();
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr, ms: Date.now() - sentAt });
    });
  });
}

describe('flowir run, interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: the waiting executions are recorded ABORTED, it says so, exit %i', async (signal, status) => {
    const stateDir = path.join(dir, signal);
    const r = await interrupt(stateDir, signal);
    expect([r.code, r.signal]).toEqual([status, null]);
    // Promptly: nothing keeps the process up (the approvals' timers are an hour).
    expect(r.ms).toBeLessThan(5000);
    expect(r.stderr).toMatch(new RegExp(`flowir run: interrupted: 3 executions recorded as ABORTED after ${signal} \\([^)]+\\); no block left in place\\. See them with: flowir audit --state-dir `));
    expect((r.stdout.match(/^ABORTED {5}/gm) ?? []).length).toBe(3);
    const { code, listing } = await listJson(['--state-dir', stateDir]);
    expect(code).toBe(0);
    expect(listing.unrecorded).toEqual([]);
    expect(listing.executions.filter((e) => e.status === 'ABORTED')).toHaveLength(3);
    expect(listing.executions.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(listing.executions.length - 3);
  }, 60_000);
});
