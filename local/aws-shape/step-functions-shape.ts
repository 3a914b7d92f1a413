import { NormalizedSchema } from '@smithy/core/schema';
import type { StaticOperationSchema } from '@smithy/types';

/**
 * The shapes of Step Functions' AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<action>`),
 * derived from the AWS SDK v3's own schemas rather than written per call, so that a local stand-in
 * answers a task exactly as Step Functions would (docs/aws-facts.md §1):
 *
 * - Member names are PascalCase at every depth, "even if the native service API is in camelCase"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html): the
 *   Smithy member name with its first letter upper-cased (`results` → `Results`, `field` → `Field`).
 * - Map keys are data, not member names: left as they are (a DynamoDB getItem recorded on AWS keeps
 *   its attribute names, localstack test_aws_sdk_task_service.snapshot.json).
 * - Timestamps are ISO 8601 strings (observed on AWS for s3:getObject LastModified; millisecond
 *   precision seen in a third-party recording). Streaming blobs are their bytes as UTF-8 text
 *   (observed for s3:getObject Body); other blobs base64 (unverified).
 * - The SDK's `$metadata` is not part of the result.
 */

/** A JSON value as Step Functions passes it between states. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class StepFunctionsShapeError extends Error {
  override readonly name = 'StepFunctionsShapeError';
}

/** `results` → `Results`: how Step Functions names a Smithy member. */
export function pascalMemberName(member: string): string {
  return member.length === 0 ? member : member[0]!.toUpperCase() + member.slice(1);
}

/** An SDK v3 command output → the task result Step Functions records for it. */
export function toStepFunctionsResult(operation: StaticOperationSchema, sdkOutput: unknown): Json {
  return convertOut(NormalizedSchema.of(operation[5]), sdkOutput, '$');
}

/**
 * A task's `Parameters` (PascalCase) → the SDK v3 command input. A parameter the operation does not
 * have is refused, as AWS refuses it, naming it: a local run must not accept what AWS would not.
 */
export function fromStepFunctionsParameters(operation: StaticOperationSchema, parameters: unknown): Record<string, unknown> {
  const input = convertIn(NormalizedSchema.of(operation[4]), parameters, '$');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new StepFunctionsShapeError(`${operation[2]}: the parameters must be a JSON object`);
  return input as Record<string, unknown>;
}

function convertOut(schema: NormalizedSchema, value: unknown, path: string): Json {
  if (value === undefined || value === null) return null;
  if (schema.isStructSchema()) {
    if (typeof value !== 'object') throw new StepFunctionsShapeError(`${path}: expected a structure (${schema.getName(true)}), got ${typeof value}`);
    const members = new Map(schema.structIterator());
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === '$metadata' || v === undefined) continue;
      const memberSchema = members.get(key);
      if (memberSchema === undefined) throw new StepFunctionsShapeError(`${path}: ${schema.getName(true)} has no member "${key}"`);
      out[pascalMemberName(key)] = convertOut(memberSchema, v, `${path}.${key}`);
    }
    return out;
  }
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) throw new StepFunctionsShapeError(`${path}: expected a list, got ${typeof value}`);
    const item = schema.getValueSchema();
    return value.map((v, i) => convertOut(item, v, `${path}[${i}]`));
  }
  if (schema.isMapSchema()) {
    if (typeof value !== 'object') throw new StepFunctionsShapeError(`${path}: expected a map, got ${typeof value}`);
    const item = schema.getValueSchema();
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = convertOut(item, v, `${path}.${k}`);
    return out;
  }
  if (schema.isTimestampSchema()) {
    const date = value instanceof Date ? value : new Date(value as string | number);
    if (Number.isNaN(date.getTime())) throw new StepFunctionsShapeError(`${path}: not a timestamp: ${String(value)}`);
    return date.toISOString();
  }
  if (schema.isBlobSchema()) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value as Uint8Array);
    return schema.isStreaming() ? bytes.toString('utf8') : bytes.toString('base64');
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  // Documents (free-form JSON) pass through.
  return value as Json;
}

function convertIn(schema: NormalizedSchema, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (schema.isStructSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) throw new StepFunctionsShapeError(`${path}: expected an object (${schema.getName(true)})`);
    const byPascal = new Map<string, [string, NormalizedSchema]>();
    for (const [member, memberSchema] of schema.structIterator()) byPascal.set(pascalMemberName(member), [member, memberSchema]);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const found = byPascal.get(key);
      if (found === undefined) throw new StepFunctionsShapeError(`${path}: ${schema.getName(true)} has no parameter "${key}" (known: ${[...byPascal.keys()].join(', ')})`);
      out[found[0]] = convertIn(found[1], v, `${path}.${key}`);
    }
    return out;
  }
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) throw new StepFunctionsShapeError(`${path}: expected a list`);
    const item = schema.getValueSchema();
    return value.map((v, i) => convertIn(item, v, `${path}[${i}]`));
  }
  if (schema.isMapSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) throw new StepFunctionsShapeError(`${path}: expected a map`);
    const item = schema.getValueSchema();
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convertIn(item, v, `${path}.${k}`)]));
  }
  return value;
}
