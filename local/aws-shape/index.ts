import { NormalizedSchema } from '@smithy/core/schema';
import type { StaticOperationSchema } from '@smithy/types';
import { fromStepFunctionsParameters, pascalMemberName, toStepFunctionsResult, type Json } from './step-functions-shape';

export { fromStepFunctionsParameters, pascalMemberName, StepFunctionsShapeError, toStepFunctionsResult, type Json } from './step-functions-shape';

/**
 * A local handler for an `arn:aws:states:::aws-sdk:...` task, written against the SDK v3's own input
 * and output types: its parameters arrive as Step Functions passes them (PascalCase) and its result
 * leaves as Step Functions records it, both converted by the operation's schema. A stand-in so
 * written cannot answer in a shape AWS would not.
 */
export function sdkIntegration<I extends object, O extends object>(operation: StaticOperationSchema, handler: (input: I) => Promise<O>): (parameters: unknown) => Promise<Json> {
  return async (parameters) => toStepFunctionsResult(operation, await handler(fromStepFunctionsParameters(operation, parameters) as I));
}

/**
 * An SDK v3 command output → the result Step Functions records for it through an *optimized*
 * integration (`arn:aws:states:::athena:startQueryExecution.sync` and the like): the same member
 * names and values as toStepFunctionsResult, except timestamps, which these integrations render as
 * epoch milliseconds. Observed on AWS: a `startQueryExecution.sync` state's output
 * `"Status":{"CompletionDateTime":1674054596798,"State":"SUCCEEDED","SubmissionDateTime":1674054596025}`
 * (aws-samples/step-functions-workflows-collection, ingest-and-analyze-historical-storm-events/README.md;
 * docs/aws-facts.md §1, "Timestamps in optimized integrations").
 */
export function toOptimizedIntegrationResult(operation: StaticOperationSchema, sdkOutput: unknown): Json {
  return epochMillisTimestamps(NormalizedSchema.of(operation[5]), toStepFunctionsResult(operation, sdkOutput));
}

/** Walks a result already in Step Functions' shape (PascalCase members, ISO timestamps) and turns its timestamps into epoch milliseconds. */
function epochMillisTimestamps(schema: NormalizedSchema, value: Json): Json {
  if (value === null) return null;
  if (schema.isStructSchema() && typeof value === 'object' && !Array.isArray(value)) {
    const out: { [key: string]: Json } = {};
    const members = new Map<string, NormalizedSchema>();
    for (const [member, memberSchema] of schema.structIterator()) members.set(pascalMemberName(member), memberSchema);
    for (const [key, v] of Object.entries(value)) {
      const memberSchema = members.get(key);
      out[key] = memberSchema === undefined ? v : epochMillisTimestamps(memberSchema, v);
    }
    return out;
  }
  if (schema.isListSchema() && Array.isArray(value)) return value.map((v) => epochMillisTimestamps(schema.getValueSchema(), v));
  if (schema.isMapSchema() && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, epochMillisTimestamps(schema.getValueSchema(), v)]));
  }
  if (schema.isTimestampSchema() && typeof value === 'string') return Date.parse(value);
  return value;
}
