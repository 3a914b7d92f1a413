/**
 * Step Functions GetExecutionHistory behind aws-sdk-client-mock, with the API's paging rules:
 * maxResults from 1 to 1000 (default 100), a nextToken that is only valid for the same execution,
 * and ExecutionDoesNotExist for an unknown ARN.
 */
import { ExecutionDoesNotExist, GetExecutionHistoryCommand, InvalidToken, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';

export function fakeStepFunctionsHistory(histories: ReadonlyMap<string, HistoryEvent[]>) {
  const mock = mockClient(SFNClient);
  mock.on(GetExecutionHistoryCommand).callsFake((input: { executionArn?: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean }) => {
    const events = histories.get(input.executionArn ?? '');
    if (events === undefined) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${String(input.executionArn)}'`, $metadata: { httpStatusCode: 400 } });
    const max = input.maxResults === undefined || input.maxResults === 0 ? 100 : input.maxResults;
    if (max < 1 || max > 1000) throw new Error('ValidationException: maxResults must be at most 1000');
    let from = 0;
    if (input.nextToken !== undefined) {
      const [arn, offset] = Buffer.from(input.nextToken, 'base64').toString().split('|');
      if (arn !== input.executionArn) throw new InvalidToken({ message: 'Invalid Token', $metadata: { httpStatusCode: 400 } });
      from = Number(offset);
    }
    const ordered = input.reverseOrder === true ? [...events].reverse() : events;
    const page = ordered.slice(from, from + max).map((e) => (input.includeExecutionData === false ? stripData(e) : e));
    const next = from + max < ordered.length ? Buffer.from(`${input.executionArn}|${from + max}`).toString('base64') : undefined;
    return { events: page, ...(next !== undefined ? { nextToken: next } : {}) };
  });
  return { mock, client: new SFNClient({ region: 'us-east-1' }) };
}

/** Without execution data, the details keep their other fields but lose `input` and `output`. */
function stripData(e: HistoryEvent): HistoryEvent {
  const copy: Record<string, unknown> = { ...e };
  for (const [k, v] of Object.entries(copy)) {
    if (typeof v !== 'object' || v === null || v instanceof Date) continue;
    const details: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    delete details.input;
    delete details.output;
    copy[k] = details;
  }
  return copy as unknown as HistoryEvent;
}

/** A realistic incident history: started, evidence task, approval decision, succeeded; `extra` task pairs in between. */
export function incidentHistory(startMs: number, extra = 0): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let id = 0;
  const add = (type: string, details: Record<string, unknown>): void => {
    id++;
    events.push({ id, previousEventId: id - 1, type: type as HistoryEvent['type'], timestamp: new Date(startMs + id * 1000), ...details } as HistoryEvent);
  };
  add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify({ finding: { id: 'PORT_SCAN:203.0.113.50:1763805600' } }), roleArn: 'arn:aws:iam::123456789012:role/flowir' } });
  add('TaskStateEntered', { stateEnteredEventDetails: { name: 'SnapshotEvidence', input: '{}' } });
  add('TaskStateExited', { stateExitedEventDetails: { name: 'SnapshotEvidence', output: JSON.stringify({ evidence: { manifestKey: 'incidents/PORT_SCAN-203-0-113-50-1763805600/manifest.json' } }) } });
  for (let i = 0; i < extra; i++) {
    add('PassStateEntered', { stateEnteredEventDetails: { name: `Step${i}`, input: '{}' } });
    add('PassStateExited', { stateExitedEventDetails: { name: `Step${i}`, output: '{}' } });
  }
  add('TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output: JSON.stringify({ decision: 'approve', approver: 'alice@example.com', at: '2025-11-22T10:07:00Z', comment: null, sourceIp: '198.51.100.7' }) } });
  add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify({ outcome: 'CONTAINED' }) } });
  return events;
}
