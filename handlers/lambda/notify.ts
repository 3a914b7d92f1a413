/** Lambda entry of the NotifyFinding, Escalate and NotifyFailure tasks. */
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../aws/notifier-sns';
import { createNotifyHandler } from '../notify';
import { topicsFromEnv } from './containment-environment';
import { lambdaHandler, tracer } from './powertools';

const topics = topicsFromEnv(process.env);
const sns = tracer.captureAWSv3Client(new SNSClient({}));

const run = createNotifyHandler({ notifier: new SnsNotifier(sns, topics) });

export const handler = lambdaHandler('Notify', run);
