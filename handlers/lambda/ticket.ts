/** Lambda entry of the OpenTicket task: an OpsCenter OpsItem per incident. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { OpsCenterTickets } from '../aws/ticket-opscenter';
import { createTicketHandler } from '../ticket';
import { CONTAINMENT_ENV } from './containment-environment';
import { requireEnv } from './environment';
import { lambdaHandler, tracer } from './powertools';

const region = requireEnv(process.env, CONTAINMENT_ENV.region);
const ssm = tracer.captureAWSv3Client(new SSMClient({}));

const run = createTicketHandler({ tickets: new OpsCenterTickets(ssm, { region }) });

export const handler = lambdaHandler('OpenTicket', run);
