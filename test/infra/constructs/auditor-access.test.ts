/**
 * The auditors' managed policy: read-only, on the evidence bucket's two prefixes, its key and the
 * flowir state machines only; and enough for `flowir audit`, proven by running the real audit
 * against fake S3 and Step Functions and authorizing every request it sent against the policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { App } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { evidencePrefix, manifestKey } from '../../../core/evidence/layout';
import { historyKey } from '../../../handlers/export-history';
import { AUDITED_PREFIXES } from '../../../infra/constructs/auditor-access';
import { INCIDENTS_PREFIX } from '../../../infra/constructs/evidence';
import { DETECTION_GROUPS, EXECUTIONS_PREFIX, stateMachineNames } from '../../../infra/constructs/workflows';
import { fakeS3Bucket } from '../../handlers/aws/fake-s3';
import { ACCOUNT, REGION, exportedDocument, fakeStepFunctions, INCIDENT_MACHINE_ARN } from '../../local/audit/aws-shape';
import { audit } from '../../local/audit/cli';
import { playScenario, type PlayedScenario } from '../../local/audit/scenario';
import { build, buildStack, idOf, only } from '../synth';

const { template, stack } = build();
const policy = only(template, 'AWS::IAM::ManagedPolicy', (p) => p.ManagedPolicyName === 'flowir-dev-auditor');

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}
const statements = (policy.props.PolicyDocument as { Statement: Statement[] }).Statement;
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

// ------------------------------------------------------------ the template, resolved for one account
const EVIDENCE_BUCKET = 'flowir-evidence';
const EVIDENCE_BUCKET_ARN = `arn:aws:s3:::${EVIDENCE_BUCKET}`;
const EVIDENCE_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-evidence`;
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
const ARNS: Record<string, string> = { [idOf(stack, stack.evidence.bucket)]: EVIDENCE_BUCKET_ARN, [idOf(stack, stack.evidence.key)]: EVIDENCE_KEY_ARN };

/** A template value as it deploys in account ACCOUNT, region REGION; anything it refers to but the evidence bucket and key fails. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string' && v.Ref in PSEUDO) return PSEUDO[v.Ref] as string;
  const getAtt = v['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt !== undefined && getAtt[1] === 'Arn' && getAtt[0] in ARNS) return ARNS[getAtt[0]] as string;
  const join = v['Fn::Join'] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(resolve).join(join[0]);
  throw new Error(`the policy refers to something other than the evidence bucket, its key and pseudo parameters: ${JSON.stringify(value)}`);
}

const resolved = statements.map((s) => ({
  actions: list(s.Action),
  resources: list(s.Resource).map(resolve),
  conditions: Object.fromEntries(Object.entries(s.Condition ?? {}).map(([op, kv]) => [op, Object.fromEntries(Object.entries(kv).map(([k, vs]) => [k, list(vs).map(resolve)]))])),
}));
const resourcesOf = (action: string): string[] => resolved.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);

// ------------------------------------------------------------ a small IAM evaluator for this policy
interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

const glob = (pattern: string, s: string): boolean => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(s);

/** Allowed when one Allow statement names the action and the resource, and all its conditions hold. */
function allowed(r: Request): boolean {
  return resolved.some(
    (s) =>
      s.actions.some((a) => glob(a, r.action)) &&
      s.resources.some((p) => glob(p, r.resource)) &&
      Object.entries(s.conditions).every(([op, kv]) =>
        Object.entries(kv).every(([key, values]) => {
          const actual = r.context?.[key];
          if (actual === undefined) return false;
          if (op === 'StringLike') return values.some((p) => glob(p, actual));
          if (op === 'StringEquals') return values.includes(actual);
          throw new Error(`condition operator ${op} is not understood by this test`);
        }),
      ),
  );
}

const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };

/** What IAM authorizes for one SDK command the audit sent. */
function requestsOf(command: unknown): Request[] {
  const object = (bucket: string | undefined, key: string | undefined): string => `arn:aws:s3:::${bucket ?? ''}/${key ?? ''}`;
  if (command instanceof GetObjectCommand) {
    // SSE-KMS: S3 decrypts the object's data key with the bucket's key, as the caller.
    return [{ action: 's3:GetObject', resource: object(command.input.Bucket, command.input.Key) }, { action: 'kms:Decrypt', resource: EVIDENCE_KEY_ARN, context: VIA_S3 }];
  }
  if (command instanceof HeadObjectCommand) {
    // S3 returns ObjectLockMode and ObjectLockRetainUntilDate only to a caller with GetObjectRetention.
    const resource = object(command.input.Bucket, command.input.Key);
    return [{ action: 's3:GetObject', resource }, { action: 's3:GetObjectRetention', resource }];
  }
  if (command instanceof ListObjectsV2Command) return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${command.input.Bucket ?? ''}`, context: { 's3:prefix': command.input.Prefix ?? '' } }];
  if (command instanceof ListExecutionsCommand) return [{ action: 'states:ListExecutions', resource: command.input.stateMachineArn ?? '' }];
  if (command instanceof DescribeExecutionCommand) return [{ action: 'states:DescribeExecution', resource: command.input.executionArn ?? '' }];
  if (command instanceof GetExecutionHistoryCommand) return [{ action: 'states:GetExecutionHistory', resource: command.input.executionArn ?? '' }];
  throw new Error(`the audit sent ${(command as object).constructor.name}, which this test cannot authorize: map it to its IAM action here, and grant it in AuditorAccess`);
}

// ------------------------------------------------------------ the flowir names
const names = stateMachineNames('dev');
const machineNames = [names.incident, ...DETECTION_GROUPS.map((g) => names.detection[g])];
const machineArn = (name: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

describe('the auditor policy', () => {
  it('is the managed policy flowir-<env>-auditor, and every action it grants reads', () => {
    const actions = resolved.flatMap((s) => s.actions);
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) expect(a).toMatch(/^(s3:Get|s3:List|kms:Decrypt$|states:(List|Describe|Get))/);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(statements.map((s) => s.Effect)).toEqual(statements.map(() => 'Allow'));
    expect(actions.sort()).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectRetention', 's3:ListBucket', 'states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListExecutions']);
  });

  it('reads objects under incidents/ and executions/ of the evidence bucket only (not the archive, not the whole bucket)', () => {
    const objects = resolved.filter((s) => s.actions.some((a) => a.startsWith('s3:Get')));
    expect(objects.flatMap((s) => s.resources).sort()).toEqual([`${EVIDENCE_BUCKET_ARN}/${EXECUTIONS_PREFIX}*`, `${EVIDENCE_BUCKET_ARN}/${INCIDENTS_PREFIX}*`]);
    // resolve() fails on any other reference, the archive bucket's included: the document names only these two.
    const referenced = new Set(JSON.stringify(policy.props.PolicyDocument).match(/"Fn::GetAtt":\["[^"]+"/g));
    expect([...referenced].sort()).toEqual([`"Fn::GetAtt":["${idOf(stack, stack.evidence.bucket)}"`, `"Fn::GetAtt":["${idOf(stack, stack.evidence.key)}"`].sort());
    expect(JSON.stringify(policy.props.PolicyDocument)).not.toContain(idOf(stack, stack.flowLogs.archive));
  });

  it('lists the evidence bucket only under those two prefixes', () => {
    expect(resolved.filter((s) => s.actions.includes('s3:ListBucket'))).toEqual([
      { actions: ['s3:ListBucket'], resources: [EVIDENCE_BUCKET_ARN], conditions: { StringLike: { 's3:prefix': [`${INCIDENTS_PREFIX}*`, `${EXECUTIONS_PREFIX}*`] } } },
    ]);
    expect(allowed({ action: 's3:ListBucket', resource: EVIDENCE_BUCKET_ARN, context: { 's3:prefix': 'incidents/PORT_SCAN-x/' } })).toBe(true);
    expect(allowed({ action: 's3:ListBucket', resource: EVIDENCE_BUCKET_ARN, context: { 's3:prefix': '' } })).toBe(false);
    expect(allowed({ action: 's3:ListBucket', resource: EVIDENCE_BUCKET_ARN })).toBe(false);
  });

  it('decrypts with the evidence key only, and only through S3', () => {
    expect(resolved.filter((s) => s.actions.includes('kms:Decrypt'))).toEqual([{ actions: ['kms:Decrypt'], resources: [EVIDENCE_KEY_ARN], conditions: { StringEquals: { 'kms:ViaService': [VIA_S3['kms:ViaService']] } } }]);
    expect(allowed({ action: 'kms:Decrypt', resource: EVIDENCE_KEY_ARN })).toBe(false);
  });

  it('lists the flowir state machines, and reads their executions, and no other', () => {
    expect(resourcesOf('states:ListExecutions').sort()).toEqual(machineNames.map(machineArn).sort());
    const executions = machineNames.map((n) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${n}:*`).sort();
    expect(resourcesOf('states:DescribeExecution').sort()).toEqual(executions);
    expect(resourcesOf('states:GetExecutionHistory').sort()).toEqual(executions);
    expect(allowed({ action: 'states:GetExecutionHistory', resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:payroll:run-1` })).toBe(false);
    expect(allowed({ action: 'states:ListExecutions', resource: machineArn('payroll') })).toBe(false);
  });

  it('refuses writes, deletes and other buckets, which it never names', () => {
    expect(allowed({ action: 's3:PutObject', resource: `${EVIDENCE_BUCKET_ARN}/incidents/x/manifest.json` })).toBe(false);
    expect(allowed({ action: 's3:DeleteObject', resource: `${EVIDENCE_BUCKET_ARN}/incidents/x/manifest.json` })).toBe(false);
    expect(allowed({ action: 's3:GetObject', resource: `${EVIDENCE_BUCKET_ARN}/other/x` })).toBe(false);
    expect(allowed({ action: 's3:GetObject', resource: 'arn:aws:s3:::flowir-archive/AWSLogs/x.log.gz' })).toBe(false);
    expect(allowed({ action: 'states:StopExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${names.incident}:x` })).toBe(false);
  });

  it.each(['logs-insights', 'athena'])('is the stack output AuditorPolicyArn (%s engine)', (engine) => {
    const t = engine === 'athena' ? build({ engine }) : { template, stack };
    const id = idOf(t.stack, t.stack.auditorAccess.policy);
    expect(t.template.toJSON().Outputs.AuditorPolicyArn).toEqual({ Value: { Ref: id }, Description: expect.stringContaining('flowir audit') });
  });
});

describe('its cdk-nag acknowledgements', () => {
  const findings = (s: typeof stack) => new AwsSolutionsChecks(s.node.scope as App).validateScope(s).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));

  it('cover its own two prefixes and the flowir executions, not another wildcard added to it', () => {
    const { stack: s } = buildStack();
    expect(findings(s)).toEqual([]);
    s.auditorAccess.policy.addStatements(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [s.evidence.bucket.arnForObjects('other/*')] }),
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [`arn:aws:states:${REGION}:${ACCOUNT}:execution:payroll:*`] }),
    );
    expect(findings(s).sort()).toEqual([
      `AwsSolutions-IAM5[Resource::<${idOf(s, s.evidence.bucket)}.Arn>/other/*] Flowir-dev/AuditorAccess/Policy/Resource`,
      `AwsSolutions-IAM5[Resource::arn:aws:states:${REGION}:${ACCOUNT}:execution:payroll:*] Flowir-dev/AuditorAccess/Policy/Resource`,
    ]);
  });
});

describe('what flowir audit reads', () => {
  it('lies under the two prefixes the policy grants: evidence under incidents/, exported histories under executions/', () => {
    expect(AUDITED_PREFIXES).toEqual([INCIDENTS_PREFIX, EXECUTIONS_PREFIX]);
    const findingId = 'PORT_SCAN:203.0.113.50:1763805600';
    expect(evidencePrefix(findingId).startsWith(INCIDENTS_PREFIX)).toBe(true);
    expect(manifestKey(findingId).startsWith(INCIDENTS_PREFIX)).toBe(true);
    expect(historyKey(names.incident, 'PORT_SCAN-203-0-113-50-1763805600').startsWith(EXECUTIONS_PREFIX)).toBe(true);
    for (const key of [manifestKey(findingId), historyKey(names.incident, 'run')]) expect(allowed({ action: 's3:GetObject', resource: `${EVIDENCE_BUCKET_ARN}/${key}` })).toBe(true);
  });

  describe('every request of a real audit is allowed', () => {
    let played: PlayedScenario;
    const s3 = fakeS3Bucket(EVIDENCE_BUCKET);
    let sfn: ReturnType<typeof fakeStepFunctions>;
    const aws = ['--aws', ...machineNames.flatMap((n) => ['--state-machine', machineArn(n)]), '--evidence-bucket', EVIDENCE_BUCKET];

    beforeAll(async () => {
      expect(INCIDENT_MACHINE_ARN).toBe(machineArn(names.incident));
      played = await playScenario('contained');
      const evidenceDir = path.join(played.stateDir, 'evidence');
      for (const file of readdirSync(evidenceDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())) {
        const full = path.join(file.parentPath, file.name);
        s3.objects.set(path.relative(evidenceDir, full).split(path.sep).join('/'), { body: readFileSync(full), contentType: undefined });
      }
      s3.objects.set(historyKey(names.incident, played.executionName), { body: Buffer.from(exportedDocument(played.document, INCIDENT_MACHINE_ARN)), contentType: 'application/json' });
      s3.mock.on(HeadObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
        if (!s3.objects.has(input.Key ?? '')) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
        return { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date('2032-11-22T10:00:00Z'), VersionId: 'v1' };
      });
      sfn = fakeStepFunctions([{ doc: played.document, stateMachineArn: INCIDENT_MACHINE_ARN }]);
    });
    afterAll(() => {
      s3.mock.restore();
      sfn.mock.restore();
    });
    beforeEach(() => {
      s3.mock.resetHistory();
      sfn.mock.resetHistory();
    });

    const sent = (): Request[] => [...s3.mock.calls(), ...sfn.mock.calls()].flatMap((c) => requestsOf(c.args[0]));

    it.each([
      ['one execution, --aws', () => [played.executionName, ...aws]],
      ['the list, --aws', () => aws],
      ['one execution from the exported histories', () => [played.executionName, '--evidence-bucket', EVIDENCE_BUCKET]],
    ])('%s', async (_name, argv) => {
      const r = await audit(argv());
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const requests = sent();
      // The run read evidence, histories and executions: the check below is not vacuous.
      expect(new Set(requests.map((q) => q.action)).size).toBeGreaterThanOrEqual(3);
      expect(requests.filter((q) => !allowed(q))).toEqual([]);
    });
  });
});
