import { createHash } from 'node:crypto';
import { SfnHistoryReader } from '../../handlers/aws/history-reader';
import { S3ObjectStore } from '../../handlers/aws/object-store';
import { createExportHistoryHandler, historyKey, keySegment, type ExecutionHistoryDocument, type ExecutionStatusChangeEvent } from '../../handlers/export-history';
import type { HistoryEvent } from '../../handlers/ports/history';
import { TaskInputError } from '../../handlers/task-input';
import { fakeS3Bucket } from './aws/fake-s3';
import { fakeStepFunctionsHistory, incidentHistory } from './aws/fake-sfn';
import { ListHistoryReader, MemoryObjectStore, SettableClock } from './fakes/ports';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-dev-incident';
const NAME = 'PORT_SCAN-203-0-113-50-1763805600';
const ARN = `arn:aws:states:us-east-1:123456789012:execution:flowir-dev-incident:${NAME}`;

/** An EventBridge "Step Functions Execution Status Change" event, as delivered. */
const statusChange = (status: string, overrides: Partial<ExecutionStatusChangeEvent['detail']> = {}): ExecutionStatusChangeEvent =>
  ({
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2025-11-23T10:05:00Z',
    region: 'us-east-1',
    resources: [ARN],
    detail: { executionArn: ARN, stateMachineArn: MACHINE, name: NAME, status, startDate: 1763805660000, stopDate: 1763892300000, input: '{}', output: '{}', ...overrides },
  }) as ExecutionStatusChangeEvent;

const events: HistoryEvent[] = [
  { id: 1, type: 'ExecutionStarted', timestamp: '2025-11-22T10:01:00.000Z', executionStartedEventDetails: { input: '{"finding":{}}' } },
  { id: 2, type: 'ExecutionSucceeded', timestamp: '2025-11-23T10:05:00.000Z', executionSucceededEventDetails: { output: '{"outcome":"CONTAINED"}' } },
];

function setup() {
  const store = new MemoryObjectStore();
  const handler = createExportHistoryHandler({ history: new ListHistoryReader(new Map([[ARN, events]])), store, clock: new SettableClock(new Date('2025-11-23T10:05:03Z')) });
  return { store, handler };
}

describe('ExportHistory', () => {
  it('writes a finished execution’s full history to executions/<machine>/<execution>.json', async () => {
    const { store, handler } = setup();
    const out = await handler(statusChange('SUCCEEDED'));
    const key = `executions/flowir-dev-incident/${NAME}.json`;
    const body = (await store.get(key)) as Buffer;
    expect(out).toEqual({ exported: true, key, sha256: createHash('sha256').update(body).digest('hex'), events: 2 });
    const doc = JSON.parse(body.toString('utf8')) as ExecutionHistoryDocument;
    expect(doc).toEqual({
      executionArn: ARN,
      stateMachineArn: MACHINE,
      stateMachineName: 'flowir-dev-incident',
      executionName: NAME,
      status: 'SUCCEEDED',
      startDate: '2025-11-22T10:01:00.000Z',
      stopDate: '2025-11-23T10:05:00.000Z',
      exportedAt: '2025-11-23T10:05:03.000Z',
      eventCount: 2,
      events,
    });
    expect(store.objects.get(key)?.contentType).toBe('application/json');
  });

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'])('exports a %s execution too: failures are what auditors ask about', async (status) => {
    const { handler } = setup();
    expect(await handler(statusChange(status))).toMatchObject({ exported: true });
  });

  it('says why it exported nothing for a running execution', async () => {
    const { store, handler } = setup();
    expect(await handler(statusChange('RUNNING', { stopDate: null }))).toEqual({ exported: false, reason: 'execution status RUNNING is not a finished one (SUCCEEDED, FAILED, TIMED_OUT, ABORTED)' });
    expect(store.objects.size).toBe(0);
  });

  it('keeps the history of an execution named by hand with characters unsafe in a key, under a name that cannot collide', async () => {
    const name = 'backfill 2025/11/22';
    const arn = `arn:aws:states:us-east-1:123456789012:execution:flowir-dev-detection:${name}`;
    const store = new MemoryObjectStore();
    const handler = createExportHistoryHandler({ history: new ListHistoryReader(new Map([[arn, events]])), store, clock: new SettableClock(new Date()) });
    const out = await handler(statusChange('SUCCEEDED', { executionArn: arn, name, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-dev-detection' }));
    expect(out).toMatchObject({ exported: true, key: historyKey('flowir-dev-detection', keySegment(name)) });
    expect(keySegment(name)).toMatch(/^backfill_2025_11_22_[0-9a-f]{12}$/);
    expect(keySegment('backfill_2025_11_22')).not.toBe(keySegment(name));
    expect(JSON.parse((await store.get(historyKey('flowir-dev-detection', keySegment(name))))?.toString() ?? '').executionName).toBe(name);
  });

  it.each<[string, unknown, string]>([
    ['an event without detail', { 'detail-type': 'Step Functions Execution Status Change' }, 'event.detail: expected a JSON object, got nothing'],
    ['a foreign state machine ARN', statusChange('SUCCEEDED', { stateMachineArn: 'flowir-dev-incident' }), 'event.detail.stateMachineArn: expected arn:aws:states:<region>:<account>:stateMachine:<name>'],
    ['a start date in seconds text', statusChange('SUCCEEDED', { startDate: '1763805660' as never }), 'event.detail.startDate: expected epoch milliseconds, got "1763805660"'],
  ])('refuses %s, naming the field', async (_what, event, message) => {
    const { handler } = setup();
    const run = handler(event as ExecutionStatusChangeEvent);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
  });

  it('exports a long history through the Step Functions and S3 adapters', async () => {
    const sfn = fakeStepFunctionsHistory(new Map([[ARN, incidentHistory(Date.parse('2025-11-22T10:01:00Z'), 700)]]));
    const s3 = fakeS3Bucket('flowir-dev-evidence');
    try {
      const handler = createExportHistoryHandler({ history: new SfnHistoryReader(sfn.client), store: new S3ObjectStore(s3.client, 'flowir-dev-evidence'), clock: new SettableClock(new Date('2025-11-23T10:05:03Z')) });
      const out = await handler(statusChange('SUCCEEDED'));
      expect(out).toMatchObject({ exported: true, key: `executions/flowir-dev-incident/${NAME}.json`, events: 1405 });
      const doc = JSON.parse(s3.objects.get(`executions/flowir-dev-incident/${NAME}.json`)?.body.toString('utf8') ?? '') as ExecutionHistoryDocument;
      expect(doc.events.map((e) => e.id)).toEqual(Array.from({ length: 1405 }, (_, i) => i + 1));
      expect(doc.events.find((e) => e.type === 'TaskSucceeded')).toMatchObject({ taskSucceededEventDetails: { output: expect.stringContaining('alice@example.com') } });
    } finally {
      sfn.mock.restore();
      s3.mock.restore();
    }
  });
});
