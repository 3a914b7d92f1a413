import type { Template } from 'aws-cdk-lib/assertions';

/** Helpers of the workflows tests: a template's IAM grants and values, written as text a test can compare. */

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

export function resourcesOf(template: Template): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

/** A template value as text: `<Id>` for a Ref, `<Id.Attr>` for a GetAtt, joins concatenated. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att)) return `<${att.join('.')}>`;
    const join = o['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return (join[1] as unknown[]).map(render).join(String(join[0]));
  }
  return JSON.stringify(value);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

type StatementJson = { Effect: string; Action: unknown; Resource: unknown; Condition?: unknown };

/**
 * Every grant a role holds, from every policy attached to it (its own and any other), one line per
 * action and resource: `dynamodb:GetItem <Table.Arn>` (with ` if {...}` for a condition), sorted.
 */
export function grantsOf(template: Template, roleLogicalId: string): string[] {
  const lines = new Set<string>();
  const add = (statement: StatementJson): void => {
    if (statement.Effect !== 'Allow') throw new Error(`unexpected ${statement.Effect} statement on ${roleLogicalId}`);
    const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(statement.Condition)}`;
    for (const action of list(statement.Action)) for (const resource of list(statement.Resource)) lines.add(`${String(action)} ${render(resource)}${condition}`);
  };
  for (const r of Object.values(resourcesOf(template))) {
    if (r.Type === 'AWS::IAM::Policy' && list(r.Properties.Roles).some((role) => render(role) === `<${roleLogicalId}>`)) {
      for (const s of (r.Properties.PolicyDocument as { Statement: StatementJson[] }).Statement) add(s);
    }
  }
  const role = resourcesOf(template)[roleLogicalId];
  if (role === undefined) throw new Error(`no role ${roleLogicalId}`);
  for (const p of (role.Properties.Policies as Array<{ PolicyDocument: { Statement: StatementJson[] } }> | undefined) ?? []) for (const s of p.PolicyDocument.Statement) add(s);
  if (role.Properties.ManagedPolicyArns !== undefined) lines.add(`managed ${render(role.Properties.ManagedPolicyArns)}`);
  return [...lines].sort();
}

/** `action resource` lines for each action on each resource. */
export function grants(actions: readonly string[], resources: readonly string[]): string[] {
  return actions.flatMap((a) => resources.map((r) => `${a} ${r}`));
}

/** The CloudFormation pseudo-parameter ARN prefix as `render` writes it. */
export const ARN = (service: string): string => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>`;

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/**
 * A template value as it would be once deployed, for handing an environment to the Lambdas' own
 * configuration readers: names from the resources' name properties, ARNs shaped like real ones.
 */
export function deployedValue(template: Template, value: unknown): string {
  const resources = resourcesOf(template);
  if (typeof value === 'string') return value;
  const o = (value ?? {}) as Record<string, unknown>;
  const pseudo: Record<string, string> = { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  if (typeof o.Ref === 'string') {
    if (pseudo[o.Ref] !== undefined) return pseudo[o.Ref] as string;
    const r = resources[o.Ref];
    const p = r?.Properties ?? {};
    switch (r?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${String(p.TopicName)}`;
      case 'AWS::DynamoDB::Table':
        return String(p.TableName);
      case 'AWS::Logs::LogGroup':
        return String(p.LogGroupName);
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${o.Ref}-AbCdEf`;
      case 'AWS::S3::Bucket':
        return `bucket-${o.Ref.toLowerCase()}`;
      default:
        throw new Error(`no deployed value for Ref ${o.Ref} (${r?.Type ?? 'unknown'})`);
    }
  }
  const att = o['Fn::GetAtt'];
  if (Array.isArray(att)) {
    const [id, attribute] = att as [string, string];
    const type = resources[id]?.Type;
    if (type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl') return 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
    if (type === 'AWS::WAFv2::IPSet' && attribute === 'Id') return `${id.toLowerCase()}-0000-1111`;
    throw new Error(`no deployed value for GetAtt ${id}.${attribute} (${type ?? 'unknown'})`);
  }
  const join = o['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return (join[1] as unknown[]).map((v) => deployedValue(template, v)).join(String(join[0]));
  throw new Error(`no deployed value for ${JSON.stringify(value)}`);
}
