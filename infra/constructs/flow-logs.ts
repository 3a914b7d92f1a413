import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Metric, Unit } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnFlowLog } from 'aws-cdk-lib/aws-ec2';
import { Effect, Grant, Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StorageClass, type Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FLOW_LOG_AGGREGATION_SECONDS } from '../../core/detection/config';
import type { FlowLogFormat } from '../../core/flowlog/format';
import { DIMENSION, METRIC_NAMESPACE, TRAFFIC_METRIC } from '../metrics';
import { acknowledge, acknowledgePrefixGrant } from '../nag';
import { secureBucket } from './buckets';

/** Retention and lifecycle of the flow logs, as the runbook sets them. */
export const FLOW_LOG_RETENTION = {
  logGroupDays: 30,
  glacierAfterDays: 90,
  deepArchiveAfterDays: 365,
  expireAfterDays: 2555,
  /** A deleted or expired object's previous version stays this long, so a mistaken delete can be undone. */
  noncurrentVersionDays: 30,
} as const;

/**
 * The longest aggregation interval: fewer records (lower cost) for the 10- and 15-minute detection
 * schedules. The default delivery lag counts it (core/detection/config), hence one constant.
 */
export const MAX_AGGREGATION_SECONDS = FLOW_LOG_AGGREGATION_SECONDS;

/** Where log delivery writes in the archive: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`. */
export const ARCHIVE_PREFIX = 'AWSLogs/';

/** CloudWatch Logs rejects metric filter patterns longer than this. */
const MAX_FILTER_PATTERN_LENGTH = 1024;

export class FlowLogPatternError extends Error {
  override readonly name = 'FlowLogPatternError';
}

/**
 * The space-delimited metric filter pattern that names each field of `format` by position and
 * matches only records with `log-status` OK (NODATA/SKIPDATA records carry `-` for bytes and packets).
 */
export function metricFilterPattern(format: FlowLogFormat): string {
  const names = format.fields.map((f) => (f === 'log-status' ? `${patternName(f)}="OK"` : patternName(f)));
  const pattern = `[${names.join(', ')}]`;
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
    throw new FlowLogPatternError(`the flow-log format has too many fields for a metric filter pattern (${pattern.length} > ${MAX_FILTER_PATTERN_LENGTH} characters)`);
  }
  return pattern;
}

/** Field names in filter patterns are identifiers: `log-status` is written `log_status`. */
export function patternName(field: string): string {
  return field.replace(/-/g, '_');
}

export interface FlowLogsProps {
  readonly envName: string;
  readonly vpcId: string;
  readonly format: FlowLogFormat;
  readonly accessLogs: IBucket;
}

/**
 * The VPC flow log, ALL traffic, in the configured format, twice: to CloudWatch Logs for the
 * scheduled detections and to the S3 archive for the long term (and Athena). Also the metric
 * filters that turn records into the dashboard's traffic metrics.
 */
export class FlowLogs extends Construct {
  readonly format: FlowLogFormat;
  readonly logGroup: LogGroup;
  /** The S3 archive: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/*.log.gz`, a header line per object. */
  readonly archive: Bucket;
  readonly deliveryRole: Role;
  readonly toLogs: CfnFlowLog;
  readonly toArchive: CfnFlowLog;
  private readonly trafficDimensions: Readonly<Record<string, string>>;
  private readonly vpcId: string;

  constructor(scope: Construct, id: string, props: FlowLogsProps) {
    super(scope, id);
    this.format = props.format;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vpc/flowlogs/${props.envName}`,
      retention: RetentionDays.ONE_MONTH,
      // The archive holds the same records for seven years; the log group is only the hot copy.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.archive = secureBucket(this, 'Archive', {
      accessLogs: props.accessLogs,
      accessLogsPrefix: 'flow-log-archive/',
      lifecycleRules: [
        {
          id: 'archive-then-expire',
          transitions: [
            { storageClass: StorageClass.GLACIER, transitionAfter: Duration.days(FLOW_LOG_RETENTION.glacierAfterDays) },
            { storageClass: StorageClass.DEEP_ARCHIVE, transitionAfter: Duration.days(FLOW_LOG_RETENTION.deepArchiveAfterDays) },
          ],
          expiration: Duration.days(FLOW_LOG_RETENTION.expireAfterDays),
          // Without this, versioning would keep every expired object forever as a noncurrent version.
          noncurrentVersionExpiration: Duration.days(FLOW_LOG_RETENTION.noncurrentVersionDays),
        },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.allowLogDelivery(this.archive);

    this.deliveryRole = new Role(this, 'DeliveryRole', {
      description: `Lets VPC Flow Logs write the ${props.envName} flow log to its CloudWatch Logs group, and nothing else`,
      // Only flow logs of this account and region may use the role (confused-deputy protection).
      assumedBy: new ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:vpc-flow-log/*` },
        },
      }),
      inlinePolicies: {
        deliver: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              // The group's ARN (`...:log-group:<name>:*`) covers its streams and no other group.
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });

    const common = {
      resourceId: props.vpcId,
      resourceType: 'VPC',
      trafficType: 'ALL',
      logFormat: props.format.logFormat(),
      maxAggregationInterval: MAX_AGGREGATION_SECONDS,
    };
    this.toLogs = new CfnFlowLog(this, 'ToLogs', {
      ...common,
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.logGroup.logGroupArn,
      deliverLogsPermissionArn: this.deliveryRole.roleArn,
      tags: [{ key: 'Name', value: `flowir-${props.envName}-logs` }],
    });
    this.toArchive = new CfnFlowLog(this, 'ToArchive', {
      ...common,
      logDestinationType: 's3',
      logDestination: this.archive.bucketArn,
      // The layout flowir scan and the Athena table read: plain text, daily folders, no Hive keys.
      destinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false },
      tags: [{ key: 'Name', value: `flowir-${props.envName}-archive` }],
    });
    // Without our policy in place first, CreateFlowLogs would write a broader one of its own.
    if (this.archive.policy) this.toArchive.node.addDependency(this.archive.policy);

    this.trafficDimensions = props.format.has('vpc-id')
      ? { [DIMENSION.vpcId]: `$${patternName('vpc-id')}`, [DIMENSION.action]: `$${patternName('action')}` }
      : { [DIMENSION.action]: `$${patternName('action')}` };
    this.vpcId = props.vpcId;
    const filterPattern = FilterPattern.literal(metricFilterPattern(props.format));
    for (const [metricName, field, unit] of [
      [TRAFFIC_METRIC.bytes, 'bytes', Unit.BYTES],
      [TRAFFIC_METRIC.packets, 'packets', Unit.COUNT],
    ] as const) {
      new MetricFilter(this, `${metricName}Filter`, {
        logGroup: this.logGroup,
        filterPattern,
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        metricValue: `$${patternName(field)}`,
        dimensions: { ...this.trafficDimensions },
        unit,
      });
    }
  }

  /** A traffic metric from the metric filters, for one action (`ACCEPT` or `REJECT`). */
  trafficMetric(name: (typeof TRAFFIC_METRIC)[keyof typeof TRAFFIC_METRIC], action: 'ACCEPT' | 'REJECT'): Metric {
    const dimensionsMap: Record<string, string> = { [DIMENSION.action]: action };
    if (DIMENSION.vpcId in this.trafficDimensions) dimensionsMap[DIMENSION.vpcId] = this.vpcId;
    return new Metric({ namespace: METRIC_NAMESPACE, metricName: name, dimensionsMap, statistic: 'Sum', period: Duration.minutes(5), label: action });
  }

  /** Read the archived flow logs (evidence snapshots, the security-group review), and list them by prefix. */
  grantArchiveRead(grantee: IGrantable): Grant {
    const objects = Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.archive.arnForObjects(`${ARCHIVE_PREFIX}*`)] });
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.archive.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_PREFIX}*`] } },
    });
    acknowledgePrefixGrant(grantee, this.archive, ARCHIVE_PREFIX, 'Flow-log objects are named by delivery time and are not known at deploy time; the grant is read-only and limited to the AWSLogs/ delivery prefix.');
    return objects;
  }

  /**
   * Run Logs Insights queries on the flow-log group. The Service Authorization Reference for
   * CloudWatch Logs gives `StartQuery` and `GetQueryResults` the resource type `log-group`
   * (required), so both name this group, and `StopQuery` none, so it alone is on `*`, in a policy
   * whose acknowledgement covers nothing else.
   * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html,
   * as generated into iann0036/iam-dataset aws/iam_definition.json: GetQueryResults "log-group*",
   * StartQuery "log-group*", StopQuery "".)
   */
  grantQuery(role: IRole): Policy {
    const policy = new Policy(this, `Query${role.node.addr}`, {
      roles: [role],
      statements: [
        new PolicyStatement({ actions: ['logs:StartQuery', 'logs:GetQueryResults'], resources: [this.logGroup.logGroupArn] }),
        new PolicyStatement({ actions: ['logs:StopQuery'], resources: ['*'] }),
      ],
    });
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', 'logs:StopQuery supports no resource types (Service Authorization Reference, CloudWatch Logs); a query id is only known to whoever started the query, which StartQuery scopes to the flow-log group.');
    return policy;
  }

  /** Read a detection query's result by its id (ToFindings): GetQueryResults on the flow-log group, nothing else. */
  grantQueryResults(role: IRole): Policy {
    return new Policy(this, `QueryResults${role.node.addr}`, {
      roles: [role],
      statements: [new PolicyStatement({ actions: ['logs:GetQueryResults'], resources: [this.logGroup.logGroupArn] })],
    });
  }

  /** Bucket policy for the log delivery service, as AWS documents it, scoped to this account's flow logs. */
  private allowLogDelivery(bucket: Bucket): void {
    const fromThisAccount = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
    };
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AWSLogDeliveryWrite',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${ARCHIVE_PREFIX}${Aws.ACCOUNT_ID}/*`)],
        conditions: { ...fromThisAccount, StringEquals: { ...fromThisAccount.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    );
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AWSLogDeliveryAclCheck',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: fromThisAccount,
      }),
    );
  }
}
