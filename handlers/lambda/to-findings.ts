/** Lambda entry of the ToFindings task. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EmfFindingMetrics } from '../aws/metrics';
import { DynamoSuppressionStore } from '../aws/suppression-store';
import { systemClock } from '../ports';
import { createToFindingsHandler } from '../to-findings';
import { toFindingsConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = toFindingsConfigFromEnv(process.env);
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));

const run = createToFindingsHandler({
  config: { detection: config.detection, suppression: config.suppression },
  suppressions: new DynamoSuppressionStore(dynamo, config.suppressionTable, systemClock),
  metrics: new EmfFindingMetrics(config.envName),
  clock: systemClock,
});

export const handler = lambdaHandler('ToFindings', run);
