/** Lambda entry of the ToFindings task. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { AthenaSdkResults } from '../aws/athena-results';
import { LogsInsightsSdkResults } from '../aws/logs-insights-results';
import { EmfFindingMetrics } from '../aws/metrics';
import { S3ObjectStore } from '../aws/object-store';
import { DynamoSuppressionStore } from '../aws/suppression-store';
import { systemClock } from '../ports';
import { createToFindingsHandler } from '../to-findings';
import { toFindingsConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = toFindingsConfigFromEnv(process.env);
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
const s3 = tracer.captureAWSv3Client(new S3Client({}));
// Each deployment reads one engine's results, and holds only that engine's permission.
const results =
  config.engine === 'athena'
    ? { athenaResults: new AthenaSdkResults(tracer.captureAWSv3Client(new AthenaClient({}))) }
    : { logsInsights: new LogsInsightsSdkResults(tracer.captureAWSv3Client(new CloudWatchLogsClient({}))) };

const run = createToFindingsHandler({
  config: { detection: config.detection, suppression: config.suppression },
  suppressions: new DynamoSuppressionStore(dynamo, config.suppressionTable, systemClock),
  metrics: new EmfFindingMetrics(config.envName),
  clock: systemClock,
  store: new S3ObjectStore(s3, config.evidenceBucket),
  ...results,
});

export const handler = lambdaHandler('ToFindings', run);
