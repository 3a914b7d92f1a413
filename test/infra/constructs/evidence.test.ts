import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { build, buildStack, idOf, only } from '../synth';

const { template, stack } = build();
const bucketId = idOf(stack, stack.evidence.bucket);
const keyId = idOf(stack, stack.evidence.key);
const archiveId = idOf(stack, stack.flowLogs.archive);
const bucket = template.toJSON().Resources[bucketId];

describe('the evidence bucket', () => {
  it('has Object Lock with a governance default retention of 2555 days, on a versioned bucket', () => {
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2555 } } });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('takes the lock mode and retention from context', () => {
    const t = build({ evidenceLockMode: 'COMPLIANCE', evidenceRetentionDays: '400' });
    const b = t.template.toJSON().Resources[idOf(t.stack, t.stack.evidence.bucket)];
    expect(b.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 400 });
  });

  it('is encrypted with its own rotating KMS key, which outlives the stack with the bucket', () => {
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } }, BucketKeyEnabled: true }],
    });
    const key = template.toJSON().Resources[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('is private, access-logged, and apart from the flow-log archive', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('evidence/');
    expect(bucketId).not.toBe(archiveId);
    expect(JSON.stringify(bucket.Properties.LoggingConfiguration)).not.toContain(archiveId);
  });

  it('refuses requests without TLS, and grants nobody anything in its policy', () => {
    const policy = only(template, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: bucketId })).props;
    const statements = (policy.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements.map((s) => [s.Effect, s.Condition])).toEqual([
      ['Deny', { Bool: { 'aws:SecureTransport': 'false' } }],
      ['Deny', { NumericLessThan: { 's3:TlsVersion': 1.2 } }],
    ]);
  });
});

describe('evidence grants', () => {
  const { stack: s } = buildStack();
  const role = new Role(s, 'Incident', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
  s.grantEvidenceWrite(role);
  const reader = new Role(s, 'Auditor', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  s.grantEvidenceRead(reader);
  const t = Template.fromStack(s);
  const b = idOf(s, s.evidence.bucket);
  const k = idOf(s, s.evidence.key);
  const statementsOf = (roleId: string) =>
    (only(t, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: roleId }])).props.PolicyDocument as { Statement: unknown[] }).Statement;

  it('write: PutObject under incidents/ only, and a data key from the evidence key; no read, list or delete', () => {
    expect(statementsOf(idOf(s, role))).toEqual([
      { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [b, 'Arn'] }, '/incidents/*']] } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [k, 'Arn'] } },
    ]);
  });

  it('read: objects and versions under incidents/, listing limited to that prefix, decrypt only', () => {
    expect(statementsOf(idOf(s, reader))).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [b, 'Arn'] }, '/incidents/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [b, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['incidents/*'] } } },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [k, 'Arn'] } },
    ]);
  });
});
