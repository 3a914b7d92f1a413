/** Lambda entry of the SnapshotEvidence task. Its timeout must cover the evidence query's poll budget. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { LogsInsightsRecordSource } from '../aws/flow-record-source';
import { Ec2NetworkInventory } from '../aws/network-inventory';
import { S3ObjectStore } from '../aws/object-store';
import { createEvidenceHandler } from '../evidence';
import { systemClock } from '../ports';
import { evidenceConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = evidenceConfigFromEnv(process.env);
const logs = tracer.captureAWSv3Client(new CloudWatchLogsClient({}));
const ec2 = tracer.captureAWSv3Client(new EC2Client({}));
const s3 = tracer.captureAWSv3Client(new S3Client({}));

const run = createEvidenceHandler({
  records: new LogsInsightsRecordSource(logs, { logGroupNames: [config.flowLogGroup], format: config.format, poll: config.poll }),
  inventory: new Ec2NetworkInventory(ec2),
  store: new S3ObjectStore(s3, config.evidenceBucket),
  clock: systemClock,
});

export const handler = lambdaHandler('SnapshotEvidence', run);
