import { Duration } from 'aws-cdk-lib';
import { EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DetectionGroup } from '../../core/detection/rules';
import { FINISHED_STATUSES } from '../../handlers/export-history';
import { ENDED_WITHOUT_RELEASE } from '../../handlers/sweep-expired';
import { DeadLetters } from './dead-letters';

/** How often the sweeper releases expired blocks, whatever happened to their executions. */
export const SWEEP_EVERY = Duration.minutes(15);

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export interface WorkflowSchedulesProps {
  readonly envName: string;
  readonly detections: Readonly<Record<DetectionGroup, { readonly stateMachine: IStateMachine; readonly everyMinutes: number }>>;
  readonly incident: IStateMachine;
  readonly exportHistory: IFunction;
  readonly sweepExpired: IFunction;
  /** Told when an export or a release failed for good (a message waits in the dead-letter queue): the CRITICAL topic. */
  readonly deadLetterAlarmTopic: ITopic;
}

/** Lambda's own retries of an async invocation (its default, stated) before the event goes to the dead-letter queue. */
export const ASYNC_RETRY_ATTEMPTS = 2;

/**
 * What starts things: one schedule per detection group, the export of every finished execution's
 * history, the release of blocks held by incident executions that ended without releasing them
 * (stopped by hand, failed, timed out), and a periodic sweep of expired blocks. An export or a
 * release that fails for good, in delivery or in the function, lands in the dead-letter queue and
 * raises a critical alarm.
 */
export class WorkflowSchedules extends Construct {
  readonly detectionRules: Readonly<Record<DetectionGroup, Rule>>;
  readonly executionFinished: Rule;
  readonly incidentEndedWithoutRelease: Rule;
  readonly sweep: Rule;
  readonly deadLetters: DeadLetters;

  constructor(scope: Construct, id: string, props: WorkflowSchedulesProps) {
    super(scope, id);
    const name = (suffix: string): string => `flowir-${props.envName}-${suffix}`;
    const rules: Partial<Record<DetectionGroup, Rule>> = {};
    for (const group of Object.keys(props.detections) as DetectionGroup[]) {
      const { stateMachine, everyMinutes } = props.detections[group];
      rules[group] = new Rule(this, `Detect-${group}`, {
        ruleName: name(`detect-${group}`),
        description: `Starts the ${group} detection every ${everyMinutes} minutes`,
        schedule: Schedule.rate(Duration.minutes(everyMinutes)),
        // PlanWindow derives the window from the scheduled time; an input "window" (even null)
        // would be taken as an explicit window, so the key is left out.
        targets: [new SfnStateMachine(stateMachine, { input: RuleTargetInput.fromObject({ group, scheduledTime: EventField.time }), retryAttempts: 8, maxEventAge: Duration.hours(1) })],
      });
    }
    this.detectionRules = rules as Record<DetectionGroup, Rule>;

    this.deadLetters = new DeadLetters(this, 'DeadLetters', { envName: props.envName, alarmTopic: props.deadLetterAlarmTopic });
    const deadLetterQueue = this.deadLetters.queue;
    for (const fn of [props.exportHistory, props.sweepExpired]) {
      fn.configureAsyncInvoke({ onFailure: new SqsDestination(deadLetterQueue), retryAttempts: ASYNC_RETRY_ATTEMPTS });
    }

    const machines = [props.incident, ...Object.values(props.detections).map((d) => d.stateMachine)];
    this.executionFinished = new Rule(this, 'ExecutionFinished', {
      ruleName: name('execution-finished'),
      description: 'Exports the history of every finished flowir execution to the evidence bucket',
      eventPattern: {
        source: ['aws.states'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { status: [...FINISHED_STATUSES], stateMachineArn: machines.map((m) => m.stateMachineArn) },
      },
      targets: [new LambdaFunction(props.exportHistory, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue })],
    });
    this.incidentEndedWithoutRelease = new Rule(this, 'IncidentEndedWithoutRelease', {
      ruleName: name('incident-ended-without-release'),
      description: 'Releases the blocks of an incident execution that ended ABORTED, FAILED or TIMED_OUT',
      eventPattern: {
        source: ['aws.states'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { status: [...ENDED_WITHOUT_RELEASE], stateMachineArn: [props.incident.stateMachineArn] },
      },
      targets: [new LambdaFunction(props.sweepExpired, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue })],
    });
    // No dead-letter queue for the schedule: a tick that is not delivered is made good by the next
    // one, 15 minutes later. A sweep that fails in the function still reaches the queue (above).
    this.sweep = new Rule(this, 'SweepExpired', {
      ruleName: name('sweep-expired-blocks'),
      description: `Releases expired blocks every ${SWEEP_EVERY.toMinutes()} minutes`,
      schedule: Schedule.rate(SWEEP_EVERY),
      targets: [new LambdaFunction(props.sweepExpired, { retryAttempts: 2, maxEventAge: Duration.minutes(15) })],
    });
  }
}
