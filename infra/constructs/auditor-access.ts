import { Aws, CfnElement, Stack } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { INCIDENTS_PREFIX } from './evidence';
import { DETECTION_GROUPS, EXECUTIONS_PREFIX, stateMachineNames } from './workflows';

/** What `flowir audit --aws` reads in the evidence bucket: incident evidence and exported histories. */
export const AUDITED_PREFIXES: readonly string[] = [INCIDENTS_PREFIX, EXECUTIONS_PREFIX];

/**
 * Every IAM action the policy grants, by what the audit sends: GetObject and HeadObject (whose Object
 * Lock fields S3 returns only with GetObjectRetention), ListObjectsV2, and ListExecutions,
 * DescribeExecution and every page of GetExecutionHistory. Nothing here writes.
 */
export const AUDITOR_ACTIONS = {
  objects: ['s3:GetObject', 's3:GetObjectRetention'],
  listing: ['s3:ListBucket'],
  key: ['kms:Decrypt'],
  stateMachines: ['states:ListExecutions'],
  executions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
} as const;

export class AuditorAccessError extends Error {
  override readonly name = 'AuditorAccessError';
}

export interface AuditorAccessProps {
  readonly envName: string;
  /** The evidence bucket (Evidence.bucket). */
  readonly evidenceBucket: IBucket;
  /** The key the evidence bucket is encrypted with (Evidence.key): every GetObject decrypts with it. */
  readonly evidenceKey: IKey;
  /**
   * The state machines whose executions may be listed and read.
   * @default the incident and detection state machines of `envName` (stateMachineNames)
   */
  readonly stateMachineNames?: readonly string[];
}

/**
 * A managed policy, `flowir-<env>-auditor`, with exactly what `flowir audit --aws --evidence-bucket`
 * sends: reads of the evidence and exported histories (and of their Object Lock), decryption with the
 * evidence key through S3 only, and reads of the flowir state machines' executions. Nothing else, and
 * nothing that writes, so it can be attached to the people who must prove what happened without
 * giving them a way to change it.
 */
export class AuditorAccess extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AuditorAccessProps) {
    super(scope, id);
    const names = props.stateMachineNames ?? flowirStateMachineNames(props.envName);
    const bucket = props.evidenceBucket;
    const stateMachineArn = (name: string): string => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${name}`;
    const executionsOf = (name: string): string => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${name}:*`;

    this.policy = new ManagedPolicy(this, 'Policy', {
      managedPolicyName: `flowir-${props.envName}-auditor`,
      description: `flowir ${props.envName}: what flowir audit --aws reads (evidence, exported histories, executions); nothing that writes`,
      statements: [
        new PolicyStatement({ sid: 'ReadEvidenceAndHistories', actions: [...AUDITOR_ACTIONS.objects], resources: AUDITED_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)) }),
        new PolicyStatement({
          sid: 'ListEvidenceAndHistories',
          actions: [...AUDITOR_ACTIONS.listing],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': AUDITED_PREFIXES.map((p) => `${p}*`) } },
        }),
        // Only as S3 uses it to read the objects: the key decrypts nothing handed to KMS directly.
        new PolicyStatement({
          sid: 'DecryptEvidence',
          actions: [...AUDITOR_ACTIONS.key],
          resources: [props.evidenceKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
        }),
        new PolicyStatement({ sid: 'ListExecutions', actions: [...AUDITOR_ACTIONS.stateMachines], resources: names.map(stateMachineArn) }),
        new PolicyStatement({ sid: 'ReadExecutions', actions: [...AUDITOR_ACTIONS.executions], resources: names.map(executionsOf) }),
      ],
    });

    const bucketRef = bucketReference(bucket);
    for (const prefix of AUDITED_PREFIXES) {
      acknowledge(
        this.policy,
        `AwsSolutions-IAM5[Resource::${bucketRef}/${prefix}*]`,
        `Object keys under ${prefix} are named after executions not known at deploy time; the grant is GetObject and GetObjectRetention (reads) under ${prefix} of the evidence bucket only.`,
      );
    }
    for (const name of names) {
      acknowledge(
        this.policy,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
        `Execution names derive from finding ids and schedule times, unknown at deploy time; the grant is DescribeExecution and GetExecutionHistory (reads) on executions of ${name} only.`,
      );
    }
  }
}

/** The incident state machine and one detection state machine per group. */
function flowirStateMachineNames(envName: string): string[] {
  const names = stateMachineNames(envName);
  return [names.incident, ...DETECTION_GROUPS.map((g) => names.detection[g])];
}

/** The bucket ARN as cdk-nag prints it: `<LogicalId.Arn>` for a bucket of this app. */
function bucketReference(bucket: IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (!CfnElement.isCfnElement(cfn)) throw new AuditorAccessError(`${bucket.node.path}: the evidence bucket must be a bucket of this app (an imported bucket has no logical id to acknowledge its prefixes by)`);
  return `<${Stack.of(cfn).getLogicalId(cfn)}.Arn>`;
}
