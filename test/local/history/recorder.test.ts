import { LocalTaskCallbacks } from '../../../local/adapters/task-callbacks';
import { SimulatedClock } from '../../../local/adapters/clock';
import { RecorderError, ExecutionRecorder, type ExecutionHistoryEvent } from '../../../local/history';
import { between, fail, runMachine, types } from './run-machine';

const LAMBDA = 'arn:aws:states:::lambda:invoke';
const DAY = 86_400;

/** Task (with Retry), Choice, Map, Wait, Task (with Catch), Pass, Succeed. */
const incidentLike = {
  StartAt: 'Plan',
  States: {
    Plan: { Type: 'Task', Resource: LAMBDA, Parameters: { 'kind.$': '$.kind' }, ResultPath: '$.plan', TimeoutSeconds: 30, Retry: [{ ErrorEquals: ['Throttled'], IntervalSeconds: 1, MaxAttempts: 2 }], Next: 'ByKind' },
    ByKind: { Type: 'Choice', Choices: [{ Variable: '$.kind', StringEquals: 'scan', Next: 'Scan' }], Default: 'Done' },
    Scan: {
      Type: 'Map',
      ItemsPath: '$.hosts',
      MaxConcurrency: 2,
      ItemSelector: { 'host.$': '$$.Map.Item.Value', 'kind.$': '$.kind' },
      ItemProcessor: { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: LAMBDA, Parameters: { 'host.$': '$.host' }, TimeoutSeconds: 30, End: true } } },
      ResultPath: '$.probes',
      Next: 'Hold',
    },
    Hold: { Type: 'Wait', Seconds: DAY, Next: 'Contain' },
    Contain: { Type: 'Task', Resource: `${LAMBDA}.waitForTaskToken`, Parameters: { 'probes.$': '$.probes' }, TimeoutSeconds: 30, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }], Next: 'Done' },
    RecordFailure: { Type: 'Pass', Result: 'FAILED', ResultPath: '$.outcome', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A Map iteration's events, from its MapIterationStarted along previousEventId to the event that ends it. */
function lane(events: readonly ExecutionHistoryEvent[], first: ExecutionHistoryEvent): ExecutionHistoryEvent[] {
  const out = [first];
  for (;;) {
    const last = out[out.length - 1];
    if (last !== first && /^MapIteration(Succeeded|Failed|Aborted)$/.test(last?.type ?? '')) return out;
    const next = events.filter((e) => e.previousEventId === last?.id);
    if (next.length !== 1 || next[0] === undefined) return out;
    out.push(next[0]);
  }
}

const parse = (text: string | undefined): unknown => JSON.parse(text ?? 'null');
const time = (e: ExecutionHistoryEvent | undefined): number => Date.parse(e?.timestamp ?? '');

describe('ExecutionRecorder over aws-local-stepfunctions', () => {
  const finished: string[] = [];
  let shared: Promise<Awaited<ReturnType<typeof runMachine>>> | undefined;
  /** One run of the incident-like machine, inspected by several tests. */
  const runIncidentLike = (): Promise<Awaited<ReturnType<typeof runMachine>>> => (shared ??= runIncidentLikeOnce());

  async function runIncidentLikeOnce(): Promise<Awaited<ReturnType<typeof runMachine>>> {
    const clock = new SimulatedClock();
    let planCalls = 0;
    const firstProbeMayFinish = deferred();
    return runMachine(
      incidentLike,
      { kind: 'scan', hosts: ['a', 'b', 'c'] },
      {
        Plan: async () => {
          if (planCalls++ === 0) throw fail('Throttled', 'rate exceeded');
          return { planned: true };
        },
        // "a" finishes only after "b" was called: completions come out of order.
        Probe: async (input) => {
          const host = (input as { host: string }).host;
          if (host === 'a') await firstProbeMayFinish.promise;
          if (host === 'b') firstProbeMayFinish.resolve();
          finished.push(host);
          return { host, open: [22] };
        },
        Contain: async () => {
          throw fail('WafUnavailable', 'WAF said no');
        },
      },
      {
        clock,
        overrides: { waitTimeOverrides: { Hold: 0 }, retryIntervalOverrides: { Plan: 0 } },
        onEvent: (ev, recorder) => {
          if (ev.type === 'StateEntered' && ev.state.name === 'Hold') {
            clock.advance(DAY, 'Hold: one day fast-forwarded', 'Hold');
            recorder.note('Hold', 'waited on the simulated clock');
          }
        },
      },
    );
  }

  it('writes the top-level events Step Functions writes, in order, with Task events around each task', async () => {
    const { doc } = await runIncidentLike();
    const mapBlock = between(doc.events, (e) => e.type === 'MapStateStarted', (e) => e.type === 'MapStateSucceeded');
    const outside = doc.events.filter((e) => !mapBlock.slice(1, -1).includes(e));
    expect(types(outside)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'MapStateEntered',
      'MapStateStarted',
      'MapStateSucceeded',
      'MapStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(doc.events.map((e) => e.id)).toEqual(doc.events.map((_, i) => i + 1));
    for (const e of doc.events) expect(e.previousEventId).toBeLessThan(e.id);
    // As Step Functions does: the first state's entry links to event 0, the next events to the one before.
    expect(outside.slice(0, 4).map((e) => e.previousEventId)).toEqual([0, 0, 2, 3]);
  });

  it('shows the parameters each task call got and its raw result, and a retry as a new TaskScheduled', async () => {
    const { doc } = await runIncidentLike();
    const plan = doc.events.filter((e) => e.type.startsWith('Task') && (e.stateEnteredEventDetails?.name ?? 'Plan') === 'Plan').slice(0, 8);
    const [scheduled, , failed, retried, , succeeded] = plan.slice(1);
    expect(scheduled?.taskScheduledEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', region: 'local', parameters: '{"kind":"scan"}', timeoutInSeconds: 30 });
    expect(failed?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'Throttled', cause: 'rate exceeded' });
    expect(retried?.type).toBe('TaskScheduled');
    expect(retried?.localDetails?.retry).toEqual({ attempt: 1, errorEquals: ['Throttled'] });
    expect(parse(succeeded?.taskSucceededEventDetails?.output)).toEqual({ planned: true });
    const exited = doc.events.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Plan');
    expect(parse(exited?.stateExitedEventDetails?.output)).toEqual({ kind: 'scan', hosts: ['a', 'b', 'c'], plan: { planned: true } });
  });

  it('puts each Map iteration in its own lane with its own data, even when they finish out of order', async () => {
    const { doc } = await runIncidentLike();
    expect(doc.events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails).toEqual({ length: 3 });
    const starts = doc.events.filter((e) => e.type === 'MapIterationStarted');
    expect(starts.map((e) => e.mapIterationStartedEventDetails?.index)).toEqual([0, 1, 2]);
    ['a', 'b', 'c'].forEach((host, i) => {
      const start = starts[i];
      if (start === undefined) throw new Error(`no iteration ${i}`);
      const events = lane(doc.events, start);
      expect(types(events)).toEqual(['MapIterationStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'MapIterationSucceeded']);
      expect(parse(events[1]?.stateEnteredEventDetails?.input)).toEqual({ host, kind: 'scan' });
      expect(parse(events[2]?.taskScheduledEventDetails?.parameters)).toEqual({ host });
      expect(parse(events[4]?.taskSucceededEventDetails?.output)).toEqual({ host, open: [22] });
      expect(events[6]?.mapIterationSucceededEventDetails).toEqual({ name: 'Scan', index: i });
    });
    // The scenario did happen: "b" finished before "a".
    expect(finished.indexOf('b')).toBeLessThan(finished.indexOf('a'));
  });

  it('records a caught task failure as TaskFailed then TaskStateExited with the error in the output', async () => {
    const { doc } = await runIncidentLike();
    const contain = between(doc.events, (e) => e.stateEnteredEventDetails?.name === 'Contain', (e) => e.type === 'TaskStateExited');
    expect(types(contain)).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskStateExited']);
    expect(contain[1]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken' });
    expect(contain[3]?.taskFailedEventDetails).toMatchObject({ error: 'WafUnavailable', cause: 'WAF said no' });
    expect(contain[4]?.localDetails?.caught).toEqual({ errorEquals: ['States.ALL'], next: 'RecordFailure' });
    expect(parse(contain[4]?.stateExitedEventDetails?.output)).toMatchObject({ error: { Error: 'WafUnavailable', Cause: 'WAF said no' } });
  });

  it('shows a fast-forwarded Wait on the simulated clock, with the jump on WaitStateExited', async () => {
    const { doc } = await runIncidentLike();
    const entered = doc.events.find((e) => e.type === 'WaitStateEntered');
    const exited = doc.events.find((e) => e.type === 'WaitStateExited');
    expect(exited?.localDetails?.clockAdvance).toMatchObject({ seconds: DAY, reason: 'Hold: one day fast-forwarded', state: 'Hold' });
    expect(exited?.localDetails?.notes).toEqual([{ text: 'waited on the simulated clock' }]);
    expect(time(exited) - time(entered)).toBeGreaterThanOrEqual(DAY * 1000);
    const enteredIndex = doc.events.indexOf(entered as ExecutionHistoryEvent);
    const first = time(doc.events[0]);
    for (const e of doc.events.slice(0, enteredIndex + 1)) expect(time(e) - first).toBeLessThan(DAY * 1000);
    for (const e of doc.events.slice(enteredIndex + 1)) expect(time(e) - first).toBeGreaterThanOrEqual(DAY * 1000);
    for (const e of doc.events) expect(time(e)).toBeGreaterThanOrEqual(time(doc.events.find((p) => p.id === e.previousEventId) ?? doc.events[0]));
    expect(doc.local?.clockAdvances).toEqual([expect.objectContaining({ seconds: DAY, state: 'Hold' })]);
  });

  it('fills the document: status, dates, input and output as JSON text', async () => {
    const { doc } = await runIncidentLike();
    expect(doc).toMatchObject({
      executionArn: 'arn:aws:states:local:000000000000:execution:test-machine:run-1',
      name: 'run-1',
      stateMachineName: 'test-machine',
      status: 'SUCCEEDED',
      startDate: doc.events[0]?.timestamp,
      stopDate: doc.events[doc.events.length - 1]?.timestamp,
      error: null,
      cause: null,
    });
    expect(parse(doc.input ?? undefined)).toEqual({ kind: 'scan', hosts: ['a', 'b', 'c'] });
    expect(parse(doc.output ?? undefined)).toMatchObject({ outcome: 'FAILED', probes: [{ host: 'a', open: [22] }, { host: 'b', open: [22] }, { host: 'c', open: [22] }] });
    expect(parse(doc.events[0]?.executionStartedEventDetails?.input)).toEqual({ kind: 'scan', hosts: ['a', 'b', 'c'] });
  });

  it('writes LambdaFunction* events for a Task whose Resource is a Lambda function ARN, as Step Functions does', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:flowir-evidence';
    const machine = {
      StartAt: 'SnapshotEvidence',
      States: {
        SnapshotEvidence: { Type: 'Task', Resource: fn, Parameters: { 'finding.$': '$.finding' }, ResultPath: '$.evidence', TimeoutSeconds: 60, Next: 'NotifyFinding' },
        NotifyFinding: { Type: 'Task', Resource: fn, TimeoutSeconds: 60, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Closed' }], End: true },
        Closed: { Type: 'Succeed' },
      },
    };
    const { doc } = await runMachine(machine, { finding: { id: 'f' } }, { SnapshotEvidence: async () => ({ manifestKey: 'incidents/f/manifest.json' }), NotifyFinding: async () => Promise.reject(fail('SnsDown', 'topic unavailable')) });
    expect(types(doc.events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(doc.events[2]?.lambdaFunctionScheduledEventDetails).toEqual({ resource: fn, input: '{"finding":{"id":"f"}}', inputDetails: { truncated: false }, timeoutInSeconds: 60 });
    expect(doc.events[3]).not.toHaveProperty('taskStartedEventDetails');
    expect(parse(doc.events[4]?.lambdaFunctionSucceededEventDetails?.output)).toEqual({ manifestKey: 'incidents/f/manifest.json' });
    expect(doc.events[9]?.lambdaFunctionFailedEventDetails).toEqual({ error: 'SnsDown', cause: 'topic unavailable' });
  });

  it('ends with TaskFailed and ExecutionFailed (no TaskStateExited) when nothing catches the error', async () => {
    const machine = { StartAt: 'Contain', States: { Contain: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 30, End: true } } };
    const { doc, error } = await runMachine(machine, {}, { Contain: () => Promise.reject(fail('WafUnavailable', 'WAF said no')) });
    expect(error).toBeDefined();
    expect(types(doc.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'ExecutionFailed']);
    expect(doc.events[5]?.executionFailedEventDetails).toEqual({ error: 'WafUnavailable', cause: 'WAF said no' });
    expect(doc).toMatchObject({ status: 'FAILED', error: 'WafUnavailable', cause: 'WAF said no', output: null });
  });

  it('writes TaskTimedOut for a task that passed its TimeoutSeconds', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const machine = { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 5, End: true } } };
      const release = deferred();
      const running = runMachine(machine, {}, { Slow: async () => release.promise.then(() => 'late') }, {
        onEvent: (ev) => {
          if (ev.type === 'StateEntered') jest.advanceTimersByTime(5000);
        },
      });
      const { doc } = await running;
      release.resolve();
      expect(types(doc.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskTimedOut', 'ExecutionFailed']);
      expect(doc.events[4]?.taskTimedOutEventDetails).toMatchObject({ error: 'States.Timeout' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('marks the other iterations aborted when one Map iteration fails the Map', async () => {
    const machine = {
      StartAt: 'Scan',
      States: { Scan: { Type: 'Map', ItemsPath: '$', MaxConcurrency: 2, ItemProcessor: { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 30, End: true } } }, End: true } },
    };
    const slow = deferred();
    const { doc } = await runMachine(machine, ['slow', 'bad'], {
      Probe: async (host) => {
        if (host === 'bad') throw fail('ProbeFailed', 'host bad refused');
        await slow.promise;
        return 'ok';
      },
    });
    slow.resolve();
    const starts = doc.events.filter((e) => e.type === 'MapIterationStarted');
    const slowLane = lane(doc.events, starts[0] as ExecutionHistoryEvent);
    const badLane = lane(doc.events, starts[1] as ExecutionHistoryEvent);
    expect(types(slowLane)).toEqual(['MapIterationStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskStateAborted', 'MapIterationAborted']);
    expect(types(badLane).slice(0, 5)).toEqual(['MapIterationStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed']);
    expect(badLane[4]?.taskFailedEventDetails).toMatchObject({ error: 'ProbeFailed', cause: 'host bad refused' });
    expect(types(doc.events).slice(-2)).toEqual(['MapStateFailed', 'ExecutionFailed']);
    expect(doc.status).toBe('FAILED');
  });

  it('keeps nested Map iterations apart: each inner task sits under the outer iteration whose data it got', async () => {
    const machine = {
      StartAt: 'Groups',
      States: {
        Groups: {
          Type: 'Map',
          ItemsPath: '$.groups',
          MaxConcurrency: 2,
          ItemProcessor: {
            StartAt: 'Hosts',
            States: {
              Hosts: {
                Type: 'Map',
                ItemsPath: '$.hosts',
                MaxConcurrency: 2,
                ItemSelector: { 'host.$': '$$.Map.Item.Value', 'group.$': '$.name' },
                ItemProcessor: { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 30, End: true } } },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const groups = [
      { name: 'g1', hosts: ['a', 'b'] },
      { name: 'g2', hosts: ['c', 'd'] },
    ];
    const { doc } = await runMachine(machine, { groups }, { Probe: async (input) => ({ probed: input }) });
    expect(doc.status).toBe('SUCCEEDED');
    const byId = new Map(doc.events.map((e) => [e.id, e]));
    const outerIndexOf = (e: ExecutionHistoryEvent): number | undefined => {
      for (let at: ExecutionHistoryEvent | undefined = e; at !== undefined; at = byId.get(at.previousEventId)) {
        if (at.type === 'MapIterationStarted' && at.mapIterationStartedEventDetails?.name === 'Groups') return at.mapIterationStartedEventDetails.index;
      }
      return undefined;
    };
    const scheduled = doc.events.filter((e) => e.type === 'TaskScheduled');
    expect(scheduled).toHaveLength(4);
    for (const e of scheduled) {
      const params = parse(e.taskScheduledEventDetails?.parameters) as { group: string; host: string };
      const outer = outerIndexOf(e);
      expect(outer).toBeDefined();
      expect(groups[outer ?? -1]?.name).toBe(params.group);
      expect(groups[outer ?? -1]?.hosts).toContain(params.host);
    }
    expect(doc.events.filter((e) => e.localDetails?.laneUncertain)).toEqual([]);
  });

  it('records an aborted execution with its waiting task aborted', async () => {
    const callbacks = new LocalTaskCallbacks();
    const machine = { StartAt: 'RequestApproval', States: { RequestApproval: { Type: 'Task', Resource: `${LAMBDA}.waitForTaskToken`, TimeoutSeconds: 3600, End: true } } };
    let abort: () => void = () => undefined;
    const { doc } = await runMachine(machine, {}, { RequestApproval: () => callbacks.register('token-1') as Promise<null> }, {
      whileRunning: (a) => {
        abort = a;
      },
      onEvent: (ev) => {
        if (ev.type === 'StateEntered') abort();
      },
    });
    // Answering clears the runner's own timeout timer for the task.
    callbacks.close();
    expect(types(doc.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskStateAborted', 'ExecutionAborted']);
    expect(doc.status).toBe('ABORTED');
  });

  it('marks task events of handlers it did not wrap, taking the state input and output instead', async () => {
    const machine = { StartAt: 'Raw', States: { Raw: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 30, ResultPath: '$.r', End: true } } };
    const { doc } = await runMachine(machine, { a: 1 }, {}, { raw: { Raw: () => 'done' } });
    const scheduled = doc.events.find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.localDetails?.uninstrumented).toBe(true);
    expect(parse(scheduled?.taskScheduledEventDetails?.parameters)).toEqual({ a: 1 });
  });

  it('refuses to instrument or note states the definition does not have, and a document before the start', () => {
    const recorder = new ExecutionRecorder({ definition: incidentLike, stateMachineName: 'm', executionName: 'e' });
    expect(() => recorder.instrument({ Nope: () => null })).toThrow(RecorderError);
    expect(() => recorder.instrument({ ByKind: () => null })).toThrow(/not a Task state/);
    expect(() => recorder.note('Nope', 'x')).toThrow(RecorderError);
    expect(() => recorder.document()).toThrow(/has not started/);
    expect(recorder.status).toBe('RUNNING');
  });
});
