import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { athenaColumns } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { EngineMismatchError } from '../../../infra/stack';
import { build, buildStack, idOf, only } from '../synth';

const { template, stack } = build({ engine: 'athena', envName: 'prod-eu', athenaScanLimitGb: '5' });
const athena = stack.athena;
if (!athena) throw new Error('the athena engine was not built');
const archiveId = idOf(stack, stack.flowLogs.archive);
const resultsId = idOf(stack, athena.results);
const archiveName = { Ref: archiveId };

describe('the athena engine', () => {
  it('is absent with the default logs-insights engine', () => {
    const t = build().template;
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) expect(t.findResources(type)).toEqual({});
  });

  it('has a Glue database named after the environment', () => {
    template.hasResourceProperties('AWS::Glue::Database', { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: { Name: 'flowir_prod_eu' } });
  });

  const table = only(template, 'AWS::Glue::Table').props as { DatabaseName: string; TableInput: Record<string, unknown> & { Parameters: Record<string, unknown>; StorageDescriptor: Record<string, unknown> } };

  it("has the flow-log table over the archive, with the format's columns and the documented partition keys", () => {
    expect(table.DatabaseName).toBe('flowir_prod_eu');
    expect(table.TableInput.Name).toBe('vpc_flow_logs');
    expect(table.TableInput.TableType).toBe('EXTERNAL_TABLE');
    expect(table.TableInput.PartitionKeys).toEqual([
      { Name: 'accid', Type: 'string' },
      { Name: 'region', Type: 'string' },
      { Name: 'day', Type: 'string' },
    ]);
    expect(table.TableInput.StorageDescriptor.Columns).toEqual(athenaColumns(FlowLogFormat.V5).map((c) => ({ Name: c.name, Type: c.type })));
    expect(table.TableInput.StorageDescriptor).toMatchObject({
      Location: { 'Fn::Join': ['', ['s3://', archiveName, '/AWSLogs/']] },
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', Parameters: { 'field.delim': ' ', 'serialization.format': ' ' } },
    });
  });

  it("projects partitions over this account, this region and the archive's 2555 days, in the delivery layout", () => {
    expect(table.TableInput.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'csv',
      'skip.header.line.count': '1',
      'projection.enabled': 'true',
      'projection.accid.type': 'enum',
      'projection.accid.values': { Ref: 'AWS::AccountId' },
      'projection.region.type': 'enum',
      'projection.region.values': { Ref: 'AWS::Region' },
      'projection.day.type': 'date',
      'projection.day.range': 'NOW-2555DAYS,NOW',
      'projection.day.format': 'yyyy/MM/dd',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', archiveName, '/AWSLogs/${accid}/vpcflowlogs/${region}/${day}']] },
    });
  });

  it('has a workgroup that enforces encrypted results in its own bucket and a bytes-scanned limit', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'flowir-prod-eu',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 5_000_000_000,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: resultsId }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      },
    });
    expect(resultsId).not.toBe(archiveId);
  });

  it('keeps query results a week, encrypted, private and TLS-only', () => {
    const results = template.toJSON().Resources[resultsId].Properties;
    expect(results.LifecycleConfiguration.Rules).toContainEqual({ Id: 'expire-results', Status: 'Enabled', ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 1 } });
    expect(results.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(results.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    const policy = only(template, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: resultsId })).props;
    expect(JSON.stringify(policy.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('outputs the workgroup and the table', () => {
    template.hasOutput('AthenaWorkGroup', { Value: 'flowir-prod-eu' });
    template.hasOutput('AthenaTable', { Value: 'flowir_prod_eu.vpc_flow_logs' });
  });
});

describe('grantAthenaQuery', () => {
  it('scopes Athena to the workgroup, Glue to the table, S3 to the archive prefix (read) and the results prefix', () => {
    const { stack: s } = buildStack({ engine: 'athena' });
    const role = new Role(s, 'Detector', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
    s.grantAthenaQuery(role);
    const t = Template.fromStack(s);
    const archive = idOf(s, s.flowLogs.archive);
    if (!s.athena) throw new Error('the athena engine was not built');
    const results = idOf(s, s.athena.results);
    const arn = (service: string, suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, suffix]] });
    const policy = only(t, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles).includes('Detector')).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      // No GetQueryResults: ToFindings reads the results (grantResultsRead), not the state machine.
      { Effect: 'Allow', Action: ['athena:GetQueryExecution', 'athena:StartQueryExecution', 'athena:StopQueryExecution'], Resource: arn('athena', ':workgroup/flowir-dev') },
      {
        Effect: 'Allow',
        Action: ['glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable'],
        Resource: [arn('glue', ':catalog'), arn('glue', ':database/flowir_dev'), arn('glue', ':table/flowir_dev/vpc_flow_logs')],
      },
      { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: [{ 'Fn::GetAtt': [results, 'Arn'] }, { 'Fn::GetAtt': [archive, 'Arn'] }] },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [archive, 'Arn'] }, '/AWSLogs/*']] } },
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [results, 'Arn'] }, '/results/*']] },
      },
    ]);
  });

  it('is refused on a logs-insights stack', () => {
    const { stack: s } = buildStack();
    const role = new Role(s, 'Detector', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
    expect(() => s.grantAthenaQuery(role)).toThrow(EngineMismatchError);
  });
});
