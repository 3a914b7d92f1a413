import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Errors a Lambda invoke can hit that are worth another try (throttling, service hiccups). */
export const TRANSIENT_LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];

export interface InvokeOptions {
  /** The Lambda's event: an object template, or `'$'` for the whole state. */
  readonly payload: Record<string, unknown> | '$';
  /**
   * Where the handler's result goes in the state.
   * @default the result replaces the state (no ResultPath: aws-local-stepfunctions 3.0.0 reads an
   * explicit `"ResultPath": "$"` as a field named `$`)
   */
  readonly resultPath?: string;
  /** What of the handler's result the state keeps (the whole result stays in the history). @default all of it */
  readonly resultSelector?: Record<string, unknown>;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  /** Extra error names to retry (the handler's own transient errors). */
  readonly retryOn?: readonly string[];
  readonly comment?: string;
}

/**
 * A Lambda task with the house rules: explicit timeout, a bounded retry of transient errors, and the
 * handler's output used as-is (payloadResponseOnly) so that states stay small and readable.
 */
export function invoke(scope: Construct, id: string, fn: lambda.IFunction, options: InvokeOptions): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    // Without a payload the function receives the whole state input.
    ...(options.payload === '$' ? {} : { payload: sfn.TaskInput.fromObject(options.payload) }),
    ...(options.resultPath !== undefined ? { resultPath: options.resultPath } : {}),
    ...(options.resultSelector !== undefined ? { resultSelector: options.resultSelector } : {}),
    taskTimeout: sfn.Timeout.duration(options.timeout ?? Duration.seconds(60)),
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
  });
  task.addRetry({ errors: [...TRANSIENT_LAMBDA_ERRORS, ...(options.retryOn ?? [])], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  return task;
}

/** The catch every task gets: the error lands at `$.error` and the flow goes to the given failure path. */
export function catchAll(task: tasks.LambdaInvoke | tasks.CallAwsService | tasks.StepFunctionsStartExecution, handler: sfn.IChainable): void {
  task.addCatch(handler, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
}

/** A Standard state machine with the house settings: full logging with execution data, X-Ray, a timeout. */
export function standardStateMachine(scope: Construct, definition: sfn.IChainable, options: { readonly timeout: Duration; readonly logs: logs.ILogGroup; readonly comment: string }): sfn.StateMachine {
  return new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: options.timeout,
    tracingEnabled: true,
    logs: { destination: options.logs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    comment: options.comment,
  });
}
