/**
 * What `flowir audit` relies on years later: the evidence bucket keeps every object, the evidence
 * of incidents and the exported execution histories alike (`executions/`), under Object Lock with a
 * default retention of 7 years, versioned, and outliving the stack with the key that decrypts it.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { build, idOf } from './synth';

const SEVEN_YEARS_IN_DAYS = 7 * 365;

const { template, stack } = build();
const bucketId = idOf(stack, stack.evidence.bucket);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
const bucket = resources[bucketId];

describe('evidence retention (what the audit needs years later)', () => {
  it('the evidence bucket has Object Lock enabled, with a default retention of 7 years on every new object', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Days: SEVEN_YEARS_IN_DAYS, Mode: Match.anyValue() } } },
    });
    const rule = (bucket?.Properties?.ObjectLockConfiguration as { Rule: { DefaultRetention: Record<string, unknown> } }).Rule.DefaultRetention;
    // A default retention in days, not years, and no prefix filter: it covers incidents/ and executions/ alike.
    expect(rule).toEqual({ Mode: 'GOVERNANCE', Days: SEVEN_YEARS_IN_DAYS });
  });

  it('is versioned, so an overwrite keeps the locked version the manifest hashed', () => {
    expect(bucket?.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('no lifecycle rule expires or deletes anything before the retention ends', () => {
    const rules = ((bucket?.Properties?.LifecycleConfiguration as { Rules?: Array<Record<string, unknown>> } | undefined)?.Rules ?? []).filter((r) => r.Status !== 'Disabled');
    for (const r of rules) {
      if (typeof r.ExpirationInDays === 'number') expect(r.ExpirationInDays).toBeGreaterThanOrEqual(SEVEN_YEARS_IN_DAYS);
      const nv = r.NoncurrentVersionExpiration as { NoncurrentDays?: number } | undefined;
      if (nv?.NoncurrentDays !== undefined) expect(nv.NoncurrentDays).toBeGreaterThanOrEqual(SEVEN_YEARS_IN_DAYS);
    }
  });

  it('outlives the stack: bucket and key are retained on delete and on replacement', () => {
    expect([bucket?.DeletionPolicy, bucket?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const key = resources[idOf(stack, stack.evidence.key)];
    expect([key?.DeletionPolicy, key?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  it('every finished execution of the three state machines has its history exported into that bucket, under executions/', () => {
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties?.EventPattern ?? null).includes('Step Functions Execution Status Change'));
    const exportRule = rules.find((r) => (r.Properties?.Description as string | undefined)?.toLowerCase().includes('history'));
    expect(exportRule).toBeDefined();
    const pattern = exportRule?.Properties?.EventPattern as { source: string[]; detail: { status: string[]; stateMachineArn: Array<{ Ref: string }> } };
    expect(pattern.source).toEqual(['aws.states']);
    expect([...pattern.detail.status].sort()).toEqual(['ABORTED', 'FAILED', 'SUCCEEDED', 'TIMED_OUT']);
    const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    expect(pattern.detail.stateMachineArn.map((a) => a.Ref).sort()).toEqual(machines.sort());

    // The target function's role may write histories into the evidence bucket, under executions/ only.
    const target = (exportRule?.Properties?.Targets as Array<{ Arn: { 'Fn::GetAtt': [string, string] } }>)[0]?.Arn['Fn::GetAtt'][0] ?? '';
    const roleId = (resources[target]?.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement);
    const puts = statements.filter((st) => [st.Action].flat().includes('s3:PutObject'));
    expect(puts.map((st) => st.Resource)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/executions/*']] }]);
  });

  it('COMPLIANCE mode and a longer retention can be asked for at deploy time', () => {
    const t = build({ evidenceLockMode: 'COMPLIANCE', evidenceRetentionDays: String(10 * 365) });
    const b = (t.template.toJSON().Resources as typeof resources)[idOf(t.stack, t.stack.evidence.bucket)];
    expect((b?.Properties?.ObjectLockConfiguration as { Rule: unknown }).Rule).toEqual({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } });
  });
});
