import { DefinitionIndex, HistoryDefinitionError, taskResource } from '../../../local/history/definition';

describe('taskResource', () => {
  it.each([
    ['arn:aws:states:::lambda:invoke', 'lambda', 'invoke'],
    ['arn:aws:states:::lambda:invoke.waitForTaskToken', 'lambda', 'invoke.waitForTaskToken'],
    ['arn:aws:states:::aws-sdk:cloudwatchlogs:startQuery', 'aws-sdk:cloudwatchlogs', 'startQuery'],
    ['arn:aws:states:::states:startExecution', 'states', 'startExecution'],
    ['arn:aws:states:::states:startExecution.sync:2', 'states', 'startExecution.sync:2'],
    ['arn:aws:states:::athena:startQueryExecution.sync', 'athena', 'startQueryExecution.sync'],
    ['arn:aws:lambda:us-east-1:123456789012:function:flowir-evidence', 'lambda', 'arn:aws:lambda:us-east-1:123456789012:function:flowir-evidence'],
  ])('%s → %s / %s', (arn, resourceType, resource) => {
    expect(taskResource(arn)).toEqual({ resourceType, resource });
  });
});

describe('DefinitionIndex', () => {
  const definition = {
    StartAt: 'M',
    States: {
      M: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 9, Next: 'C' }, C: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'D' }], Default: 'E' }, D: { Type: 'Succeed' }, E: { Type: 'Fail' } } }, Next: 'P' },
      P: { Type: 'Parallel', Branches: [{ StartAt: 'B0', States: { B0: { Type: 'Pass', End: true } } }, { StartAt: 'B1', States: { B1: { Type: 'Pass', End: true } } }], End: true },
    },
  };

  it('knows each state’s scope, exits and task settings, nested ones included', () => {
    const index = new DefinitionIndex(definition);
    expect(index.state('T')).toMatchObject({ type: 'Task', scope: { kind: 'map', container: 'M' }, next: ['C'], timeoutSeconds: 9 });
    expect(index.state('C')?.next).toEqual(['E', 'D']);
    expect(index.state('B1')?.scope).toEqual({ kind: 'branch', container: 'P', branch: 1 });
    expect(index.startAt({ kind: 'map', container: 'M' })).toBe('T');
  });

  it('refuses a definition that reuses a state name, or is not ASL', () => {
    const twice = { StartAt: 'A', States: { A: { Type: 'Map', ItemProcessor: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }, End: true } } };
    expect(() => new DefinitionIndex(twice)).toThrow(HistoryDefinitionError);
    expect(() => new DefinitionIndex({ States: {} })).toThrow(/expected an ASL machine/);
  });
});
