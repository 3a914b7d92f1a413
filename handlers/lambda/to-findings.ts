/** Lambda entry of the ToFindings task. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AthenaSdkResults } from '../aws/athena-results';
import { EmfFindingMetrics } from '../aws/metrics';
import { DynamoSuppressionStore } from '../aws/suppression-store';
import { systemClock } from '../ports';
import { createToFindingsHandler } from '../to-findings';
import { toFindingsConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = toFindingsConfigFromEnv(process.env);
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
// Only the athena engine reads results here; a logs-insights deployment has no Athena client (nor the permission).
const athena = config.engine === 'athena' ? tracer.captureAWSv3Client(new AthenaClient({})) : undefined;

const run = createToFindingsHandler({
  config: { detection: config.detection, suppression: config.suppression },
  suppressions: new DynamoSuppressionStore(dynamo, config.suppressionTable, systemClock),
  metrics: new EmfFindingMetrics(config.envName),
  clock: systemClock,
  ...(athena !== undefined ? { athenaResults: new AthenaSdkResults(athena) } : {}),
});

export const handler = lambdaHandler('ToFindings', run);
