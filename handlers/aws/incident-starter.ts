/** Incident executions through Step Functions StartExecution. */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { IncidentAlreadyStartedError, type IncidentStarterPort } from '../ports';

/**
 * StartExecution on the incident state machine. For a Standard workflow, a second call with the same
 * name and input while that execution runs returns it again; a name in use otherwise (other input, or
 * an execution that has ended, for 90 days) is ExecutionAlreadyExists
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export class SfnIncidentStarter implements IncidentStarterPort {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(executionName: string, input: Parameters<IncidentStarterPort['start']>[1]): ReturnType<IncidentStarterPort['start']> {
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: JSON.stringify(input) }));
      if (out.executionArn === undefined) throw new Error(`StartExecution ${executionName}: no executionArn in the response`);
      return { executionArn: out.executionArn };
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) throw new IncidentAlreadyStartedError(`${executionName}: ${e.message}`, { cause: e });
      throw e;
    }
  }
}
