import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeFlowirDefinitions } from '../../infra/definitions';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';
import { build, removeTestOutdirs } from './synth';

// os.tmpdir() reads TMPDIR on each call: pointed at a directory of this test's own, whatever a
// synth leaves in the real one (a cdk.out* per plain App) shows up here.
let tmp: string;
const savedTmpdir = process.env.TMPDIR;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'flowir-tmpdir-'));
  process.env.TMPDIR = tmp;
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(tmp, { recursive: true, force: true });
});

describe('synthesizing leaves nothing in os.tmpdir()', () => {
  it('synthesizeFlowirDefinitions (every `flowir run` calls it)', () => {
    synthesizeFlowirDefinitions();
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('synthesizeStandaloneWorkflows (the workflow tests and the audit scenarios call it)', () => {
    synthesizeStandaloneWorkflows();
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("the tests' apps: no cdk.out* while they run, and their assemblies are gone after", () => {
    build({ approverEmails: 'lead@example.com' }).app.synth();
    expect(readdirSync(tmp).filter((name) => name.startsWith('cdk.out'))).toEqual([]);
    removeTestOutdirs();
    expect(readdirSync(tmp)).toEqual([]);
  });
});
