import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type BucketProps, type IBucket, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Days after which an interrupted multipart upload's parts are deleted (they are billed but invisible). */
const ABORT_MULTIPART_DAYS = 7;

export interface SecureBucketProps {
  /** Where S3 server access logs go. */
  readonly accessLogs: IBucket;
  /** The prefix of this bucket's access logs in `accessLogs`, ending with `/`. */
  readonly accessLogsPrefix: string;
  /** SSE-KMS with this key; SSE-S3 when absent. */
  readonly encryptionKey?: IKey;
  readonly lifecycleRules?: LifecycleRule[];
  readonly objectLockDefaultRetention?: BucketProps['objectLockDefaultRetention'];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A bucket with the settings every flowir bucket shares: no public access, ACLs disabled, TLS 1.2+
 * only, encrypted, versioned, access-logged, and no forgotten multipart uploads.
 */
export function secureBucket(scope: Construct, id: string, props: SecureBucketProps): Bucket {
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    ...(props.encryptionKey
      ? { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
      : { encryption: BucketEncryption.S3_MANAGED }),
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: props.accessLogsPrefix,
    lifecycleRules: [{ id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(ABORT_MULTIPART_DAYS) }, ...(props.lifecycleRules ?? [])],
    objectLockDefaultRetention: props.objectLockDefaultRetention,
    removalPolicy: props.removalPolicy,
  });
}

/** How long S3 server access logs are kept: as long as the flow-log archive, so an audit can see who read it. */
export const ACCESS_LOG_RETENTION_DAYS = 2555;

/**
 * The target of every other bucket's S3 server access logs. It has no access log of its own (that
 * would log each log delivery, a loop); cdk-nag's S1 knows a log target and does not ask for one.
 */
export function accessLogsBucket(scope: Construct, id: string): Bucket {
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    // S3 server access logging can only deliver to SSE-S3 buckets.
    encryption: BucketEncryption.S3_MANAGED,
    lifecycleRules: [
      { id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_RETENTION_DAYS), noncurrentVersionExpiration: Duration.days(30) },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(ABORT_MULTIPART_DAYS) },
    ],
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
