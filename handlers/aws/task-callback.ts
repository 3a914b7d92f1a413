import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';
import { TaskTokenInvalidError, type TaskCallbackPort } from '../ports';

/** Step Functions limits on SendTaskFailure's `error` and `cause`. */
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32768;

/**
 * SendTaskSuccess / SendTaskFailure. A token that was already answered, timed out, or never
 * existed becomes {@link TaskTokenInvalidError}, so callers can tell "too late" from "failed".
 */
export class SfnTaskCallback implements TaskCallbackPort {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.answer(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.answer(() => this.client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR_CHARS), cause: cause.slice(0, MAX_CAUSE_CHARS) })));
  }

  private async answer(send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (e) {
      if (e instanceof TaskTimedOut || e instanceof InvalidToken || e instanceof TaskDoesNotExist) {
        throw new TaskTokenInvalidError(`the workflow no longer waits for this decision (${e.name}: ${e.message})`, { cause: e });
      }
      throw e;
    }
  }
}
