/** `flowir audit` without an execution: the incidents of a run (or an account), filtered, each checked; and bad input. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ListExecutionsCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import { fakeStepFunctions, INCIDENT_MACHINE_ARN } from './aws-shape';
import { audit, listJson } from './cli';
import { playScenario, tempStateDir, WINDOW, type PlayedScenario } from './scenario';

let stateDir: string;
let contained: PlayedScenario;
let rejected: PlayedScenario;
let guarded: PlayedScenario;

beforeAll(async () => {
  stateDir = tempStateDir();
  contained = await playScenario('contained', { stateDir, source: '203.0.113.50' });
  rejected = await playScenario('rejected', { stateDir, source: '203.0.113.51' });
  guarded = await playScenario('guarded', { stateDir, source: '2001:db8::7' });
});

describe('flowir audit (list)', () => {
  it('lists every incident execution of the state dir with its outcome, decision, block and evidence check', async () => {
    const { code, listing } = await listJson(['--state-dir', stateDir]);
    expect(code).toBe(0);
    expect(listing.ok).toBe(true);
    expect(listing.executions.map((e) => [e.name, e.outcome, e.source, e.decision?.decision ?? null, e.blocked, e.evidence])).toEqual([
      [contained.executionName, 'CONTAINED', '203.0.113.50', 'approve', ['203.0.113.50/32'], 'verified'],
      [rejected.executionName, 'REJECTED', '203.0.113.51', 'reject', [], 'verified'],
      [guarded.executionName, 'GUARDED', '2001:db8::7', null, [], 'verified'],
    ]);
    const text = await audit(['--state-dir', stateDir]);
    expect(text.stdout).toContain(`CONTAINED  PORT_SCAN  203.0.113.50`);
    expect(text.stdout).toContain('All checks passed for 3 execution(s).');
  });

  it.each([
    [['--outcome', 'rejected'], () => [rejected.executionName]],
    [['--source', '2001:0db8:0000::0007'], () => [guarded.executionName]],
    [['--detection', 'port_scan'], () => [contained.executionName, rejected.executionName, guarded.executionName]],
    [['--detection', 'HIGH_TRAFFIC_VOLUME'], () => []],
    [['--since', '2100-01-01T00:00:00Z'], () => []],
    [['--until', String(WINDOW.end)], () => []],
    [['--since', '2000-01-01T00:00:00Z', '--outcome', 'CONTAINED'], () => [contained.executionName]],
  ])('filters: %j', async (args, expected) => {
    const { code, listing } = await listJson(['--state-dir', stateDir, ...args]);
    expect(code).toBe(0);
    expect(listing.executions.map((e) => e.name)).toEqual(expected());
  });

  it('a tampered incident fails the list, exit 3, naming the execution and the object', async () => {
    const dir = tempStateDir();
    const s = await playScenario('notified', { stateDir: dir, source: '198.51.100.9' });
    await playScenario('contained', { stateDir: dir, source: '198.51.100.10' });
    writeFileSync(path.join(dir, 'evidence', 'incidents', s.executionName, 'query.json'), '{}');
    const r = await audit(['--state-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`CHECKS FAILED for 1 execution(s):\n  ✗ ${s.executionName}: query.json: altered`);
  });

  it('lists from Step Functions across pages of ListExecutions', async () => {
    const sfn = fakeStepFunctions(
      [contained, rejected, guarded].map((s) => ({ doc: s.document, stateMachineArn: INCIDENT_MACHINE_ARN })),
      { listPageSize: 2, pageSize: 10 },
    );
    try {
      const { code, listing } = await listJson(['--aws', '--state-machine', INCIDENT_MACHINE_ARN, '--outcome', 'GUARDED']);
      expect(code).toBe(0);
      expect(listing.executions.map((e) => [e.name, e.evidence])).toEqual([[guarded.executionName, 'unchecked']]);
      const all = await listJson(['--aws', '--state-machine', INCIDENT_MACHINE_ARN]);
      expect(all.listing.executions).toHaveLength(3);
    } finally {
      sfn.mock.restore();
    }
  });
});

describe('flowir audit: bad input is refused with a message that names it (exit 1)', () => {
  it.each([
    [['--outcome', 'WON'], /--outcome: expected one of CONTAINED, REJECTED/],
    [['--source', 'not-an-ip'], /--source: expected an IPv4 or IPv6 address, got "not-an-ip"/],
    [['--detection', 'SCAN'], /--detection: expected one of PORT_SCAN/],
    [['--since', 'yesterday'], /--since/],
    [['--since', '2025-01-02T00:00:00Z', '--until', '2025-01-01T00:00:00Z'], /--until must be after --since/],
    [['a', 'b'], /one execution at a time, got 2/],
    [['x', '--outcome', 'CONTAINED'], /filter the list; leave them out when naming one execution/],
    [['--aws'], /--aws needs the state machines to read: --state-machine ARN/],
    [['--aws', '--state-machine', 'flowir-incident'], /--state-machine: expected arn:aws:states:<region>:<account>:stateMachine:<name>, got "flowir-incident"/],
    [['--state-machine', INCIDENT_MACHINE_ARN], /--state-machine is for --aws/],
    [['--evidence-bucket', 'Not_A_Bucket'], /--evidence-bucket: "Not_A_Bucket" is not an S3 bucket name/],
    [['--bogus'], /unknown option --bogus/],
    [['--outcom', 'CONTAINED'], /unknown option --outcom \(did you mean --outcome\?\)/],
  ])('%j', async (args, message) => {
    // --aws and --evidence-bucket read AWS, not a state dir.
    const r = await audit(args.includes('--aws') || args.includes('--evidence-bucket') ? args : ['--state-dir', stateDir, ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('AWS refusing a call is said plainly, not as a crash', async () => {
    const sfn = fakeStepFunctions([]);
    sfn.mock.on(ListExecutionsCommand).rejects(new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'User is not authorized to perform: states:ListExecutions', $metadata: { httpStatusCode: 400 } }));
    try {
      const r = await audit(['--aws', '--state-machine', INCIDENT_MACHINE_ARN]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('flowir audit: AWS: AccessDeniedException: User is not authorized to perform: states:ListExecutions\n');
    } finally {
      sfn.mock.restore();
    }
  });

  it('a state dir without histories says how to make them', async () => {
    const r = await audit(['--state-dir', tempStateDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/executions: no execution histories here\. Run `flowir run <flow logs> --state-dir .*` first/);
  });

  it('an execution that is not there is named', async () => {
    const r = await audit(['PORT_SCAN-192-0-2-1-1763805600', '--state-dir', stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no execution "PORT_SCAN-192-0-2-1-1763805600" in local state dir');
  });

  it('a damaged history file is named, with what is wrong in it', async () => {
    const dir = tempStateDir();
    const s = await playScenario('notified', { stateDir: dir });
    writeFileSync(s.historyFile, readFileSync(s.historyFile, 'utf8').slice(0, 200));
    const r = await audit(['--state-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${s.historyFile}: not valid JSON`);

    const other = tempStateDir();
    mkdirSync(path.join(other, 'executions', 'incident'), { recursive: true });
    writeFileSync(path.join(other, 'executions', 'incident', 'x.json'), JSON.stringify({ executionArn: 'a', name: 'x', stateMachineName: 'incident', status: 'SUCCEEDED', events: [{ id: 1, type: 'ExecutionStarted', timestamp: 'soon' }] }));
    const r2 = await audit(['--state-dir', other]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`${path.join(other, 'executions', 'incident', 'x.json')}: events[0].timestamp: expected an ISO 8601 time, got "soon"`);
  });
});
