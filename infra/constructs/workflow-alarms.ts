import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, Metric, TreatMissingData, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * The execution outcomes that need a person, as Step Functions counts them in the `AWS/States`
 * namespace per `StateMachineArn`: "ExecutionsFailed: The number of failed executions",
 * "ExecutionsTimedOut: The number of executions that time out for any reason", "ExecutionsAborted:
 * The number of aborted or terminated executions"; for count metrics "choose sum as the display
 * statistic" (Step Functions Developer Guide, "Monitoring Step Functions metrics using Amazon
 * CloudWatch": https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html;
 * source awsdocs/aws-step-functions-developer-guide doc_source/procedure-cw-metrics.md).
 */
export const EXECUTION_OUTCOMES = [
  { metricName: 'ExecutionsFailed', slug: 'failed', happened: 'failed' },
  { metricName: 'ExecutionsTimedOut', slug: 'timed-out', happened: 'ran past their timeout' },
  { metricName: 'ExecutionsAborted', slug: 'aborted', happened: 'were stopped (aborted)' },
] as const;

export const STATES_NAMESPACE = 'AWS/States';

export interface WorkflowAlarmsProps {
  /** The state machines to watch, by name (`flowir-<env>-incident`, ...): alarm names start with it. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  /** Where every alarm goes: the CRITICAL topic. */
  readonly alarmTopic: ITopic;
  /**
   * The period each alarm sums its metric over.
   * @default 5 minutes
   */
  readonly period?: Duration;
}

/**
 * An alarm for each state machine and each outcome above, at the first such execution: a detection
 * run that fails leaves its window unexamined, an incident that fails or times out leaves its
 * containment undone or its block for the sweeper, and without these nothing tells anyone. Also one
 * dashboard graph per state machine with the three counts, for a dashboard row (`widgets`).
 */
export class WorkflowAlarms extends Construct {
  /** By state machine name, then by outcome slug (`failed`, `timed-out`, `aborted`). */
  readonly alarms: ReadonlyMap<string, ReadonlyMap<string, Alarm>>;
  readonly widgets: readonly IWidget[];

  constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const alarms = new Map<string, Map<string, Alarm>>();
    const widgets: IWidget[] = [];
    const machines = Object.entries(props.stateMachines);
    for (const [name, stateMachine] of machines) {
      const metric = (outcome: (typeof EXECUTION_OUTCOMES)[number]): Metric =>
        new Metric({ namespace: STATES_NAMESPACE, metricName: outcome.metricName, dimensionsMap: { StateMachineArn: stateMachine.stateMachineArn }, statistic: 'Sum', period });
      const byOutcome = new Map<string, Alarm>();
      for (const outcome of EXECUTION_OUTCOMES) {
        const alarm = new Alarm(this, `${name}-${outcome.slug}`, {
          alarmName: `${name}-executions-${outcome.slug}`,
          alarmDescription: `Executions of ${name} ${outcome.happened} (${outcome.metricName} >= 1 in ${period.toMinutes()} minutes). Read the execution's history in the Step Functions console (or flowir audit --aws) to see which state and why.`,
          metric: metric(outcome),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          // Step Functions reports a count only when such an execution ends: no datapoint is none.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(new SnsAction(props.alarmTopic));
        byOutcome.set(outcome.slug, alarm);
      }
      alarms.set(name, byOutcome);
      widgets.push(
        new GraphWidget({
          title: `${name}: executions failed, timed out, aborted`,
          width: Math.max(6, Math.floor(24 / Math.max(1, machines.length))),
          height: 6,
          left: EXECUTION_OUTCOMES.map((outcome) => metric(outcome).with({ label: outcome.slug })),
          leftYAxis: { label: 'executions', showUnits: false, min: 0 },
          leftAnnotations: [{ value: 1, label: 'critical alarm' }],
        }),
      );
    }
    this.alarms = alarms;
    this.widgets = widgets;
  }
}
