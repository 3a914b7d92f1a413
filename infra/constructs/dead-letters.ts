import { Aws, Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/** SQS's longest retention: the time an operator has to redrive a message before it is gone. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** How often the alarm looks at the queue, and over how many periods. */
export const DEAD_LETTER_ALARM_PERIOD = Duration.minutes(5);

export interface DeadLettersProps {
  readonly envName: string;
  /** Where the alarm goes when anything lands in the queue: the CRITICAL topic (Alerts.critical). */
  readonly alarmTopic: ITopic;
  /**
   * SSE-KMS with this key, whose policy then lets EventBridge use it (EventBridge delivers dead
   * letters as the events service, not as a role a grant could reach).
   * @default SQS-managed SSE (SSE-SQS)
   */
  readonly encryptionKey?: IKey;
}

/**
 * The one queue where events and invocations that failed for good wait to be redriven (EventBridge
 * deliveries that ran out of retries, Lambda async invocations whose retries all failed), with a
 * critical alarm as soon as one message is there: without it such failures are dropped silently.
 */
export class DeadLetters extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLettersProps) {
    super(scope, id);
    const queueName = `flowir-${props.envName}-dead-letters`;
    this.queue = new Queue(this, 'Queue', {
      queueName,
      retentionPeriod: DEAD_LETTER_RETENTION,
      enforceSSL: true,
      ...(props.encryptionKey ? { encryption: QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey } : { encryption: QueueEncryption.SQS_MANAGED }),
    });
    acknowledge(this.queue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the EventBridge targets and Lambda async invocations; a dead-letter queue of a dead-letter queue would only move the same messages further from the alarm.');
    props.encryptionKey?.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgeDeadLetters',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.alarm = new Alarm(this, 'Alarm', {
      alarmName: queueName,
      alarmDescription: `A message is waiting in ${queueName}: an event or invocation failed for good (a finished execution's history not exported, or an ended incident's blocks not released). Redrive it, then delete it.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: DEAD_LETTER_ALARM_PERIOD, statistic: Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // SQS stops reporting a queue that has been idle for hours: no data means nothing is waiting.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
