/**
 * Stopping the local engine (what an interrupted `flowir run` does), on a small real state machine:
 * stopped executions end ABORTED, run no Task after the stop (the runner would retry a failed one),
 * have their clean-up wait for a Task still running, and no execution starts once it stops.
 */
import { LocalTaskCallbacks } from '../../../local/adapters/task-callbacks';
import { ExecutionStoppedError, LocalStepFunctions, type ExecutionRecord, type TaskFn } from '../../../local/runtime/engine';

const MACHINE = {
  StartAt: 'Work',
  States: {
    // A Retry on every error: after the stop, the runner would call Work again at once.
    Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', TimeoutSeconds: 3600, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 1 }], Next: 'After' },
    After: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:after', TimeoutSeconds: 60, End: true },
  },
};

function engineWith(tasks: (name: string) => Record<string, TaskFn>, ended: Array<{ name: string; status: string; at: number }>): LocalStepFunctions {
  const engine = new LocalStepFunctions({
    tasksFor: (ctx) => tasks(ctx.name),
    retryIntervalOverrides: { Work: 0 },
    onEnd: (e: ExecutionRecord) => {
      ended.push({ name: e.name, status: e.status, at: Date.now() });
    },
  });
  engine.register('m', MACHINE);
  return engine;
}

describe('stopping the local engine', () => {
  it('ends running executions ABORTED, runs nothing after the stop, and starts nothing more', async () => {
    const callbacks = new LocalTaskCallbacks();
    const calls: string[] = [];
    const ended: Array<{ name: string; status: string; at: number }> = [];
    const engine = engineWith(
      (name) => ({
        Work: async () => {
          calls.push(`${name}:Work`);
          return callbacks.register(`${name}-${calls.length}`);
        },
        After: async () => {
          calls.push(`${name}:After`);
          return {};
        },
      }),
      ended,
    );
    engine.start('m', 'a', {});
    engine.start('m', 'b', {});
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(['a:Work', 'b:Work']);

    const stopped = engine.stopAll();
    expect(stopped.map((e) => e.name)).toEqual(['a', 'b']);
    // The waiting tasks fail (their run stopped): the Retry would call Work again, the engine refuses.
    callbacks.close();
    await engine.idle();
    expect(ended.map((e) => [e.name, e.status])).toEqual([
      ['a', 'ABORTED'],
      ['b', 'ABORTED'],
    ]);
    expect(calls).toEqual(['a:Work', 'b:Work']);
    expect(() => engine.start('m', 'c', {})).toThrow(ExecutionStoppedError);
    // A task that registers after the close does not wait for an answer nobody can give.
    await expect(callbacks.register('late')).rejects.toMatchObject({ name: 'States.Runtime' });
    expect(callbacks.state('late')).toBe('closed');
  });

  it("waits for a stopped execution's running Task before its clean-up, so the clean-up sees what the Task did", async () => {
    const ended: Array<{ name: string; status: string; at: number }> = [];
    let finish!: () => void;
    let finishedAt = 0;
    const engine = engineWith(
      () => ({
        Work: () =>
          new Promise<unknown>((resolve) => {
            finish = () => {
              finishedAt = Date.now();
              resolve({});
            };
          }),
        After: async () => ({}),
      }),
      ended,
    );
    const record = engine.start('m', 'x', {});
    await new Promise((r) => setTimeout(r, 30));
    engine.stopAll();
    await new Promise((r) => setTimeout(r, 60));
    expect(ended).toEqual([]);
    finish();
    await record.done;
    expect(ended.map((e) => [e.name, e.status])).toEqual([['x', 'ABORTED']]);
    expect(ended[0]?.at ?? 0).toBeGreaterThanOrEqual(finishedAt);
  });
});
