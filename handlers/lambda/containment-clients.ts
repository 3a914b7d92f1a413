/**
 * SDK clients and metrics shared by the containment and approval Lambda entries. Each entry
 * module creates what it needs once per execution environment, traced by X-Ray.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { metrics, tracer } from './powertools';

/** A traced DynamoDB document client. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
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
