/** Lambda entry of the history export, invoked by an EventBridge rule on finished executions. */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnHistoryReader } from '../aws/history-reader';
import { S3ObjectStore } from '../aws/object-store';
import { createExportHistoryHandler } from '../export-history';
import { systemClock } from '../ports';
import { exportHistoryConfigFromEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const config = exportHistoryConfigFromEnv(process.env);
const sfn = tracer.captureAWSv3Client(new SFNClient({}));
const s3 = tracer.captureAWSv3Client(new S3Client({}));

const run = createExportHistoryHandler({ history: new SfnHistoryReader(sfn), store: new S3ObjectStore(s3, config.evidenceBucket), clock: systemClock });

export const handler = lambdaHandler('ExportHistory', run);
