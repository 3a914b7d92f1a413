/**
 * The same executions as Step Functions serves them. A local history is turned into what
 * GetExecutionHistory returns for the deployed machine: a Task whose Resource is a Lambda ARN
 * (the LambdaInvoke tasks with payloadResponseOnly) shows as LambdaFunctionScheduled / Started /
 * Succeeded / Failed / TimedOut; a `.waitForTaskToken` task gets its TaskSubmitted; timestamps are
 * Dates; there are no local-only details. A fake SFNClient then serves ListExecutions (newest
 * first), DescribeExecution and GetExecutionHistory in pages, keeping the API's rules.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { ExecutionHistoryDocument } from '../../../local/history';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const INCIDENT_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:flowir-dev-incident`;

type Obj = Record<string, unknown>;

const LAMBDA_EVENTS: Record<string, [string, string]> = {
  TaskScheduled: ['LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails'],
  TaskStarted: ['LambdaFunctionStarted', ''],
  TaskSucceeded: ['LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails'],
  TaskFailed: ['LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails'],
  TaskTimedOut: ['LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails'],
};

/** The events of a local history as the SDK returns them for the deployed state machine. */
export function awsEvents(doc: ExecutionHistoryDocument): HistoryEvent[] {
  const out: Array<Obj & { id: number; previousEventId: number }> = [];
  const newId = new Map<number, number>();
  const source = doc.events as unknown as Array<Obj & { id: number; previousEventId: number; type: string; timestamp: string }>;
  for (const [index, raw] of source.entries()) {
    const { localDetails: _local, id, previousEventId, type, timestamp, ...details } = raw;
    const detailKey = Object.keys(details)[0];
    const d = (detailKey !== undefined ? details[detailKey] : {}) as Obj;
    const base = { timestamp: new Date(timestamp), previousEventId: newId.get(previousEventId) ?? 0 };
    const lambda = typeof d.resource === 'string' && d.resource.startsWith('arn:aws:lambda:') ? LAMBDA_EVENTS[type] : undefined;
    let event: Obj;
    if (lambda !== undefined) {
      const [lambdaType, lambdaKey] = lambda;
      if (type === 'TaskScheduled') event = { type: lambdaType, [lambdaKey]: { resource: d.resource, input: d.parameters, inputDetails: { truncated: false }, ...(d.timeoutInSeconds !== undefined ? { timeoutInSeconds: d.timeoutInSeconds } : {}) } };
      else if (type === 'TaskStarted') event = { type: lambdaType };
      else if (type === 'TaskSucceeded') event = { type: lambdaType, [lambdaKey]: { output: d.output, outputDetails: { truncated: false } } };
      else event = { type: lambdaType, [lambdaKey]: { error: d.error, cause: d.cause } };
    } else {
      event = { type, ...details };
    }
    const nextId = out.length + 1;
    newId.set(id, nextId);
    out.push({ ...event, ...base, id: nextId });
    // The service writes TaskSubmitted once the Lambda took the task token (unless the history already has it).
    if (type === 'TaskStarted' && typeof d.resource === 'string' && d.resource.endsWith('.waitForTaskToken') && source[index + 1]?.type !== 'TaskSubmitted') {
      const submitted = out.length + 1;
      out.push({ id: submitted, previousEventId: nextId, timestamp: base.timestamp, type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: d.resourceType, resource: d.resource, output: '{"StatusCode":202}', outputDetails: { truncated: false } } });
      newId.set(id, submitted);
    }
  }
  return out as unknown as HistoryEvent[];
}

export interface FakeExecution {
  readonly doc: ExecutionHistoryDocument;
  readonly stateMachineArn: string;
}

export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Step Functions behind aws-sdk-client-mock: histories served `pageSize` events a page (at most
 * the request's maxResults) with an opaque nextToken that only works for the same execution;
 * executions listed newest first, `listPageSize` a page.
 */
export function fakeStepFunctions(executions: readonly FakeExecution[], options: { readonly pageSize?: number; readonly listPageSize?: number } = {}) {
  const mock = mockClient(SFNClient);
  const byArn = new Map(executions.map((e) => [executionArnOf(e.stateMachineArn, e.doc.name), e]));
  const notFound = (arn: string | undefined): never => {
    throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn ?? ''}'`, $metadata: { httpStatusCode: 400 } });
  };
  const historyCalls: Array<{ executionArn: string; nextToken: string | undefined; includeExecutionData: boolean | undefined }> = [];

  mock.on(ListExecutionsCommand).callsFake((input: { stateMachineArn?: string; maxResults?: number; nextToken?: string }) => {
    const size = Math.min(options.listPageSize ?? 100, input.maxResults ?? 100);
    const mine = executions.filter((e) => e.stateMachineArn === input.stateMachineArn).sort((a, b) => Date.parse(b.doc.startDate) - Date.parse(a.doc.startDate));
    const from = input.nextToken === undefined ? 0 : Number(input.nextToken.split(':')[1]);
    const page = mine.slice(from, from + size);
    return {
      executions: page.map((e) => ({ executionArn: executionArnOf(e.stateMachineArn, e.doc.name), stateMachineArn: e.stateMachineArn, name: e.doc.name, status: e.doc.status, startDate: new Date(e.doc.startDate), ...(e.doc.stopDate ? { stopDate: new Date(e.doc.stopDate) } : {}) })),
      ...(from + size < mine.length ? { nextToken: `list:${from + size}` } : {}),
    };
  });

  mock.on(DescribeExecutionCommand).callsFake((input: { executionArn?: string }) => {
    const e = byArn.get(input.executionArn ?? '') ?? notFound(input.executionArn);
    return {
      executionArn: input.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.doc.name,
      status: e.doc.status,
      startDate: new Date(e.doc.startDate),
      ...(e.doc.stopDate ? { stopDate: new Date(e.doc.stopDate) } : {}),
      input: e.doc.input ?? undefined,
      inputDetails: { included: true },
      ...(e.doc.output !== null ? { output: e.doc.output, outputDetails: { included: true } } : {}),
      ...(e.doc.error !== null ? { error: e.doc.error } : {}),
      ...(e.doc.cause !== null ? { cause: e.doc.cause } : {}),
    };
  });

  mock.on(GetExecutionHistoryCommand).callsFake((input: { executionArn?: string; maxResults?: number; nextToken?: string; includeExecutionData?: boolean; reverseOrder?: boolean }) => {
    const e = byArn.get(input.executionArn ?? '') ?? notFound(input.executionArn);
    historyCalls.push({ executionArn: input.executionArn ?? '', nextToken: input.nextToken, includeExecutionData: input.includeExecutionData });
    const events = awsEvents(e.doc);
    if (input.reverseOrder) events.reverse();
    const size = Math.min(options.pageSize ?? 1000, input.maxResults ?? 1000);
    let from = 0;
    if (input.nextToken !== undefined) {
      const [arn, at] = Buffer.from(input.nextToken, 'base64').toString().split('|');
      if (arn !== input.executionArn) throw new Error('InvalidToken: the token belongs to another execution');
      from = Number(at);
    }
    // Without includeExecutionData the service leaves out inputs, outputs and parameters.
    const page = events.slice(from, from + size).map((ev) => (input.includeExecutionData === false ? stripData(ev) : ev));
    return { events: page, ...(from + size < events.length ? { nextToken: Buffer.from(`${input.executionArn}|${from + size}`).toString('base64') } : {}) };
  });

  return { mock, historyCalls };
}

function stripData(ev: HistoryEvent): HistoryEvent {
  return JSON.parse(JSON.stringify(ev, (k, v: unknown) => (k === 'input' || k === 'output' || k === 'parameters' ? undefined : v)), (k, v: unknown) => (k === 'timestamp' ? new Date(v as string) : v)) as HistoryEvent;
}

/** The document handlers/export-history.ts writes for an execution (events as JSON, ISO timestamps). */
export function exportedDocument(doc: ExecutionHistoryDocument, stateMachineArn: string): string {
  const events = awsEvents(doc).map((e) => JSON.parse(JSON.stringify(e)) as Obj);
  const machine = stateMachineArn.split(':').pop() ?? '';
  return JSON.stringify(
    {
      executionArn: executionArnOf(stateMachineArn, doc.name),
      stateMachineArn,
      stateMachineName: machine,
      executionName: doc.name,
      status: doc.status,
      startDate: doc.startDate,
      stopDate: doc.stopDate,
      exportedAt: doc.stopDate ?? doc.startDate,
      eventCount: events.length,
      events,
    },
    null,
    1,
  );
}
