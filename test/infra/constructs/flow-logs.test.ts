import { Match } from 'aws-cdk-lib/assertions';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { metricFilterPattern } from '../../../infra/constructs/flow-logs';
import { build, idOf, only } from '../synth';

const built = build({ envName: 'prod', vpcId: 'vpc-0123456789abcdef0' });
const { template, stack } = built;
const archiveId = idOf(stack, stack.flowLogs.archive);
const logGroupId = idOf(stack, stack.flowLogs.logGroup);

describe('the VPC flow log', () => {
  it('goes to the CloudWatch Logs group /aws/vpc/flowlogs/<env>, kept 30 days', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vpc/flowlogs/prod', RetentionInDays: 30 });
  });

  it('logs ALL traffic of the configured VPC in the v5 format, to the log group and to the archive', () => {
    const logFormat = FlowLogFormat.V5.logFormat();
    const toLogs = only(template, 'AWS::EC2::FlowLog', (p) => p.LogDestinationType === 'cloud-watch-logs').props;
    const toS3 = only(template, 'AWS::EC2::FlowLog', (p) => p.LogDestinationType === 's3').props;
    for (const p of [toLogs, toS3]) {
      expect(p).toMatchObject({ ResourceId: 'vpc-0123456789abcdef0', ResourceType: 'VPC', TrafficType: 'ALL', LogFormat: logFormat, MaxAggregationInterval: 600 });
    }
    expect(toLogs.LogDestination).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(toS3.LogDestination).toEqual({ 'Fn::GetAtt': [archiveId, 'Arn'] });
    // The layout `flowir scan` and the Athena table read: AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/, plain text.
    expect(toS3.DestinationOptions).toEqual({ FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false });
    expect(toS3.DeliverLogsPermissionArn).toBeUndefined();
  });

  it('records the format of the context key', () => {
    const v3 = build({ flowLogFormat: 'v3' }).template;
    const formats = Object.values(v3.findResources('AWS::EC2::FlowLog')).map((r) => (r as { Properties: { LogFormat: string } }).Properties.LogFormat);
    expect(formats).toEqual([FlowLogFormat.forVersion(3).logFormat(), FlowLogFormat.forVersion(3).logFormat()]);
  });

  it('is created after the archive bucket policy, so EC2 does not write its own', () => {
    const toS3 = Object.values(template.findResources('AWS::EC2::FlowLog', { Properties: { LogDestinationType: 's3' } }))[0] as { DependsOn?: string[] };
    const policyId = only(template, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: archiveId })).id;
    expect(toS3.DependsOn).toContain(policyId);
  });
});

describe('the flow-log delivery role', () => {
  const role = only(template, 'AWS::IAM::Role', (p) => JSON.stringify(p.AssumeRolePolicyDocument).includes('vpc-flow-logs.amazonaws.com')).props;

  it('can be assumed only by VPC Flow Logs of this account', () => {
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':vpc-flow-log/*']] } },
          },
        },
      ],
    });
  });

  it('may only create streams in and write to its own log group', () => {
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toEqual([
      {
        PolicyName: 'deliver',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
          ],
        },
      },
    ]);
    // No other policy is attached to the role anywhere in the template.
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, { Properties: { Roles: unknown } }>);
    expect(policies.filter((p) => JSON.stringify(p.Properties.Roles).includes('FlowLogsDeliveryRole'))).toEqual([]);
  });
});

describe('the S3 archive', () => {
  const archive = template.toJSON().Resources[archiveId].Properties;

  it('moves to Glacier at 90 days, Deep Archive at 365, expires at 2555, and drops old versions', () => {
    const rule = (archive.LifecycleConfiguration.Rules as Array<Record<string, unknown>>).find((r) => r.Id === 'archive-then-expire');
    expect(rule).toEqual({
      Id: 'archive-then-expire',
      Status: 'Enabled',
      Transitions: [
        { StorageClass: 'GLACIER', TransitionInDays: 90 },
        { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
      ],
      ExpirationInDays: 2555,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    });
  });

  it('is encrypted, versioned, private, ACL-free and access-logged', () => {
    expect(archive.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(archive.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(archive.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(archive.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(archive.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: idOf(stack, stack.node.findChild('AccessLogs')) }, LogFilePrefix: 'flow-log-archive/' });
  });

  const policy = only(template, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: archiveId })).props;
  const statements = (policy.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;

  it('refuses any request without TLS 1.2 or later', () => {
    const bucketAndObjects = [{ 'Fn::GetAtt': [archiveId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [archiveId, 'Arn'] }, '/*']] }];
    expect(statements).toContainEqual({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: bucketAndObjects });
    expect(statements).toContainEqual({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } }, Resource: bucketAndObjects });
  });

  it('lets log delivery write only under AWSLogs/<this account>/, for this account, with bucket-owner-full-control', () => {
    const writes = statements.filter((s) => s.Effect === 'Allow');
    expect(writes).toEqual([
      {
        Sid: 'AWSLogDeliveryWrite',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [archiveId, 'Arn'] }, '/AWSLogs/', { Ref: 'AWS::AccountId' }, '/*']] },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 's3:x-amz-acl': 'bucket-owner-full-control' },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] } },
        },
      },
      {
        Sid: 'AWSLogDeliveryAclCheck',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: { 'Fn::GetAtt': [archiveId, 'Arn'] },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] } },
        },
      },
    ]);
  });

  it('outlives the stack, while the log group (a 30-day copy) goes with it', () => {
    const resources = template.toJSON().Resources;
    expect(resources[archiveId].DeletionPolicy).toBe('Retain');
    expect(resources[logGroupId].DeletionPolicy).toBe('Delete');
  });
});

describe('traffic metrics from the log group', () => {
  it('names each v5 field by position and keeps only log-status OK records', () => {
    const pattern = metricFilterPattern(FlowLogFormat.V5);
    expect(pattern.startsWith('[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status="OK", vpc_id,')).toBe(true);
    expect(pattern.endsWith('flow_direction, traffic_path]')).toBe(true);
  });

  it('publishes Bytes and Packets sums to Flowir by VPC and action', () => {
    const pattern = metricFilterPattern(FlowLogFormat.V5);
    for (const [name, value, unit] of [
      ['Bytes', '$bytes', 'Bytes'],
      ['Packets', '$packets', 'Count'],
    ]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: logGroupId },
        FilterPattern: pattern,
        MetricTransformations: [
          {
            MetricNamespace: 'Flowir',
            MetricName: name,
            MetricValue: value,
            Unit: unit,
            Dimensions: Match.arrayWith([
              { Key: 'VpcId', Value: '$vpc_id' },
              { Key: 'Action', Value: '$action' },
            ]),
          },
        ],
      });
    }
  });

  it('falls back to the Action dimension alone when the format has no vpc-id', () => {
    const v2 = build({ flowLogFormat: 'v2' }).template;
    v2.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status="OK"]',
      MetricTransformations: [Match.objectLike({ MetricName: 'Bytes', Dimensions: [{ Key: 'Action', Value: '$action' }] })],
    });
  });
});
