/** Lambda entry of the block sweeper: the EventBridge schedule and incident executions that end ABORTED, FAILED or TIMED_OUT. */
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { DynamoBlockRegistry } from '../aws/block-registry';
import { WafIpSetPort } from '../aws/ip-set';
import { systemClock } from '../ports';
import { createSweepHandler } from '../sweep-expired';
import { countMetrics, documentClient } from './containment-clients';
import { CONTAINMENT_ENV } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, logger, tracer } from './powertools';

const sweep = createSweepHandler({
  ipSet: new WafIpSetPort(tracer.captureAWSv3Client(new WAFV2Client({}))),
  registry: new DynamoBlockRegistry(documentClient(), requireEnv(process.env, CONTAINMENT_ENV.blockTable)),
  clock: systemClock,
});

export const handler = lambdaHandler('SweepExpiredBlocks', async (event: Parameters<typeof sweep>[0]) => {
  const out = await sweep(event);
  if (out.released.length > 0) logger.info('blocks swept', { released: out.released, endedExecution: out.endedExecution });
  countMetrics({ BlocksReleased: out.released.length });
  return out;
});
