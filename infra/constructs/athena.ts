import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ATHENA_PARTITION_KEYS, athenaColumns, athenaTableParameters } from '../../core/detection/compile';
import type { FlowLogFormat } from '../../core/flowlog/format';
import { acknowledgePrefixGrant } from '../nag';
import { secureBucket } from './buckets';
import { ARCHIVE_PREFIX } from './flow-logs';

/** Query results are working files: the findings they produce are kept as evidence. */
export const ATHENA_RESULTS_EXPIRE_DAYS = 7;
export const FLOW_LOG_TABLE = 'vpc_flow_logs';
/** Where the workgroup writes query results in the results bucket. */
export const RESULTS_PREFIX = 'results/';

export interface AthenaEngineProps {
  readonly envName: string;
  readonly archive: IBucket;
  readonly format: FlowLogFormat;
  readonly accessLogs: IBucket;
  readonly bytesScannedCutoff: number;
  /** Days of archive the day partitions reach back (the archive's expiry). */
  readonly projectionDays: number;
}

/**
 * The `athena` detection engine's resources: a Glue database and the flow-log table over the S3
 * archive (partition projection by account, region and day, so no crawler and no MSCK REPAIR), and
 * a workgroup that enforces encrypted results in its own bucket and a per-query scan limit.
 */
export class AthenaEngine extends Construct {
  readonly databaseName: string;
  readonly tableName = FLOW_LOG_TABLE;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly results: Bucket;
  readonly workGroup: CfnWorkGroup;
  private readonly archive: IBucket;

  constructor(scope: Construct, id: string, props: AthenaEngineProps) {
    super(scope, id);
    this.archive = props.archive;
    this.databaseName = `flowir_${props.envName.replace(/-/g, '_')}`;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: `flowir ${props.envName}: VPC flow logs in the S3 archive` },
    });

    const root = `s3://${props.archive.bucketName}/`;
    // The documented projection properties, with the deployment's own account, region and bucket,
    // which are only known at deploy time (the core function checks literal values, so it gets stand-ins here).
    const documented = athenaTableParameters({
      table: FLOW_LOG_TABLE,
      location: 's3://stand-in-bucket/',
      format: props.format,
      accounts: ['000000000000'],
      regions: ['us-east-1'],
      startDay: '2000/01/01',
    });
    const parameters: Record<string, string> = {
      ...documented,
      'projection.accid.values': Aws.ACCOUNT_ID,
      'projection.region.values': Aws.REGION,
      'projection.day.range': `NOW-${props.projectionDays}DAYS,NOW`,
      'storage.location.template': `${root}AWSLogs/\${accid}/vpcflowlogs/\${region}/\${day}`,
      EXTERNAL: 'TRUE',
      classification: 'csv',
    };
    this.table = new CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: FLOW_LOG_TABLE,
        description: 'VPC flow log records in the S3 archive (space-delimited text with a header line)',
        tableType: 'EXTERNAL_TABLE',
        parameters,
        partitionKeys: ATHENA_PARTITION_KEYS.map((k) => ({ name: k.name, type: k.type })),
        storageDescriptor: {
          columns: athenaColumns(props.format).map((c) => ({ name: c.name, type: c.type })),
          location: `${root}AWSLogs/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
            parameters: { 'field.delim': ' ', 'serialization.format': ' ' },
          },
        },
      },
    });
    this.table.addResourceDependency(this.database);

    this.results = secureBucket(this, 'Results', {
      accessLogs: props.accessLogs,
      accessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(ATHENA_RESULTS_EXPIRE_DAYS), noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `flowir-${props.envName}`,
      description: 'flowir detection queries over the VPC flow-log archive',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup with its saved query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });
  }

  /** `database.table` as the compiled Athena queries name it. */
  get qualifiedTableName(): string {
    return `${this.databaseName}.${this.tableName}`;
  }

  get workGroupArn(): string {
    return `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${this.workGroup.name}`;
  }

  /**
   * Run queries in the workgroup: Athena, the Glue table's metadata, the archive (read) and the results
   * bucket. Not GetQueryResults: the `.sync` StartQueryExecution integration's documented policy has
   * start, stop, get-execution and get-data-catalog only
   * (https://docs.aws.amazon.com/step-functions/latest/dg/athena-iam.html); ToFindings reads the results (grantResultsRead).
   */
  grantQuery(grantee: IGrantable): Grant {
    const athena = Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      resourceArns: [this.workGroupArn],
    });
    const glue = (suffix: string): string => `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:${suffix}`;
    Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
      resourceArns: [glue('catalog'), glue(`database/${this.databaseName}`), glue(`table/${this.databaseName}/${this.tableName}`)],
    });
    Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation', 's3:ListBucket'], resourceArns: [this.archive.bucketArn, this.results.bucketArn] });
    Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.archive.arnForObjects(ARCHIVE_PREFIX + '*')] });
    acknowledgePrefixGrant(grantee, this.archive, ARCHIVE_PREFIX, 'Athena reads the flow-log objects the partition projection names, not known at deploy time; read-only, limited to the AWSLogs/ delivery prefix.');
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resourceArns: [this.results.arnForObjects(`${RESULTS_PREFIX}*`)],
    });
    acknowledgePrefixGrant(grantee, this.results, RESULTS_PREFIX, 'Athena names each result object after its query execution id; the grant is limited to the workgroup result prefix of the results bucket.');
    return athena;
  }

  /**
   * Read finished queries' results with GetQueryResults. Athena streams them from the result location
   * with the caller's permissions: "the IAM principal with permission to call GetQueryResults also must
   * have permissions to the Amazon S3 GetObject action for the Athena query results location"
   * (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html); the bucket's
   * location and listing go with it, as for any Athena result reader
   * (https://docs.aws.amazon.com/athena/latest/ug/access.html). Read-only, the result prefix only.
   */
  grantResultsRead(grantee: IGrantable): Grant {
    const athena = Grant.addToPrincipal({ grantee, actions: ['athena:GetQueryResults'], resourceArns: [this.workGroupArn] });
    Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation', 's3:ListBucket'], resourceArns: [this.results.bucketArn] });
    Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.results.arnForObjects(`${RESULTS_PREFIX}*`)] });
    acknowledgePrefixGrant(grantee, this.results, RESULTS_PREFIX, 'Athena names each result object after its query execution id; the grant is reading the workgroup result prefix of the results bucket only.');
    return athena;
  }
}
