import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { INCIDENT_TASKS, INCIDENT_WAITS, type Outcome } from './contract';
import { catchAll, invoke, standardStateMachine, TRANSIENT_LAMBDA_ERRORS } from './tasks';

/** The Lambda functions the incident workflow calls, one per handler. */
export interface IncidentFunctions {
  readonly evidence: lambda.IFunction;
  readonly notify: lambda.IFunction;
  readonly policy: lambda.IFunction;
  readonly requestApproval: lambda.IFunction;
  readonly block: lambda.IFunction;
  readonly ticket: lambda.IFunction;
  readonly release: lambda.IFunction;
}

export interface IncidentDefinitionProps {
  readonly functions: IncidentFunctions;
  /**
   * How long an approver has to decide; then the incident escalates with no containment. A fixed
   * TimeoutSeconds (not a path): the timeout is policy, set at deploy time with the rest of it.
   * @default 1 hour
   */
  readonly approvalTimeout?: Duration;
}

const EXECUTION_NAME = '$$.Execution.Name';

/**
 * The incident workflow: evidence → notice → policy → (approval) → block → ticket → wait for
 * expiry → release → close. Every outcome ends in `Close` with the same output shape; a failure is
 * recorded, any block already placed is released, and the execution fails so that it is counted.
 */
export function incidentDefinition(scope: Construct, props: IncidentDefinitionProps): sfn.IChainable {
  const f = props.functions;
  const mark = (outcome: Outcome): sfn.Pass => new sfn.Pass(scope, `Mark${outcome.charAt(0)}${outcome.slice(1).toLowerCase().replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())}`, { result: sfn.Result.fromString(outcome), resultPath: '$.outcome' });

  const init = new sfn.Pass(scope, 'Open', {
    comment: 'Every field of the output exists from the start, so later states can read it whatever the path',
    // CDK drops literal nulls from Parameters; the intrinsic keeps each field present and null.
    parameters: Object.fromEntries([
      ['finding.$', '$.finding'],
      ...['outcome', 'evidence', 'notice', 'policy', 'decision', 'containment', 'release', 'ticket', 'error'].map((k) => [`${k}.$`, "States.StringToJson('null')"]),
    ]) as Record<string, string>,
  });

  // Failure path: release anything already blocked, tell the critical topic, fail the execution.
  const failed = new sfn.Fail(scope, 'IncidentFailed', { error: 'IncidentFailed', cause: 'A step failed after its retries; the failure and its cause are in the history (TaskFailed / caught error)' });
  const notifyFailure = invoke(scope, INCIDENT_TASKS.notifyFailure, f.notify, {
    payload: { kind: 'failure', 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME), 'error.$': '$.error' },
    resultPath: '$.failureNotice',
    timeout: Duration.seconds(30),
  });
  notifyFailure.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.notifyError' });
  notifyFailure.next(failed);
  const releaseAfterFailure = invoke(scope, INCIDENT_TASKS.releaseAfterFailure, f.release, {
    payload: { 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME) },
    resultPath: '$.release',
    comment: 'No orphan blocks: whatever this execution blocked is removed before it fails',
  });
  releaseAfterFailure.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: '$.releaseError' });
  const recordFailure = new sfn.Pass(scope, 'RecordFailure', { result: sfn.Result.fromString('FAILED'), resultPath: '$.outcome' });
  recordFailure.next(releaseAfterFailure).next(notifyFailure);

  const close = new sfn.Pass(scope, 'Close', {
    parameters: {
      'outcome.$': '$.outcome',
      'finding.$': '$.finding',
      'evidence.$': '$.evidence',
      'decision.$': '$.decision',
      'policy.$': '$.policy',
      'containment.$': '$.containment',
      'release.$': '$.release',
      'ticket.$': '$.ticket',
    },
  });
  close.next(new sfn.Succeed(scope, 'Closed'));

  const evidence = invoke(scope, INCIDENT_TASKS.evidence, f.evidence, {
    payload: { 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME) },
    resultPath: '$.evidence',
    timeout: Duration.minutes(10),
    comment: 'Raw records, query, security groups and an exact re-count, hashed into a manifest',
  });
  catchAll(evidence, recordFailure);

  const notify = invoke(scope, INCIDENT_TASKS.notify, f.notify, {
    payload: { kind: 'finding', 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME), 'evidence.$': '$.evidence' },
    resultPath: '$.notice',
    timeout: Duration.seconds(30),
  });
  catchAll(notify, recordFailure);

  const policy = invoke(scope, INCIDENT_TASKS.policy, f.policy, {
    payload: { 'finding.$': '$.finding', 'evidence.$': '$.evidence' },
    resultPath: '$.policy',
    timeout: Duration.seconds(30),
  });
  catchAll(policy, recordFailure);

  const ticket = invoke(scope, INCIDENT_TASKS.ticket, f.ticket, {
    payload: {
      'finding.$': '$.finding',
      executionName: sfn.JsonPath.stringAt(EXECUTION_NAME),
      'outcome.$': '$.outcome',
      'evidence.$': '$.evidence',
      'decision.$': '$.decision',
      'containment.$': '$.containment',
    },
    resultPath: '$.ticket',
    timeout: Duration.seconds(60),
    comment: 'Security-group review ticket (OpsCenter OpsItem), one per incident',
  });
  catchAll(ticket, recordFailure);

  const release = invoke(scope, INCIDENT_TASKS.release, f.release, {
    payload: { 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME) },
    resultPath: '$.release',
    timeout: Duration.seconds(120),
    retryOn: ['IpSetBusyError', 'NetworkAclBusyError'],
  });
  catchAll(release, recordFailure);
  const waitForExpiry = new sfn.Wait(scope, INCIDENT_WAITS.expiry, { time: sfn.WaitTime.timestampPath('$.containment.expiresAt'), comment: 'The block expires on its own' });
  const markContained = mark('CONTAINED');
  const afterTicket = new sfn.Choice(scope, 'BlockPlaced')
    .when(sfn.Condition.isNull('$.containment'), close)
    .when(sfn.Condition.stringEquals('$.containment.status', 'blocked'), waitForExpiry.next(release).next(close))
    .otherwise(close);
  ticket.next(afterTicket);

  const block = invoke(scope, INCIDENT_TASKS.block, f.block, {
    payload: { 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME), 'blockSeconds.$': '$.policy.blockSeconds', 'interfaces.$': '$.evidence.summary.interfaces' },
    resultPath: '$.containment',
    timeout: Duration.seconds(120),
    retryOn: ['IpSetBusyError', 'NetworkAclBusyError'],
    comment: 'Add the source to the WAF IP set (read-modify-write with LockToken) and deny it in the targeted subnets\' network ACLs (per-ACL lease), guardrails re-checked',
  });
  catchAll(block, recordFailure);
  const markGuarded = mark('GUARDED');
  markGuarded.next(ticket);
  // CONTAINED only when what was placed stops the detected traffic (BlockOutput.contained): a WAF-only
  // block of a port scan or of SSH is GUARDED, and still waits for its expiry and is released.
  const stopsTraffic = sfn.Condition.and(sfn.Condition.stringEquals('$.containment.status', 'blocked'), sfn.Condition.isPresent('$.containment.contained'), sfn.Condition.booleanEquals('$.containment.contained', true));
  block.next(new sfn.Choice(scope, 'Blocked').when(stopsTraffic, markContained.next(ticket)).otherwise(markGuarded));

  const escalate = invoke(scope, INCIDENT_TASKS.escalate, f.notify, {
    payload: { kind: 'escalation', 'finding.$': '$.finding', executionName: sfn.JsonPath.stringAt(EXECUTION_NAME), 'evidence.$': '$.evidence' },
    resultPath: '$.escalation',
    timeout: Duration.seconds(30),
    comment: 'Nobody decided in time: no containment, tell the critical topic',
  });
  catchAll(escalate, recordFailure);
  const markTimedOut = mark('TIMED_OUT');
  escalate.next(markTimedOut).next(ticket);

  const approval = new tasks.LambdaInvoke(scope, INCIDENT_TASKS.approval, {
    lambdaFunction: f.requestApproval,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      taskToken: sfn.JsonPath.taskToken,
      executionName: sfn.JsonPath.stringAt(EXECUTION_NAME),
      'finding.$': '$.finding',
      'evidence.$': '$.evidence',
      'policy.$': '$.policy',
    }),
    resultPath: '$.decision',
    taskTimeout: sfn.Timeout.duration(props.approvalTimeout ?? Duration.hours(1)),
    comment: 'Signed approval links go out; the approver decision (who, when, comment, from where) is this task output',
    retryOnServiceExceptions: false,
  });
  approval.addRetry({ errors: TRANSIENT_LAMBDA_ERRORS, interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  approval.addCatch(escalate, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' });
  approval.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const markRejected = mark('REJECTED');
  markRejected.next(close);
  approval.next(new sfn.Choice(scope, 'Approved').when(sfn.Condition.stringEquals('$.decision.decision', 'approve'), block).otherwise(markRejected));

  const markNotified = mark('NOTIFIED');
  markNotified.next(ticket);
  const byPolicy = new sfn.Choice(scope, 'ByPolicy')
    .when(sfn.Condition.booleanEquals('$.policy.guard.allowed', false), markGuarded)
    .when(sfn.Condition.stringEquals('$.policy.policy', 'notify'), markNotified)
    .when(sfn.Condition.stringEquals('$.policy.policy', 'auto'), block)
    .otherwise(approval);

  const markUnconfirmed = mark('UNCONFIRMED');
  markUnconfirmed.next(close);
  const confirmed = new sfn.Choice(scope, 'Confirmed').when(sfn.Condition.booleanEquals('$.evidence.confirmed', false), markUnconfirmed).otherwise(notify.next(policy).next(byPolicy));

  return init.next(evidence).next(confirmed);
}

export interface IncidentWorkflowProps extends IncidentDefinitionProps {
  readonly logs: logs.ILogGroup;
  /**
   * Upper bound of one incident: approval wait + block duration + margin.
   * @default 7 days
   */
  readonly timeout?: Duration;
}

/** The incident state machine (Standard: it waits for a person and for the block to expire). */
export class IncidentWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    this.stateMachine = standardStateMachine(this, incidentDefinition(this, props), {
      timeout: props.timeout ?? Duration.days(7),
      logs: props.logs,
      comment: 'flowir incident: evidence, notice, policy, approval, containment that undoes itself',
    });
  }
}

export { tasks };
