import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { EXECUTION_OUTCOMES, WorkflowAlarms } from '../../../infra/constructs/workflow-alarms';
import { build, idOf, TestApp } from '../synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/**
 * The state machines of a template that lack an alarm, on `topic`, for one of the three outcomes
 * (`<logical id> <metric>`): empty when every machine is watched.
 */
function unwatched(template: Template, topic: string): string[] {
  const resources = template.toJSON().Resources as Resources;
  const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine').map(([id]) => id);
  return machines.flatMap((machine) =>
    EXECUTION_OUTCOMES.filter(
      (o) =>
        !alarms.some(
          (a) =>
            a.Namespace === 'AWS/States' &&
            a.MetricName === o.metricName &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: machine } }]) &&
            JSON.stringify(a.AlarmActions) === JSON.stringify([{ Ref: topic }]),
        ),
    ).map((o) => `${machine} ${o.metricName}`),
  );
}

describe('the workflow alarms', () => {
  const { stack, template } = build({ envName: 'prod', approverEmails: 'alice@example.com' });
  const critical = idOf(stack, stack.alerts.critical);
  const w = stack.workflows;
  const machines = [
    ['flowir-prod-detection-security', w.detections.security.stateMachine],
    ['flowir-prod-detection-anomaly', w.detections.anomaly.stateMachine],
    ['flowir-prod-incident', w.incident.stateMachine],
  ] as const;

  it('watch every state machine of the stack for failed, timed-out and aborted executions, on the critical topic', () => {
    expect(unwatched(template, critical)).toEqual([]);
  });

  it.each(machines.flatMap(([name, machine]) => EXECUTION_OUTCOMES.map((o) => [`${name}-executions-${o.slug}`, o.metricName, machine] as const)))('%s: %s >= 1 in 5 minutes, missing data not breaching', (alarmName, metricName, machine) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName,
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: idOf(stack, machine) } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: critical }],
    });
  });

  it('are nine: three outcomes of three state machines', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States' } }))).toHaveLength(9);
  });
});

describe('WorkflowAlarms on its own', () => {
  // In a TestApp: a Stack of its own would make an App that leaves a cdk.out* in the temp folder.
  const stack = new Stack(new TestApp(), 'Alone');
  const topic = new Topic(stack, 'Topic');
  const machine = new StateMachine(stack, 'Machine', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Step')) });
  const alarms = new WorkflowAlarms(stack, 'Alarms', { stateMachines: { 'flowir-test-m': machine }, alarmTopic: topic });
  const template = Template.fromStack(stack);

  const topicId = stack.getLogicalId(topic.node.defaultChild as CfnElement);

  it('alarm each outcome once, and graph them in one widget per state machine', () => {
    expect(unwatched(template, topicId)).toEqual([]);
    expect([...(alarms.alarms.get('flowir-test-m')?.keys() ?? [])]).toEqual(['failed', 'timed-out', 'aborted']);
    expect(alarms.widgets).toHaveLength(1);
  });

  it('the check finds a state machine left out of them (the non-compliant case)', () => {
    const other = new Stack(new TestApp(), 'Other');
    const t = new Topic(other, 'Topic');
    const watched = new StateMachine(other, 'Watched', { definitionBody: DefinitionBody.fromChainable(new Pass(other, 'A')) });
    const forgotten = new StateMachine(other, 'Forgotten', { definitionBody: DefinitionBody.fromChainable(new Pass(other, 'B')) });
    new WorkflowAlarms(other, 'Alarms', { stateMachines: { watched }, alarmTopic: t });
    const forgottenId = other.getLogicalId(forgotten.node.defaultChild as CfnElement);
    expect(unwatched(Template.fromStack(other), other.getLogicalId(t.node.defaultChild as CfnElement))).toEqual(EXECUTION_OUTCOMES.map((o) => `${forgottenId} ${o.metricName}`));
  });
});
