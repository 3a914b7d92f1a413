/**
 * Lambda entry of the approval endpoint (function URL, auth NONE: the signed link is the
 * credential). An unexpected error still answers with a page, never a bare 502, and is logged.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { createApprovalEndpoint, fromFunctionUrlEvent, toFunctionUrlResult } from '../approval-endpoint';
import { SECURITY_HEADERS } from '../approval-page/layout';
import { renderResultPage } from '../approval-page/render';
import { DynamoApprovalStore } from '../aws/approval-store';
import { SecretsManagerSigningKeys } from '../aws/signing-keys';
import { SfnTaskCallback } from '../aws/task-callback';
import { systemClock } from '../ports';
import { countMetrics, documentClient } from './containment-clients';
import { allowedOriginsFromEnv, CONTAINMENT_ENV } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, logger, tracer } from './powertools';

const env = process.env;
const endpoint = createApprovalEndpoint({
  store: new DynamoApprovalStore(documentClient(), requireEnv(env, CONTAINMENT_ENV.approvalTable)),
  callback: new SfnTaskCallback(tracer.captureAWSv3Client(new SFNClient({}))),
  keys: new SecretsManagerSigningKeys(tracer.captureAWSv3Client(new SecretsManagerClient({})), requireEnv(env, CONTAINMENT_ENV.signingSecret), systemClock),
  clock: systemClock,
  allowedOrigins: allowedOriginsFromEnv(env),
  log: (event) => {
    if (event.event === 'delivery-failed') logger.error('approval decision not delivered', { ...event });
    else logger.info(`approval ${event.event}`, { ...event });
    if (event.event === 'decided') countMetrics({ ApprovalsDecided: 1 });
    if (event.event === 'refused') countMetrics({ ApprovalRequestsRefused: 1 });
  },
});

const serve = lambdaHandler('ApprovalEndpoint', async (event: LambdaFunctionURLEvent) => toFunctionUrlResult(await endpoint(fromFunctionUrlEvent(event))));

export async function handler(event: LambdaFunctionURLEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await serve(event, context);
  } catch {
    // lambdaHandler logged the error; the approver gets a page that says what to do.
    const body = renderResultPage({ title: 'Something went wrong', message: 'The approval page failed. Nothing was decided. Try the link again in a minute, or tell the on-call responder.', tone: 'critical' });
    return { statusCode: 500, headers: { ...SECURITY_HEADERS }, body, isBase64Encoded: false };
  }
}
