/** Lambda entry of the DecidePolicy task. */
import { createPolicyHandler } from '../policy';
import { guardrailsFromEnv, incidentConfigFromEnv } from './containment-environment';
import { lambdaHandler } from './powertools';

const run = createPolicyHandler({ incident: incidentConfigFromEnv(process.env), guardrails: guardrailsFromEnv(process.env) });

export const handler = lambdaHandler('DecidePolicy', run);
