/** Lambda entry of the BlockSource task. */
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { DynamoBlockBudget } from '../aws/block-budget';
import { DynamoBlockRegistry } from '../aws/block-registry';
import { WafIpSetPort } from '../aws/ip-set';
import { createBlockHandler } from '../block';
import { systemClock } from '../ports';
import { countMetrics, documentClient } from './containment-clients';
import { CONTAINMENT_ENV, containmentConfigFromEnv, guardrailsFromEnv, ipSetsFromEnv } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, logger, tracer } from './powertools';

const env = process.env;
// Fail the cold start on a config asking for network ACL entries, which this step does not place.
containmentConfigFromEnv(env);
const blockTable = requireEnv(env, CONTAINMENT_ENV.blockTable);
const documents = documentClient();
const block = createBlockHandler({
  ipSets: ipSetsFromEnv(env),
  ipSet: new WafIpSetPort(tracer.captureAWSv3Client(new WAFV2Client({}))),
  registry: new DynamoBlockRegistry(documents, blockTable),
  budget: new DynamoBlockBudget(documents, blockTable),
  guardrails: guardrailsFromEnv(env),
  clock: systemClock,
});

export const handler = lambdaHandler('BlockSource', async (input: Parameters<typeof block>[0]) => {
  const out = await block(input);
  if (out.status === 'blocked') logger.info('source blocked', { blocked: out.blocked, ipSet: out.ipSet.name, expiresAt: out.expiresAt });
  else logger.warn('block refused by a guardrail', { guardrail: out.guardrail, reason: out.reason });
  countMetrics(out.status === 'blocked' ? { SourcesBlocked: 1 } : { ContainmentsGuarded: 1 });
  return out;
});
