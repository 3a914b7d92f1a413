import type { StaticOperationSchema } from '@smithy/types';
import { fromStepFunctionsParameters, toStepFunctionsResult, type Json } from './step-functions-shape';

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
