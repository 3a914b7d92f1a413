import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DETECTION_TASKS, DETECTION_WAITS, QUERY_ROW_LIMIT } from './contract';
import { invoke, standardStateMachine, TRANSIENT_LAMBDA_ERRORS } from './tasks';

export type DetectionEngine = 'logs-insights' | 'athena';

export interface AthenaTarget {
  readonly workGroup: string;
  readonly database: string;
  /** ARNs the state machine may run queries in (ToFindings, not the state machine, reads the results). */
  readonly workGroupArn: string;
  readonly resultsBucketArn: string;
  readonly archiveBucketArn: string;
  readonly glueCatalogArns: readonly string[];
}

export interface DetectionDefinitionProps {
  readonly engine: DetectionEngine;
  readonly planFunction: lambda.IFunction;
  readonly findingsFunction: lambda.IFunction;
  /** Opens the incident executions of one batch of new findings (handlers/start-incidents.ts). */
  readonly startIncidentsFunction: lambda.IFunction;
  /** The flow-log group (engine logs-insights). */
  readonly logGroup?: logs.ILogGroup;
  /** The archive table (engine athena). */
  readonly athena?: AthenaTarget;
  /**
   * Polls of the query before a rule is recorded as failed; bounds the history
   * (Standard workflows stop at 25,000 events).
   * @default 60
   */
  readonly maxPolls?: number;
  /** @default 5 seconds */
  readonly pollInterval?: Duration;
}

/**
 * The detection workflow: plan the window, run each rule's query (bounded poll), turn its result into
 * findings (allowlist, suppression, metrics; ToFindings files them in the evidence store), and open
 * one incident execution per new finding, a batch of at most 100 per StartIncidents call. Nothing
 * that grows with the number of findings passes through a state: a window of 10,000 findings takes
 * 100 batch iterations, well inside 262,144 bytes per state and 25,000 history events.
 */
export function detectionDefinition(scope: Construct, props: DetectionDefinitionProps): sfn.IChainable {
  const maxPolls = props.maxPolls ?? 60;
  const plan = invoke(scope, DETECTION_TASKS.plan, props.planFunction, {
    payload: '$',
    resultPath: '$.plan',
    timeout: Duration.seconds(30),
    comment: 'Window ending a delivery lag before the scheduled time; the rules of this schedule and their queries',
  });

  const ruleFailed = new sfn.Pass(scope, 'RuleFailed', {
    comment: 'Recorded failure of one rule: the other rules still run, and the execution fails at the end',
    parameters: { 'detection.$': '$.rule.detection', 'error.$': '$.error', failed: true },
  });
  const queryTimedOut = new sfn.Pass(scope, 'QueryDidNotFinish', {
    parameters: { 'detection.$': '$.rule.detection', error: { Error: 'QueryDidNotFinish', Cause: `query still running after ${maxPolls} polls` }, failed: true },
  });

  const toFindings = invoke(scope, DETECTION_TASKS.toFindings, props.findingsFunction, {
    // ToFindings reads the result itself (docs/aws-facts.md §2, §4): 10,000 Logs Insights rows are
    // about 0.8 MB, and a task's raw result may not pass 262,144 bytes whatever its ResultSelector keeps.
    payload: {
      'rule.$': '$.rule',
      'execution.$': '$$.Execution.Name',
      ...(props.engine === 'athena' ? { 'athenaQueryExecutionId.$': '$.query.queryId' } : { 'logsInsightsQueryId.$': '$.query.queryId' }),
    },
    resultPath: '$.findings',
    // Claims for 10,000 findings, 16 at a time, and the batch objects.
    timeout: Duration.seconds(60),
    comment: 'The query result to findings; allowlisted and suppressed ones recorded, new ones claimed and filed in batches; Flowir metrics published',
  });
  toFindings.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const startBatch = invoke(scope, DETECTION_TASKS.startIncidents, props.startIncidentsFunction, {
    payload: { 'batch.$': '$.batch' },
    // The names started are in this task's result in the history; the state keeps the counts.
    resultSelector: { 'batch.$': '$.batch', 'counts.$': '$.counts', 'failed.$': '$.failed' },
    timeout: Duration.seconds(60),
    comment: 'One incident execution per new finding of the batch; a claim whose incident could not start is released',
  });
  const batchFailed = new sfn.Pass(scope, 'BatchNotStarted', {
    comment: 'StartIncidents itself failed: the batch\'s findings that did not start stay claimed until the claim expires; the detection fails and alarms',
    parameters: { 'batch.$': '$.batch.key', 'error.$': '$.error', failed: true },
  });
  startBatch.addCatch(batchFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const openIncidents = new sfn.Map(scope, 'OpenIncidents', {
    itemsPath: '$.findings.batches',
    itemSelector: { 'batch.$': '$$.Map.Item.Value' },
    maxConcurrency: 2,
    resultPath: '$.started',
  });
  openIncidents.itemProcessor(startBatch);
  const noIncidents = new sfn.Pass(scope, 'NoNewFindings', { result: sfn.Result.fromArray([]), resultPath: '$.started' });

  const ruleDone = (id: string, failed: boolean | string, comment: string): sfn.Pass =>
    new sfn.Pass(scope, id, {
      comment,
      parameters: {
        'detection.$': '$.rule.detection',
        'rows.$': '$.findings.rows',
        'counts.$': '$.findings.counts',
        'record.$': '$.findings.record',
        'started.$': '$.started',
        ...(typeof failed === 'string' ? { 'failed.$': failed } : { failed }),
      },
    });
  // Every item of `started` says `failed`, so `$.started[*].failed` matches one value per batch; with
  // no batch it matches nothing, which a path may not do: that case takes the plain RuleDone.
  const outcome = new sfn.Choice(scope, 'RuleOutcome')
    .when(sfn.Condition.booleanEquals('$.findings.limitReached', true), ruleDone('RuleLimitReached', true, 'The result held as many rows as a query returns: sources past the last row may be missing, so the rule fails (its findings opened their incidents)'))
    .when(sfn.Condition.isPresent('$.started[0]'), ruleDone('RuleDoneWithIncidents', 'States.ArrayContains($.started[*].failed, true)', 'Failed if any incident could not be started'))
    .otherwise(ruleDone('RuleDone', false, 'No new finding'));
  const anyNew = new sfn.Choice(scope, 'AnyNewFindings').when(sfn.Condition.isPresent('$.findings.batches[0]'), openIncidents.next(outcome)).otherwise(noIncidents.next(outcome));

  const iteration = props.engine === 'athena' ? athenaQuery(scope, props, toFindings, ruleFailed) : logsInsightsQuery(scope, props, maxPolls, toFindings, anyNew, ruleFailed, queryTimedOut);
  if (props.engine === 'athena') toFindings.next(anyNew);

  const runRules = new sfn.Map(scope, 'RunRules', {
    itemsPath: '$.plan.rules',
    itemSelector: { 'rule.$': '$$.Map.Item.Value' },
    maxConcurrency: 2,
    resultPath: '$.results',
    resultSelector: { 'rules.$': '$', 'failedFlags.$': '$[*].failed' },
  });
  runRules.itemProcessor(iteration);

  const incomplete = new sfn.Fail(scope, 'DetectionIncomplete', { error: 'DetectionIncomplete', cause: 'At least one rule could not be evaluated, or not all of its findings became incidents; see RuleFailed, RuleLimitReached or StartIncidents in the history' });
  const done = new sfn.Succeed(scope, 'DetectionDone');
  const planFailed = new sfn.Fail(scope, 'PlanFailed', { error: 'PlanFailed', cause: 'The detection window or the rules could not be planned; see the PlanWindow task' });
  plan.addCatch(planFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const tally = new sfn.Pass(scope, 'TallyRules', {
    parameters: { 'anyFailed.$': 'States.ArrayContains($.results.failedFlags, true)' },
    resultPath: '$.tally',
  });
  const allRan = new sfn.Choice(scope, 'AllRulesRan').when(sfn.Condition.booleanEquals('$.tally.anyFailed', true), incomplete).otherwise(done);
  const anyRules = new sfn.Choice(scope, 'AnyRules', { comment: 'Every rule of this schedule may be disabled' })
    .when(sfn.Condition.isPresent('$.plan.rules[0]'), runRules.next(tally).next(allRan))
    .otherwise(done);
  return plan.next(anyRules);
}

function logsInsightsQuery(scope: Construct, props: DetectionDefinitionProps, maxPolls: number, toFindings: tasks.LambdaInvoke, afterRows: sfn.IChainable, ruleFailed: sfn.Pass, queryTimedOut: sfn.Pass): sfn.IChainable {
  if (props.logGroup === undefined) throw new Error('the logs-insights engine needs the flow-log group (logGroup)');
  const startQuery = new tasks.CallAwsService(scope, DETECTION_TASKS.startQuery, {
    service: 'cloudwatchlogs',
    action: 'startQuery',
    parameters: {
      LogGroupName: props.logGroup.logGroupName,
      'QueryString.$': '$.rule.queryString',
      'StartTime.$': '$.rule.queryStart',
      'EndTime.$': '$.rule.queryEnd',
      Limit: QUERY_ROW_LIMIT,
    },
    iamResources: [props.logGroup.logGroupArn],
    iamAction: 'logs:StartQuery',
    resultSelector: { 'queryId.$': '$.QueryId', polls: 0 },
    resultPath: '$.query',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
  });
  startQuery.addRetry({ errors: ['CloudWatchLogs.LimitExceededException', 'CloudWatchLogs.ServiceUnavailableException', 'CloudWatchLogs.CloudWatchLogsException'], interval: Duration.seconds(5), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  startQuery.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const wait = new sfn.Wait(scope, DETECTION_WAITS.query, { time: sfn.WaitTime.duration(props.pollInterval ?? Duration.seconds(5)) });

  // A query still running after the last poll keeps one of the account's concurrent Logs Insights
  // query slots until it times out (60 min): stop it. It may have finished meanwhile, and StopQuery
  // then fails; either way the rule is recorded as not finished. StopQuery takes no resource (`*`).
  const stopQuery = new tasks.CallAwsService(scope, DETECTION_TASKS.stopQuery, {
    service: 'cloudwatchlogs',
    action: 'stopQuery',
    parameters: { 'QueryId.$': '$.query.queryId' },
    iamResources: ['*'],
    iamAction: 'logs:StopQuery',
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
  });
  stopQuery.addRetry({ errors: ['CloudWatchLogs.ServiceUnavailableException', 'CloudWatchLogs.LimitExceededException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  stopQuery.addCatch(queryTimedOut, { errors: [sfn.Errors.ALL], resultPath: '$.stopError' });
  stopQuery.next(queryTimedOut);

  const countPoll = new sfn.Pass(scope, 'CountPoll', {
    parameters: { 'queryId.$': '$.query.queryId', 'polls.$': 'States.MathAdd($.query.polls, 1)' },
    resultPath: '$.query',
  });
  const queryState = new sfn.Choice(scope, 'QueryFinished')
    .when(sfn.Condition.stringEquals('$.findings.status', 'Complete'), afterRows)
    .when(
      sfn.Condition.and(
        sfn.Condition.or(sfn.Condition.stringEquals('$.findings.status', 'Running'), sfn.Condition.stringEquals('$.findings.status', 'Scheduled')),
        sfn.Condition.numberLessThan('$.query.polls', maxPolls),
      ),
      countPoll.next(wait),
    )
    .when(sfn.Condition.numberGreaterThanEquals('$.query.polls', maxPolls), stopQuery)
    .otherwise(ruleFailed);
  return startQuery.next(wait).next(toFindings).next(queryState);
}

function athenaQuery(scope: Construct, props: DetectionDefinitionProps, toFindings: tasks.LambdaInvoke, ruleFailed: sfn.Pass): sfn.IChainable {
  const a = props.athena;
  if (a === undefined) throw new Error('the athena engine needs the archive table (athena)');
  const start = new tasks.AthenaStartQueryExecution(scope, DETECTION_TASKS.startAthenaQuery, {
    queryString: sfn.JsonPath.stringAt('$.rule.queryString'),
    queryExecutionContext: { databaseName: a.database },
    workGroup: a.workGroup,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    resultSelector: { 'queryId.$': '$.QueryExecution.QueryExecutionId' },
    resultPath: '$.query',
    taskTimeout: sfn.Timeout.duration(Duration.minutes(10)),
  });
  start.addRetry({ errors: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], interval: Duration.seconds(5), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  start.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  return start.next(toFindings);
}

export interface DetectionWorkflowProps extends DetectionDefinitionProps {
  readonly group: string;
  readonly logs: logs.ILogGroup;
  /** @default 15 minutes */
  readonly timeout?: Duration;
}

/** One scheduled detection state machine (Standard, logged and traced). */
export class DetectionWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: DetectionWorkflowProps) {
    super(scope, id);
    this.stateMachine = standardStateMachine(this, detectionDefinition(this, props), {
      timeout: props.timeout ?? Duration.minutes(15),
      logs: props.logs,
      comment: `flowir detection (${props.group}): run the rules over the last window, open one incident per new finding`,
    });
  }
}

export { TRANSIENT_LAMBDA_ERRORS };
