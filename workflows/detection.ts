import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DETECTION_TASKS, DETECTION_WAITS } from './contract';
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
  readonly incidentStateMachine: sfn.IStateMachine;
  /** The suppression table ToFindings claims in; a claim whose incident could not start is deleted from it. */
  readonly suppressionTable: dynamodb.ITable;
  /** The flow-log group (engine logs-insights). */
  readonly logGroup?: logs.ILogGroup;
  /** The archive table (engine athena). */
  readonly athena?: AthenaTarget;
  /**
   * Polls of GetQueryResults before a rule is recorded as failed; bounds the history
   * (Standard workflows stop at 25,000 events).
   * @default 60
   */
  readonly maxPolls?: number;
  /** @default 5 seconds */
  readonly pollInterval?: Duration;
}

/**
 * The detection workflow: plan the window, run each rule's query (bounded poll), turn rows into
 * findings (allowlist, suppression, metrics), and start one incident execution per new finding.
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
    // Athena: only the query execution id. One GetQueryResults page holds at most 1,000 rows and a state
    // at most 256 KiB (docs/aws-facts.md §2, §4), so ToFindings pages the result itself.
    payload: props.engine === 'athena' ? { 'rule.$': '$.rule', 'athenaQueryExecutionId.$': '$.query.queryId' } : { 'rule.$': '$.rule', 'rows.$': '$.result.rows' },
    resultPath: '$.findings',
    comment: 'Rows to findings; allowlisted and suppressed ones dropped; Flowir metrics published',
  });
  toFindings.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const startIncident = new tasks.StepFunctionsStartExecution(scope, DETECTION_TASKS.startIncident, {
    stateMachine: props.incidentStateMachine,
    name: sfn.JsonPath.stringAt('$.executionName'),
    input: sfn.TaskInput.fromObject({ 'finding.$': '$.finding' }),
    associateWithParent: false,
    resultSelector: { 'executionArn.$': '$.ExecutionArn', failed: false },
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
  });
  startIncident.addRetry({ errors: ['StepFunctions.SdkClientException', 'StepFunctions.ThrottlingException', 'States.Timeout'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  const alreadyStarted = new sfn.Pass(scope, 'IncidentAlreadyStarted', {
    comment: 'The same finding id already has an execution: a re-run of the same window',
    parameters: { 'executionName.$': '$.executionName', alreadyStarted: true, failed: false },
  });
  startIncident.addCatch(alreadyStarted, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: '$.error' });
  // A finding whose incident could not be started must not stay suppressed for a day with nothing
  // behind it: its claim is deleted (only if this finding's execution still holds it) and the rule
  // counts as failed, so the execution fails and its alarm fires; the next run finds it again.
  const startFailed = new sfn.Pass(scope, 'IncidentNotStarted', {
    comment: 'The claim was released: the next detection run opens this incident',
    parameters: { 'executionName.$': '$.executionName', 'error.$': '$.error', claimReleased: true, failed: true },
  });
  const claimKept = new sfn.Pass(scope, 'IncidentNotStartedClaimKept', {
    comment: 'The claim could not be released: the finding stays suppressed until the claim expires',
    parameters: { 'executionName.$': '$.executionName', 'error.$': '$.error', 'releaseError.$': '$.releaseError', claimReleased: false, failed: true },
  });
  const releaseClaim = new tasks.DynamoDeleteItem(scope, DETECTION_TASKS.releaseClaim, {
    table: props.suppressionTable,
    key: { pk: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.suppressionKey')) },
    conditionExpression: 'executionName = :name',
    expressionAttributeValues: { ':name': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.executionName')) },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
  });
  releaseClaim.addRetry({ errors: ['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.InternalServerErrorException', 'DynamoDB.RequestLimitExceeded', 'States.Timeout'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  releaseClaim.addCatch(claimKept, { errors: [sfn.Errors.ALL], resultPath: '$.releaseError' });
  releaseClaim.next(startFailed);
  startIncident.addCatch(releaseClaim, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const startIncidents = new sfn.Map(scope, 'StartIncidents', {
    itemsPath: '$.findings.newFindings',
    maxConcurrency: 5,
    resultPath: '$.started',
  });
  startIncidents.itemProcessor(startIncident);
  // Every item of `started` says `failed` (true or false), so `$.started[*].failed` matches as many
  // values as there were findings; with none it matches nothing, which a path may not do: that case
  // takes the plain RuleDone.
  const ruleDone = (id: string, failed: boolean | string): sfn.Pass =>
    new sfn.Pass(scope, id, {
      parameters: {
        'detection.$': '$.rule.detection',
        'newFindings.$': '$.findings.newFindings',
        'suppressed.$': '$.findings.suppressed',
        'allowlisted.$': '$.findings.allowlisted',
        'started.$': '$.started',
        ...(typeof failed === 'string' ? { 'failed.$': failed } : { failed }),
      },
    });
  const anyStarted = new sfn.Choice(scope, 'AnyIncidents')
    // An incident that could not be started fails the rule (and so the execution): never a silent loss.
    .when(sfn.Condition.isPresent('$.started[0]'), ruleDone('RuleDoneWithIncidents', 'States.ArrayContains($.started[*].failed, true)'))
    .otherwise(ruleDone('RuleDone', false));
  const afterRows = toFindings.next(startIncidents).next(anyStarted);

  const iteration = props.engine === 'athena' ? athenaQuery(scope, props, afterRows, ruleFailed) : logsInsightsQuery(scope, props, maxPolls, afterRows, ruleFailed, queryTimedOut);

  const runRules = new sfn.Map(scope, 'RunRules', {
    itemsPath: '$.plan.rules',
    itemSelector: { 'rule.$': '$$.Map.Item.Value' },
    maxConcurrency: 2,
    resultPath: '$.results',
    resultSelector: { 'rules.$': '$', 'failedFlags.$': '$[*].failed' },
  });
  runRules.itemProcessor(iteration);

  const incomplete = new sfn.Fail(scope, 'DetectionIncomplete', { error: 'DetectionIncomplete', cause: 'At least one rule could not be evaluated; see RuleFailed in the history' });
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

function logsInsightsQuery(scope: Construct, props: DetectionDefinitionProps, maxPolls: number, afterRows: sfn.IChainable, ruleFailed: sfn.Pass, queryTimedOut: sfn.Pass): sfn.IChainable {
  if (props.logGroup === undefined) throw new Error('the logs-insights engine needs the flow-log group (logGroup)');
  const logGroupArn = props.logGroup.logGroupArn;
  const startQuery = new tasks.CallAwsService(scope, DETECTION_TASKS.startQuery, {
    service: 'cloudwatchlogs',
    action: 'startQuery',
    parameters: {
      LogGroupName: props.logGroup.logGroupName,
      'QueryString.$': '$.rule.queryString',
      'StartTime.$': '$.rule.queryStart',
      'EndTime.$': '$.rule.queryEnd',
      Limit: 10000,
    },
    iamResources: [logGroupArn],
    iamAction: 'logs:StartQuery',
    resultSelector: { 'queryId.$': '$.QueryId', polls: 0 },
    resultPath: '$.query',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
  });
  startQuery.addRetry({ errors: ['CloudWatchLogs.LimitExceededException', 'CloudWatchLogs.ServiceUnavailableException', 'CloudWatchLogs.CloudWatchLogsException'], interval: Duration.seconds(5), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  startQuery.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const wait = new sfn.Wait(scope, DETECTION_WAITS.query, { time: sfn.WaitTime.duration(props.pollInterval ?? Duration.seconds(5)) });
  // GetQueryResults takes the log group as its resource (Service Authorization Reference, log-group*),
  // as StartQuery does; StopQuery takes none, so `*`.
  const getResults = queryCall(scope, DETECTION_TASKS.getQueryResults, 'getQueryResults', [logGroupArn], { resultSelector: { 'status.$': '$.Status', 'rows.$': '$.Results' }, resultPath: '$.result' });
  getResults.addCatch(ruleFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  // A query still running after the last poll keeps one of the account's concurrent Logs Insights
  // query slots until it times out (60 min): stop it. It may have finished meanwhile, and StopQuery
  // then fails; either way the rule is recorded as not finished.
  const stopQuery = queryCall(scope, DETECTION_TASKS.stopQuery, 'stopQuery', ['*'], { resultPath: sfn.JsonPath.DISCARD });
  stopQuery.addCatch(queryTimedOut, { errors: [sfn.Errors.ALL], resultPath: '$.stopError' });
  stopQuery.next(queryTimedOut);

  const countPoll = new sfn.Pass(scope, 'CountPoll', {
    parameters: { 'queryId.$': '$.query.queryId', 'polls.$': 'States.MathAdd($.query.polls, 1)' },
    resultPath: '$.query',
  });
  const queryState = new sfn.Choice(scope, 'QueryFinished')
    .when(sfn.Condition.stringEquals('$.result.status', 'Complete'), afterRows)
    .when(
      sfn.Condition.and(
        sfn.Condition.or(sfn.Condition.stringEquals('$.result.status', 'Running'), sfn.Condition.stringEquals('$.result.status', 'Scheduled')),
        sfn.Condition.numberLessThan('$.query.polls', maxPolls),
      ),
      countPoll.next(wait),
    )
    .when(sfn.Condition.numberGreaterThanEquals('$.query.polls', maxPolls), stopQuery)
    .otherwise(ruleFailed);
  return startQuery.next(wait).next(getResults).next(queryState);
}

/**
 * A CloudWatch Logs call on the rule's query by its id, granted on `iamResources`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
 */
function queryCall(scope: Construct, id: string, action: 'getQueryResults' | 'stopQuery', iamResources: string[], props: Pick<tasks.CallAwsServiceProps, 'resultSelector' | 'resultPath'>): tasks.CallAwsService {
  const call = new tasks.CallAwsService(scope, id, {
    service: 'cloudwatchlogs',
    action,
    parameters: { 'QueryId.$': '$.query.queryId' },
    iamResources,
    iamAction: `logs:${action[0]?.toUpperCase() ?? ''}${action.slice(1)}`,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
    ...props,
  });
  call.addRetry({ errors: ['CloudWatchLogs.ServiceUnavailableException', 'CloudWatchLogs.LimitExceededException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  return call;
}

function athenaQuery(scope: Construct, props: DetectionDefinitionProps, afterRows: sfn.IChainable, ruleFailed: sfn.Pass): sfn.IChainable {
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
  return start.next(afterRows);
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
