/** Lambda entry of the PlanWindow task. */
import { createPlanWindowHandler } from '../plan-window';
import { systemClock } from '../ports';
import { planWindowConfigFromEnv } from './environment';
import { lambdaHandler } from './powertools';

const run = createPlanWindowHandler({ config: planWindowConfigFromEnv(process.env), clock: systemClock });

export const handler = lambdaHandler('PlanWindow', run);
