import { SendTaskSuccessCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { SfnTaskCallback } from '../../../handlers/aws/task-callback';
import { TaskTokenInvalidError } from '../../../handlers/ports';
import { fakeStepFunctions } from '../mocks/fake-services';

describe('SfnTaskCallback (SendTaskSuccess / SendTaskFailure)', () => {
  it('sends the output as JSON and closes the task', async () => {
    const sfn = fakeStepFunctions();
    const token = sfn.issueToken();
    const decision = { decision: 'approve', approver: 'alice@example.com', at: '2025-11-22T10:07:00Z', comment: null, sourceIp: '192.0.2.10' };
    await new SfnTaskCallback(sfn.client).succeed(token, decision);
    expect(sfn.task(token)).toEqual({ state: 'succeeded', output: decision });
  });

  it('refuses a second SendTaskSuccess on the same token with TaskTokenInvalidError', async () => {
    const sfn = fakeStepFunctions();
    const token = sfn.issueToken();
    const callback = new SfnTaskCallback(sfn.client);
    await callback.succeed(token, { n: 1 });
    const error = await callback.succeed(token, { n: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTokenInvalidError);
    expect((error as Error).cause).toMatchObject({ name: 'TaskTimedOut' });
    expect(sfn.task(token)?.output).toEqual({ n: 1 });
  });

  it('refuses a timed-out or unknown token, and a failure after success, with TaskTokenInvalidError', async () => {
    const sfn = fakeStepFunctions();
    const callback = new SfnTaskCallback(sfn.client);
    const late = sfn.issueToken();
    sfn.timeOut(late);
    await expect(callback.succeed(late, {})).rejects.toThrow(TaskTokenInvalidError);
    await expect(callback.succeed('never-issued', {})).rejects.toThrow(TaskTokenInvalidError);
    const done = sfn.issueToken();
    await callback.succeed(done, {});
    await expect(callback.fail(done, 'Rejected', 'no')).rejects.toThrow(TaskTokenInvalidError);
  });

  it('cuts error and cause to the lengths SendTaskFailure accepts', async () => {
    const sfn = fakeStepFunctions();
    const token = sfn.issueToken();
    await new SfnTaskCallback(sfn.client).fail(token, 'E'.repeat(300), 'c'.repeat(40000));
    expect(sfn.task(token)).toMatchObject({ state: 'failed', error: 'E'.repeat(256) });
  });

  it('passes other errors through (a throttled call is not a dead token)', async () => {
    const sfn = fakeStepFunctions();
    const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} });
    sfn.mock.on(SendTaskSuccessCommand).rejects(throttled);
    await expect(new SfnTaskCallback(sfn.client).succeed(sfn.issueToken(), {})).rejects.toBe(throttled);
  });
});
