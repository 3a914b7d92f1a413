import { ExecutionDoesNotExist, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { HistoryReadError, SfnHistoryReader } from '../../../handlers/aws/history-reader';
import { fakeStepFunctionsHistory, incidentHistory } from './fake-sfn';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:flowir-dev-incident:PORT_SCAN-203-0-113-50-1763805600';
const START = Date.parse('2025-11-22T10:01:00Z');

describe('SfnHistoryReader', () => {
  let fake: ReturnType<typeof fakeStepFunctionsHistory>;
  afterEach(() => fake.mock.restore());

  it('reads every page, oldest first, with the state data, timestamps as ISO text', async () => {
    const history = incidentHistory(START, 1200);
    fake = fakeStepFunctionsHistory(new Map([[ARN, history]]));
    const events = await new SfnHistoryReader(fake.client).history(ARN);
    expect(events).toHaveLength(2405);
    expect(events.map((e) => e.id)).toEqual(history.map((e) => e.id));
    expect(events[0]).toEqual({
      id: 1,
      previousEventId: 0,
      type: 'ExecutionStarted',
      timestamp: '2025-11-22T10:01:01.000Z',
      executionStartedEventDetails: { input: '{"finding":{"id":"PORT_SCAN:203.0.113.50:1763805600"}}', roleArn: 'arn:aws:iam::123456789012:role/flowir' },
    });
    expect(events.at(-2)).toMatchObject({ type: 'TaskSucceeded', taskSucceededEventDetails: { output: expect.stringContaining('"approver":"alice@example.com"') } });
    expect(fake.mock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 3);
    expect(fake.mock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: ARN, maxResults: 1000, includeExecutionData: true, reverseOrder: false });
    // The result is plain JSON: what is written is what is read back.
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  it('passes on ExecutionDoesNotExist', async () => {
    fake = fakeStepFunctionsHistory(new Map());
    await expect(new SfnHistoryReader(fake.client).history(ARN)).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('gives up on a history that pages past what Step Functions allows, rather than loop for ever', async () => {
    fake = fakeStepFunctionsHistory(new Map());
    fake.mock.on(GetExecutionHistoryCommand).resolves({ events: [], nextToken: 'same-token-again' });
    await expect(new SfnHistoryReader(fake.client).history(ARN)).rejects.toBeInstanceOf(HistoryReadError);
    expect(fake.mock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 30);
  });

  it('refuses an event without its id, type or timestamp', async () => {
    fake = fakeStepFunctionsHistory(new Map());
    fake.mock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 1, type: 'ExecutionStarted' } as never] });
    await expect(new SfnHistoryReader(fake.client).history(ARN)).rejects.toThrow('a history event lacks its id, type or timestamp');
  });
});
