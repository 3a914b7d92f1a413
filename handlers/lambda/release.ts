/** Lambda entry of the ReleaseBlock and ReleaseAfterFailure tasks. */
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { DynamoBlockRegistry } from '../aws/block-registry';
import { WafIpSetPort } from '../aws/ip-set';
import { systemClock } from '../ports';
import { createReleaseHandler } from '../release';
import { countMetrics, documentClient } from './containment-clients';
import { CONTAINMENT_ENV } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, logger, tracer } from './powertools';

const release = createReleaseHandler({
  ipSet: new WafIpSetPort(tracer.captureAWSv3Client(new WAFV2Client({}))),
  registry: new DynamoBlockRegistry(documentClient(), requireEnv(process.env, CONTAINMENT_ENV.blockTable)),
  clock: systemClock,
});

export const handler = lambdaHandler('ReleaseBlock', async (input: Parameters<typeof release>[0]) => {
  const out = await release(input);
  logger.info('blocks released', { released: out.released });
  countMetrics({ BlocksReleased: out.released.length });
  return out;
});
