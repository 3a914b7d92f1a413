/**
 * The detection workflow's StartAthenaQuery state: `arn:aws:states:::athena:startQueryExecution.sync`,
 * served as Step Functions serves it (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html,
 * "Run a Job (.sync)"): StartQueryExecution with the state's parameters, then the query followed
 * until it ends.
 */
import { GetQueryExecution$, StartQueryExecution$, type StartQueryExecutionInput } from '@aws-sdk/client-athena';
import { fromStepFunctionsParameters, toOptimizedIntegrationResult } from '../aws-shape';
import type { TaskFn } from '../runtime/engine';
import type { LocalAthenaService } from './service';

/** Step Functions' error for a failed `.sync` job (see startQueryExecutionSync). */
export class SyncTaskFailedError extends Error {
  override readonly name = 'States.TaskFailed';
}

/** An error of the Athena API itself, named as Step Functions names it: `Athena.<ErrorName>` (e.g. Athena.InvalidRequestException). */
export class AthenaTaskError extends Error {
  constructor(error: Error) {
    super(error.message);
    this.name = `Athena.${error.name}`;
  }
}

/**
 * The task's result on success is GetQueryExecution's response, PascalCase, timestamps as epoch
 * milliseconds: `{"QueryExecution": {"QueryExecutionId": ..., "Status": {"State": "SUCCEEDED", ...},
 * "Statistics": {...}, ...}}`, as recorded on AWS for this integration
 * (aws-samples/step-functions-workflows-collection, ingest-and-analyze-historical-storm-events/README.md;
 * the workflow's ResultSelector reads `$.QueryExecution.QueryExecutionId`).
 *
 * A query that ends FAILED or CANCELLED fails the task with `States.TaskFailed`, its Cause the
 * QueryExecution as JSON (Status.StateChangeReason says why). UNVERIFIED for Athena: it is how Step
 * Functions reports a failed job of its other `.sync` integrations (a Glue job run: States.TaskFailed
 * with the JobRun as Cause, as LocalStack reproduces from recordings, localstack
 * `state_task_service_glue.py`), and a public Terraform comment says the same of Athena; one public
 * runbook shows `Athena.AthenaException` instead. The detection workflow catches States.ALL, so
 * either name ends in its recorded RuleFailed. Errors of the API call itself (an unknown workgroup,
 * an empty query) fail the task as `Athena.<ErrorName>`.
 */
export function startQueryExecutionSync(service: LocalAthenaService): TaskFn {
  return async (parameters) => {
    const input = fromStepFunctionsParameters(StartQueryExecution$, parameters) as unknown as StartQueryExecutionInput;
    let id: string;
    try {
      id = (await service.startQueryExecution(input)).QueryExecutionId as string;
    } catch (e) {
      throw new AthenaTaskError(e as Error);
    }
    await service.whenDone(id);
    const output = await service.getQueryExecution({ QueryExecutionId: id });
    const result = toOptimizedIntegrationResult(GetQueryExecution$, output) as { QueryExecution?: { Status?: { State?: string } } };
    const state = result.QueryExecution?.Status?.State;
    if (state !== 'SUCCEEDED') throw new SyncTaskFailedError(JSON.stringify(result.QueryExecution ?? null));
    return result;
  };
}
