/** Lambda entry of the RequestApproval task (`.waitForTaskToken`): stores the token, sends each approver their signed link. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoApprovalStore } from '../aws/approval-store';
import { SnsNotifier } from '../aws/notifier-sns';
import { SecretsManagerSigningKeys } from '../aws/signing-keys';
import { systemClock } from '../ports';
import { createRequestApprovalHandler } from '../request-approval';
import { countMetrics, documentClient } from './containment-clients';
import { approvalBaseUrlFromEnv, approvalTopicFromEnv, approversFromEnv, CONTAINMENT_ENV, containmentConfigFromEnv, topicsFromEnv } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, logger, tracer } from './powertools';

const env = process.env;
const approvalTable = requireEnv(env, CONTAINMENT_ENV.approvalTable);
const signingSecret = requireEnv(env, CONTAINMENT_ENV.signingSecret);
// Each approver's link goes to the approval topic, the link-free summary to the critical one.
const topics = { ...topicsFromEnv(env), approval: approvalTopicFromEnv(env) };
const incident = containmentConfigFromEnv(env);

const requestApproval = createRequestApprovalHandler({
  store: new DynamoApprovalStore(documentClient(), approvalTable),
  notifier: new SnsNotifier(tracer.captureAWSv3Client(new SNSClient({})), topics),
  keys: new SecretsManagerSigningKeys(tracer.captureAWSv3Client(new SecretsManagerClient({})), signingSecret, systemClock),
  clock: systemClock,
  approvers: approversFromEnv(env),
  baseUrl: approvalBaseUrlFromEnv(env),
  networkAclDeny: incident.networkAclDeny,
});

export const handler = lambdaHandler('RequestApproval', async (input: Parameters<typeof requestApproval>[0]) => {
  const ack = await requestApproval(input);
  // The ack names the approval, never the task token or the links.
  logger.info('approval requested', { approvalId: ack.approvalId, approvers: ack.approvers, expiresAt: ack.expiresAt });
  countMetrics({ ApprovalsRequested: 1 });
  return ack;
});
