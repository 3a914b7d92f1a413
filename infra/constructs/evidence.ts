import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ObjectLockRetention, type Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EvidenceLockMode } from '../config';
import { acknowledgePrefixGrant } from '../nag';
import { secureBucket } from './buckets';

/** Where the incident workflow writes a finding's evidence: `incidents/<finding-id>/...`. */
export const INCIDENTS_PREFIX = 'incidents/';

export interface EvidenceProps {
  readonly envName: string;
  readonly accessLogs: IBucket;
  readonly retentionDays: number;
  readonly lockMode: EvidenceLockMode;
}

/**
 * The evidence store, apart from the flow-log archive: versioned, Object Lock with a default
 * retention (an object cannot be overwritten or deleted while it runs), encrypted with its own
 * rotating KMS key so that every read is a logged key use, TLS only, no public access, access-logged.
 */
export class Evidence extends Construct {
  readonly bucket: Bucket;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: EvidenceProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: `flowir ${props.envName}: encrypts incident evidence`,
      enableKeyRotation: true,
      // Evidence outlives the stack (the bucket is retained), and so must the key that decrypts it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const retention = Duration.days(props.retentionDays);
    this.bucket = secureBucket(this, 'Bucket', {
      accessLogs: props.accessLogs,
      accessLogsPrefix: 'evidence/',
      encryptionKey: this.key,
      objectLockDefaultRetention: props.lockMode === 'COMPLIANCE' ? ObjectLockRetention.compliance(retention) : ObjectLockRetention.governance(retention),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Write (never read, list or delete) evidence objects under `prefix` (default `incidents/`). */
  grantWrite(grantee: IGrantable, prefix = INCIDENTS_PREFIX): Grant {
    const objects = Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${prefix}*`)] });
    acknowledgePrefixGrant(grantee, this.bucket, prefix, `Evidence keys are named after finding ids not known at deploy time; the grant is limited to PutObject under ${prefix}, and Object Lock keeps what is written.`);
    // SSE-KMS uploads need a data key; Decrypt is what multipart uploads need to assemble the parts.
    Grant.addToPrincipal({ grantee, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return objects;
  }

  /** Read evidence objects and their versions under `prefix` (the audit command, the approval page). */
  grantRead(grantee: IGrantable, prefix = INCIDENTS_PREFIX): Grant {
    const objects = Grant.addToPrincipal({ grantee, actions: ['s3:GetObject', 's3:GetObjectVersion'], resourceArns: [this.bucket.arnForObjects(`${prefix}*`)] });
    acknowledgePrefixGrant(grantee, this.bucket, prefix, `Evidence keys are named after finding ids not known at deploy time; the grant is limited to reading objects under ${prefix}.`);
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    });
    Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return objects;
  }

  /** Read objects by key under `prefix`, nothing else (StartIncidents reads the batch it is handed). */
  grantGet(grantee: IGrantable, prefix: string): Grant {
    const objects = Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(`${prefix}*`)] });
    acknowledgePrefixGrant(grantee, this.bucket, prefix, `Keys under ${prefix} are named after detection executions not known at deploy time; the grant is GetObject under ${prefix} only.`);
    Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return objects;
  }
}
