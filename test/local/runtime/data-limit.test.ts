import { executionNameProblem, LocalStepFunctions, MAX_PAYLOAD_BYTES, type LocalEvent, type TaskFn } from '../../../local/runtime/engine';
import type { AslDefinition } from '../../../workflows/resolve';

// A task with a Catch on States.ALL: on AWS it still cannot catch States.DataLimitExceeded
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
const definition = {
  StartAt: 'Big',
  States: {
    Big: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:big', 'Payload.$': '$' }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true },
    Caught: { Type: 'Pass', End: true },
  },
} as unknown as AslDefinition;

async function run(big: TaskFn, input: unknown = { n: 1 }) {
  const events: LocalEvent[] = [];
  const engine = new LocalStepFunctions({ tasksFor: () => ({ Big: big }), onEvent: (_r, e) => events.push(e) });
  engine.register('m', definition);
  const execution = engine.start('m', 'e1', input);
  await engine.idle();
  return { execution, events, entered: events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name) };
}

describe('the local engine enforces Step Functions payload limit as AWS does', () => {
  it('a task result over 262,144 bytes fails the execution with States.DataLimitExceeded, past its Catch', async () => {
    const { execution, events, entered } = await run(async () => ({ rows: 'x'.repeat(MAX_PAYLOAD_BYTES) }));
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toContain("'Big' returned a result with a size exceeding the maximum number of bytes service limit");
    expect(entered).not.toContain('Caught');
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', Error: 'States.DataLimitExceeded' });
  });

  it('exactly the limit passes: the rule is "more than 262,144 bytes"', async () => {
    // {"rows":"xxx…"} is 11 bytes of JSON around the string.
    const { execution } = await run(async () => ({ rows: 'x'.repeat(MAX_PAYLOAD_BYTES - 11) }));
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const { execution } = await run(async () => ({ rows: 'é'.repeat(MAX_PAYLOAD_BYTES / 2) }));
    expect(execution.error).toBe('States.DataLimitExceeded');
  });

  it('an execution input over the limit fails at the first state that takes it', async () => {
    const { execution } = await run(async () => ({}), { blob: 'y'.repeat(MAX_PAYLOAD_BYTES) });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
  });
});

describe('the local engine refuses the execution names Step Functions refuses', () => {
  const engine = new LocalStepFunctions({ tasksFor: () => ({ Big: async () => ({}) }) });
  engine.register('m', definition);

  it.each([
    ['81 characters', 'a'.repeat(81)],
    ['empty', ''],
    ['a colon (a raw finding id)', 'PORT_SCAN:203.0.113.50:1763805600'],
    ['a space', 'PORT SCAN'],
    ['a control character', 'PORT\u0007SCAN'],
  ])('%s: StepFunctions.InvalidNameException', (_what, name) => {
    expect(() => engine.start('m', name, {})).toThrow(expect.objectContaining({ name: 'StepFunctions.InvalidNameException' }));
  });

  it('takes what flowir names its executions (80 characters of letters, digits, - and _)', async () => {
    expect(executionNameProblem('PORT_SCAN-2001-db8-bad--50-1763805600')).toBeUndefined();
    expect(executionNameProblem('x'.repeat(80))).toBeUndefined();
    engine.start('m', 'PORT_SCAN-203-0-113-50-1763805600', {});
    await engine.idle();
  });
});

describe('a state output over the limit in the last state', () => {
  // A Pass state that builds its output from the input, and ends the execution: the runner may be
  // done before the abort takes hold, and the execution must still end FAILED, its history too.
  const last = {
    StartAt: 'Grow',
    States: { Grow: { Type: 'Pass', Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, End: true } },
  } as unknown as AslDefinition;

  it('fails the execution with States.DataLimitExceeded, and its last event says so', async () => {
    const events: LocalEvent[] = [];
    const engine = new LocalStepFunctions({ tasksFor: () => ({}), onEvent: (_r, e) => events.push(e) });
    engine.register('last', last);
    const execution = engine.start('last', 'e-last', { blob: 'z'.repeat(MAX_PAYLOAD_BYTES / 2) });
    await engine.idle();
    expect([execution.status, execution.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(events.filter((e) => e.type.startsWith('Execution') && e.type !== 'ExecutionStarted')).toEqual([expect.objectContaining({ type: 'ExecutionFailed', Error: 'States.DataLimitExceeded' })]);
  });
});
