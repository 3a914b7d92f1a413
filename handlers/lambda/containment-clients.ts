/**
 * SDK clients and metrics shared by the containment and approval Lambda entries. Each entry
 * module creates what it needs once per execution environment, traced by X-Ray.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAclLease } from '../aws/acl-lease';
import { DynamoNetworkAclLedger } from '../aws/acl-ledger';
import { Ec2NetworkAclPort } from '../aws/network-acl';
import type { NetworkAclContainment } from '../containment/release-blocks';
import { systemClock } from '../ports';
import { metrics, tracer } from './powertools';

/** A traced DynamoDB document client. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
}

/**
 * Network ACL containment on AWS: EC2 (traced), the per-ACL lease and the ledger, both in the block
 * table under their own partitions (`#acl-lease`, `#nacl-ledger`).
 */
export function networkAclContainment(documents: DynamoDBDocumentClient, blockTable: string): NetworkAclContainment {
  return {
    acls: new Ec2NetworkAclPort(tracer.captureAWSv3Client(new EC2Client({}))),
    lease: new DynamoAclLease(documents, blockTable),
    ledger: new DynamoNetworkAclLedger(documents, blockTable),
    clock: systemClock,
  };
}

/** Containment and approval counters (namespace `Flowir`), published at once; zero counts are left out. */
export function countMetrics(counts: Readonly<Record<string, number>>): void {
  let any = false;
  for (const [name, n] of Object.entries(counts)) {
    if (n <= 0) continue;
    metrics.addMetric(name, MetricUnit.Count, n);
    any = true;
  }
  if (any) metrics.publishStoredMetrics();
}
