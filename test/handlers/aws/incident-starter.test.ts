import { ExecutionAlreadyExists, ExecutionLimitExceeded, InvalidExecutionInput, InvalidName, SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { makeFinding } from '../../../core/detection/findings';
import { toFindingData } from '../../../core/incident';
import { SfnIncidentStarter } from '../../../handlers/aws/incident-starter';
import { IncidentAlreadyStartedError } from '../../../handlers/ports';
import type { FindingDoc } from '../../../workflows/contract';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:flowir-dev-incident';
const window = { start: 1763802000, end: 1763805600 };
const finding = toFindingData(makeFinding(DEFAULT_CONFIG, 'PORT_SCAN', '203.0.113.50', null, 171, window)) as FindingDoc;
const NAME = 'PORT_SCAN-203-0-113-50-1763805600';

/**
 * StartExecution on a Standard state machine behind aws-sdk-client-mock, with the API's rules
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html, and the
 * SDK's ExecutionAlreadyExists: "Executions with the same name and input are considered
 * idempotent"): a name is used once per state machine; while that execution is open, a call with the
 * same name and identical input returns it again (its ARN and start date) and one with other input is
 * ExecutionAlreadyExists; once it has closed, the name is ExecutionAlreadyExists whatever the input
 * (for 90 days). The input must be JSON; a name is 1 to 80 characters without whitespace, brackets,
 * wildcards or the special characters listed there, InvalidName otherwise.
 */
function fakeStepFunctions(stateMachines: readonly string[]) {
  const mock = mockClient(SFNClient);
  const executions = new Map<string, { input: string; startDate: Date; open: boolean }>();
  let clock = Date.parse('2025-11-22T10:01:00Z');
  mock.on(StartExecutionCommand).callsFake((input: { stateMachineArn?: string; name?: string; input?: string }) => {
    const machine = input.stateMachineArn ?? '';
    if (!stateMachines.includes(machine)) throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${machine}'`, $metadata: { httpStatusCode: 400 } });
    const name = input.name ?? '';
    if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) throw new InvalidName({ message: `Invalid Name: '${name}'`, $metadata: { httpStatusCode: 400 } });
    const body = input.input ?? '{}';
    try {
      JSON.parse(body);
    } catch {
      throw new InvalidExecutionInput({ message: 'Invalid State Machine Execution Input', $metadata: { httpStatusCode: 400 } });
    }
    const arn = `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = executions.get(arn);
    if (existing !== undefined) {
      if (existing.open && existing.input === body) return { executionArn: arn, startDate: existing.startDate };
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${arn}'`, $metadata: { httpStatusCode: 400 } });
    }
    const startDate = new Date((clock += 1000));
    executions.set(arn, { input: body, startDate, open: true });
    return { executionArn: arn, startDate };
  });
  return {
    mock,
    executions,
    client: new SFNClient({ region: 'us-east-1' }),
    close: (arn: string) => {
      const e = executions.get(arn);
      if (e === undefined) throw new Error(`no execution ${arn}`);
      e.open = false;
    },
  };
}

describe('SfnIncidentStarter', () => {
  let sfn: ReturnType<typeof fakeStepFunctions>;
  let starter: SfnIncidentStarter;
  beforeEach(() => {
    sfn = fakeStepFunctions([MACHINE]);
    starter = new SfnIncidentStarter(sfn.client, MACHINE);
  });
  afterEach(() => sfn.mock.restore());

  it('starts an execution of the incident state machine by the finding’s name, its input the finding as JSON', async () => {
    await expect(starter.start(NAME, { finding })).resolves.toEqual({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:flowir-dev-incident:${NAME}` });
    expect(sfn.mock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn.mock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: MACHINE, name: NAME, input: JSON.stringify({ finding }) });
    const sent = sfn.mock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(JSON.parse(sent?.input ?? 'null')).toEqual({ finding });
  });

  it('gets the same execution back from a retried start while it runs (same name, same input)', async () => {
    const first = await starter.start(NAME, { finding });
    await expect(starter.start(NAME, { finding })).resolves.toEqual(first);
    expect(sfn.executions.size).toBe(1);
  });

  it('says the incident is already started when the name is taken: by an execution that has ended, or with other input', async () => {
    const { executionArn } = await starter.start(NAME, { finding });
    // The same finding with another value (late records, a re-run of the window) is other input.
    const other = starter.start(NAME, { finding: { ...finding, value: 180 } });
    await expect(other).rejects.toBeInstanceOf(IncidentAlreadyStartedError);
    await expect(other).rejects.toThrow(`${NAME}: Execution Already Exists: '${executionArn}'`);

    sfn.close(executionArn);
    const ended = starter.start(NAME, { finding });
    await expect(ended).rejects.toBeInstanceOf(IncidentAlreadyStartedError);
    // The SDK's error is kept as the cause.
    await expect(ended).rejects.toMatchObject({ cause: expect.any(ExecutionAlreadyExists) });
  });

  it('maps an ExecutionAlreadyExists constructed as the SDK does', async () => {
    sfn.mock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists: x', $metadata: {} }));
    const run = starter.start(NAME, { finding });
    await expect(run).rejects.toBeInstanceOf(IncidentAlreadyStartedError);
    await expect(run).rejects.toThrow(`${NAME}: Execution Already Exists: x`);
  });

  it.each<[string, Error]>([
    ['the running-executions limit', new ExecutionLimitExceeded({ message: 'Maximum number of running executions reached', $metadata: { httpStatusCode: 400 } })],
    ['a state machine that does not exist', new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: { httpStatusCode: 400 } })],
  ])('passes other errors on unchanged: %s', async (_what, error) => {
    sfn.mock.on(StartExecutionCommand).rejects(error);
    await expect(starter.start(NAME, { finding })).rejects.toBe(error);
  });

  it('passes on a refused name (the names it is given are made valid by core/incident)', async () => {
    await expect(starter.start('PORT_SCAN:203.0.113.50', { finding })).rejects.toBeInstanceOf(InvalidName);
  });

  it('refuses a response without an execution ARN', async () => {
    sfn.mock.on(StartExecutionCommand).resolves({});
    await expect(starter.start(NAME, { finding })).rejects.toThrow(`StartExecution ${NAME}: no executionArn in the response`);
  });
});
