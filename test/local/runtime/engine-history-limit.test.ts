/**
 * The local engine keeps Step Functions' 25,000-event history quota, on real state machines run
 * with the history recorder wired as `flowir run` wires it: an execution whose history would pass
 * it fails with AWS's States.Runtime "The execution reached the maximum number of history events
 * (25000).", past its Catch on States.ALL, its history's last event ExecutionFailed; one whose
 * 25,000th event is ExecutionSucceeded succeeds (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html).
 */
import { ExecutionRecorder, type ExecutionHistoryDocument, type LibraryEvent, type TaskHandlers } from '../../../local/history';
import { historyLimitCause, HISTORY_LIMIT_ERROR, LocalStepFunctions, MAX_HISTORY_EVENTS, type ExecutionRecord, type TaskFn } from '../../../local/runtime/engine';
import type { AslDefinition } from '../../../workflows/resolve';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:work';

/**
 * Two Pass states, then a Map over the input's items with one Task each, caught on States.ALL.
 * Its history: ExecutionStarted, 2 × 2 for the Pass states, MapStateEntered and MapStateStarted,
 * 7 events an item (MapIterationStarted, TaskStateEntered, TaskScheduled, TaskStarted,
 * TaskSucceeded, TaskStateExited, MapIterationSucceeded), MapStateSucceeded, MapStateExited,
 * ExecutionSucceeded: 10 + 7 × items.
 */
const MAP_MACHINE = {
  StartAt: 'First',
  States: {
    First: { Type: 'Pass', Next: 'Second' },
    Second: { Type: 'Pass', Next: 'Each' },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 40,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 60, End: true } } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
      End: true,
    },
    Caught: { Type: 'Pass', End: true },
  },
} as unknown as AslDefinition;
const mapEvents = (items: number): number => 10 + 7 * items;

/** A loop: Count adds one, More goes back while below $.n. 1 + 4 a round + Done's 2 + 1 events. */
const LOOP_MACHINE = {
  StartAt: 'Count',
  States: {
    Count: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)', 'n.$': '$.n' }, Next: 'More' },
    More: { Type: 'Choice', Choices: [{ Variable: '$.i', NumericLessThanPath: '$.n', Next: 'Count' }], Default: 'Done' },
    Done: { Type: 'Succeed' },
  },
} as unknown as AslDefinition;
const loopEvents = (rounds: number): number => 4 + 4 * rounds;

/** A Task retried then caught, a Parallel, a Wait, a Choice and a Map whose iteration fails and is caught. */
const MIXED_MACHINE = {
  StartAt: 'Flaky',
  States: {
    Flaky: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 60, Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 2, IntervalSeconds: 1 }], Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Both' }], Next: 'Both' },
    Both: {
      Type: 'Parallel',
      ResultPath: null,
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 60, End: true } } },
        { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 1, End: true } } },
      ],
      Next: 'Pick',
    },
    Pick: { Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Some' }], Default: 'Some' },
    Some: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 60, End: true } } },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.mapError', Next: 'End' }],
      Next: 'End',
    },
    End: { Type: 'Pass', End: true },
  },
} as unknown as AslDefinition;

/** A Map of Maps: an inner failure fails the outer Map, which is caught. */
const NESTED_MACHINE = {
  StartAt: 'Groups',
  States: {
    Groups: {
      Type: 'Map',
      ItemsPath: '$.groups',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Items',
        States: {
          Items: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Leaf', States: { Leaf: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 60, End: true } } },
            End: true,
          },
        },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'After' }],
      Next: 'After',
    },
    After: { Type: 'Pass', End: true },
  },
} as unknown as AslDefinition;

interface Run {
  readonly execution: ExecutionRecord;
  readonly doc: ExecutionHistoryDocument;
  readonly calls: number;
}

/** Run one execution through the engine, recorded as the runtime records it (handlers instrumented, every event to the recorder). */
async function run(definition: AslDefinition, input: unknown, tasks: Record<string, TaskFn>, maxHistoryEvents?: number): Promise<Run> {
  let recorder: ExecutionRecorder | undefined;
  let calls = 0;
  const counted: Record<string, TaskFn> = Object.fromEntries(Object.entries(tasks).map(([k, fn]) => [k, (i: unknown) => (calls++, fn(i))]));
  const engine = new LocalStepFunctions({
    tasksFor: (ctx) => {
      recorder = new ExecutionRecorder({ definition, stateMachineName: ctx.machine, executionName: ctx.name, executionArn: ctx.arn });
      return recorder.instrument(counted as TaskHandlers) as Record<string, TaskFn>;
    },
    onEvent: (_e, ev) => recorder?.record(ev as LibraryEvent),
    waitOverrides: { Pause: 0 },
    retryIntervalOverrides: { Flaky: 0 },
    ...(maxHistoryEvents !== undefined ? { maxHistoryEvents } : {}),
  });
  engine.register('m', definition);
  const execution = engine.start('m', 'e1', input);
  await engine.idle();
  if (recorder === undefined) throw new Error('no recorder');
  return { execution, doc: recorder.document(), calls };
}

const items = (n: number): { items: number[] } => ({ items: Array.from({ length: n }, (_, i) => i) });
const work = { Work: async (i: unknown) => ({ done: i }) };

function expectFailedForTheLimit(r: Run, max: number): void {
  expect([r.execution.status, r.execution.error, r.execution.cause]).toEqual(['FAILED', HISTORY_LIMIT_ERROR, historyLimitCause(max)]);
  expect([r.doc.status, r.doc.error, r.doc.cause]).toEqual(['FAILED', HISTORY_LIMIT_ERROR, historyLimitCause(max)]);
  expect(r.doc.events.length).toBeLessThanOrEqual(max);
  expect(r.doc.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime', cause: historyLimitCause(max) } });
  // Nothing after it, and no Catch took it.
  expect(r.doc.events.filter((e) => e.type.endsWith('Aborted'))).toEqual([]);
  expect(r.doc.events.filter((e) => e.type === 'PassStateEntered' && JSON.stringify(e).includes('"Caught"'))).toEqual([]);
  expect(r.execution.historyEvents).toBe(r.doc.events.length);
}

describe('the 25,000-event history limit (small limit injected)', () => {
  const MAX = 200;

  it('a Map whose history would pass the limit fails with States.Runtime, past its Catch, its last event ExecutionFailed', async () => {
    const n = Math.ceil((MAX - 10) / 7) + 1;
    const r = await run(MAP_MACHINE, items(n), work, MAX);
    expect(mapEvents(n)).toBeGreaterThan(MAX);
    expectFailedForTheLimit(r, MAX);
    // No Task ran beyond what the history holds: each call shows as TaskScheduled.
    expect(r.calls).toBe(r.doc.events.filter((e) => e.type === 'LambdaFunctionScheduled').length);
  });

  it('one whose 25,000th (here 200th) event is ExecutionSucceeded succeeds, and one more item fails', async () => {
    // 10 + 7 × items = MAX needs items = 190 / 7: not whole, so the loop machine has the boundary.
    const rounds = (MAX - 4) / 4;
    const exact = await run(LOOP_MACHINE, { i: 0, n: rounds }, {}, MAX);
    expect(exact.execution.status).toBe('SUCCEEDED');
    expect(exact.doc.events).toHaveLength(MAX);
    expect(loopEvents(rounds)).toBe(MAX);
    expect(exact.doc.events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(exact.execution.historyEvents).toBe(MAX);
    const over = await run(LOOP_MACHINE, { i: 0, n: rounds + 1 }, {}, MAX);
    expectFailedForTheLimit(over, MAX);
    expect(over.doc.events).toHaveLength(MAX);

    const under = await run(MAP_MACHINE, items(Math.floor((MAX - 10) / 7)), work, MAX);
    expect(under.execution.status).toBe('SUCCEEDED');
    expect(under.doc.events).toHaveLength(mapEvents(Math.floor((MAX - 10) / 7)));
  });

  it('counts events as the recorder writes them: retries, catches, Parallel, Wait, Choice, a failed Map iteration', async () => {
    let flaky = 0;
    const r = await run(
      MIXED_MACHINE,
      { go: true, items: [1, 2, 3] },
      {
        Flaky: async () => {
          flaky++;
          throw Object.assign(new Error('try again'), { name: 'Flaky' });
        },
        Left: async () => ({ left: true }),
        Item: async (i) => {
          if (i === 2) throw Object.assign(new Error('bad item'), { name: 'BadItem' });
          // Item 3 is still running when item 2 fails.
          if (i === 3) await new Promise((resolve) => setTimeout(resolve, 300));
          return { i };
        },
      },
    );
    expect(flaky).toBe(3);
    expect(r.execution.status).toBe('SUCCEEDED');
    // The failed iteration cut the running one short: the recorder writes its aborted ends, and they count.
    expect(r.doc.events.map((e) => e.type)).toEqual(expect.arrayContaining(['LambdaFunctionFailed', 'ParallelStateSucceeded', 'MapIterationFailed', 'MapIterationAborted', 'TaskStateAborted', 'MapStateFailed']));
    expect(r.execution.historyEvents).toBe(r.doc.events.length);
  });

  it('counts the aborted ends of nested Maps cut short by a failure, as the recorder writes them', async () => {
    const r = await run(
      NESTED_MACHINE,
      { groups: [{ items: [1, 2, 3] }, { items: [4, 5, 6] }, { items: [7, 8, 9] }] },
      {
        Leaf: async (i) => {
          if (i === 5) throw Object.assign(new Error('bad leaf'), { name: 'BadLeaf' });
          // Others take a moment, so that the failure cuts them short.
          await new Promise((resolve) => setTimeout(resolve, i === 4 || i === 6 ? 0 : 300));
          return { i };
        },
      },
    );
    expect(r.execution.status).toBe('SUCCEEDED');
    expect(r.doc.events.filter((e) => e.type === 'MapIterationAborted').length).toBeGreaterThan(1);
    expect(r.execution.historyEvents).toBe(r.doc.events.length);
  });

  it('the limit counts every event, not state transitions: a loop passes it on the round it would take the last place', async () => {
    const r = await run(LOOP_MACHINE, { i: 0, n: 1000 }, {}, MAX);
    expectFailedForTheLimit(r, MAX);
    expect(r.doc.events).toHaveLength(MAX);
  });
});

describe('the real limit, 25,000 events', () => {
  it('a Map of 3,570 items (25,000 events, the last ExecutionSucceeded) succeeds; 3,571 fails with States.Runtime', async () => {
    expect(MAX_HISTORY_EVENTS).toBe(25_000);
    expect(mapEvents(3570)).toBe(25_000);
    const exact = await run(MAP_MACHINE, items(3570), work);
    expect(exact.execution.status).toBe('SUCCEEDED');
    expect(exact.doc.events).toHaveLength(25_000);
    expect(exact.doc.events.at(-1)?.type).toBe('ExecutionSucceeded');
    const over = await run(MAP_MACHINE, items(3571), work);
    expectFailedForTheLimit(over, 25_000);
    expect(over.execution.cause).toBe('The execution reached the maximum number of history events (25000).');
  });
});
