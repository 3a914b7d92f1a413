/**
 * Turn a synthesized CloudFormation template's state machine into a runnable ASL document: the
 * `DefinitionString` is an `Fn::Join` of text, `Ref`s and `Fn::GetAtt`s, which resolve to
 * placeholder ARNs shaped like the real ones, with a resource's own name where the template gives
 * one (the local runtime serves every Task by state name, so the ARNs only have to be valid).
 */
export type AslDefinition = { readonly StartAt: string; readonly States: Record<string, unknown> } & Record<string, unknown>;

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

export class DefinitionResolveError extends Error {
  override readonly name = 'DefinitionResolveError';
}

/** A resource's own name property (FunctionName, StateMachineName) when the template gives it as plain text. */
function nameOf(r: CfnResource, property: string): string | undefined {
  const v = r.Properties?.[property];
  return typeof v === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(v) ? v : undefined;
}

function refValue(template: CfnTemplate, logicalId: string): string {
  if (logicalId === 'AWS::Region') return REGION;
  if (logicalId === 'AWS::AccountId') return ACCOUNT;
  if (logicalId === 'AWS::Partition') return 'aws';
  if (logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
  const r = template.Resources[logicalId];
  if (r === undefined) throw new DefinitionResolveError(`Ref to unknown resource ${logicalId}`);
  switch (r.Type) {
    case 'AWS::Lambda::Function':
      return nameOf(r, 'FunctionName') ?? `local-${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${nameOf(r, 'StateMachineName') ?? logicalId}`;
    case 'AWS::Logs::LogGroup':
      return String((r.Properties?.LogGroupName as string | undefined) ?? logicalId);
    default:
      return logicalId;
  }
}

function getAtt(template: CfnTemplate, logicalId: string, attribute: string): string {
  const r = template.Resources[logicalId];
  if (r === undefined) throw new DefinitionResolveError(`Fn::GetAtt of unknown resource ${logicalId}`);
  if (attribute !== 'Arn' && attribute !== 'Name') return `${logicalId}.${attribute}`;
  switch (r.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${nameOf(r, 'FunctionName') ?? `local-${logicalId}`}`;
    case 'AWS::StepFunctions::StateMachine': {
      const name = nameOf(r, 'StateMachineName') ?? logicalId;
      return attribute === 'Name' ? name : `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    }
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${refValue(template, logicalId)}:*`;
    default:
      return `arn:aws:${logicalId.toLowerCase()}:${REGION}:${ACCOUNT}:${logicalId}`;
  }
}

function resolveValue(template: CfnTemplate, value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return refValue(template, o.Ref);
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string' && typeof att[1] === 'string') return getAtt(template, att[0], att[1]);
    const join = o['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((p) => resolveValue(template, p)).join(join[0]);
    }
  }
  throw new DefinitionResolveError(`cannot resolve ${JSON.stringify(value).slice(0, 120)} in a state machine definition`);
}

/** State machines of a template by logical id. */
export function stateMachinesOf(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id);
}

export function resolveDefinition(template: CfnTemplate, logicalId: string): AslDefinition {
  const r = template.Resources[logicalId];
  if (r?.Type !== 'AWS::StepFunctions::StateMachine') throw new DefinitionResolveError(`${logicalId} is not a state machine`);
  const text = resolveValue(template, r.Properties?.DefinitionString);
  return JSON.parse(text) as AslDefinition;
}
