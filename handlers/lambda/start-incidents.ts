/** Lambda entry of the StartIncidents task. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnIncidentStarter } from '../aws/incident-starter';
import { S3ObjectStore } from '../aws/object-store';
import { DynamoSuppressionStore } from '../aws/suppression-store';
import { systemClock } from '../ports';
import { createStartIncidentsHandler } from '../start-incidents';
import { startIncidentsConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = startIncidentsConfigFromEnv(process.env);
// A throttled StartExecution is retried by the SDK with backoff; more attempts than its default 3,
// since 100 starts at once can meet the refill rate.
const sfn = tracer.captureAWSv3Client(new SFNClient({ maxAttempts: 6 }));

const run = createStartIncidentsHandler({
  store: new S3ObjectStore(tracer.captureAWSv3Client(new S3Client({})), config.evidenceBucket),
  starter: new SfnIncidentStarter(sfn, config.incidentStateMachineArn),
  suppressions: new DynamoSuppressionStore(tracer.captureAWSv3Client(new DynamoDBClient({})), config.suppressionTable, systemClock),
});

export const handler = lambdaHandler('StartIncidents', run);
