import type { CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { planWindowConfigFromEnv } from '../../handlers/lambda/environment';
import { ATHENA_TASK_SERVICES, WORKFLOW_UNSCOPED_ACTIONS } from '../../infra/constructs/workflows';
import { DETECTION_TASKS } from '../../workflows/contract';
import { resolveDefinition, type CfnTemplate } from '../../workflows/resolve';
import { build } from './synth';
import { ARN, deployedValue, grants, grantsOf, resourcesOf } from './workflows-template';

const { app, stack, template } = build({ engine: 'athena', approverEmails: 'alice@example.com' });
const w = stack.workflows;
const resources = resourcesOf(template);
const id = (c: IConstruct): string => stack.getLogicalId(c.node.defaultChild as CfnElement);
const athena = stack.athena;
if (athena === undefined) throw new Error('the athena engine was not built');

describe('the athena engine’s detection state machines', () => {
  it.each(['anomaly', 'security'] as const)('%s: the queries of the flowir workgroup, on the flow-log table, the archive and the result prefix only', (group) => {
    const archive = `<${id(stack.flowLogs.archive)}.Arn>`;
    const results = `<${id(athena.results)}.Arn>`;
    const fn = (c: IConstruct): string[] => [`lambda:InvokeFunction <${id(c)}.Arn>`, `lambda:InvokeFunction <${id(c)}.Arn>:*`];
    expect(grantsOf(template, id(w.detections[group].stateMachine.role))).toEqual(
      [
        ...fn(w.functions['plan-window'].function),
        ...fn(w.functions['to-findings'].function),
        // StartIncidents, not the machine, starts the incidents and releases a claim.
        ...fn(w.functions['start-incidents'].function),
        ...[...WORKFLOW_UNSCOPED_ACTIONS.tracing, ...WORKFLOW_UNSCOPED_ACTIONS.logDelivery].map((a) => `${a} *`),
        // What StartQueryExecution.sync and StopQueryExecution need; ToFindings, not the machine, reads the results.
        ...grants(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'], [`${ARN('athena')}:workgroup/flowir-dev`]),
        `athena:GetDataCatalog ${ARN('athena')}:datacatalog/AwsDataCatalog`,
        ...grants(['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'], [`${ARN('glue')}:catalog`, `${ARN('glue')}:database/flowir_dev`, `${ARN('glue')}:table/flowir_dev/vpc_flow_logs`]),
        ...grants(['s3:GetBucketLocation', 's3:ListBucket'], [archive, results]),
        `s3:GetObject ${archive}/AWSLogs/*`,
        ...grants(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], [`${results}/results/*`]),
        'lakeformation:GetDataAccess *',
      ].sort(),
    );
  });

  it('ToFindings reads the query results itself: GetQueryResults on the workgroup, reads of the result prefix, its suppression claims, its findings filed under detections/', () => {
    const role = w.functions['to-findings'].role;
    const results = `<${id(athena.results)}.Arn>`;
    expect(grantsOf(template, id(role))).toEqual(
      [
        ...grants(['logs:CreateLogStream', 'logs:PutLogEvents'], [`<${id(w.functions['to-findings'].logGroup)}.Arn>`]),
        ...grants(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], ['*']),
        ...grants(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [`<${id(w.tables.suppression)}.Arn>`]),
        `athena:GetQueryResults ${ARN('athena')}:workgroup/flowir-dev`,
        ...grants(['s3:GetBucketLocation', 's3:ListBucket'], [results]),
        `s3:GetObject ${results}/results/*`,
        `s3:PutObject <${id(stack.evidence.bucket)}.Arn>/detections/*`,
        ...grants(['kms:Decrypt', 'kms:GenerateDataKey'], [`<${id(stack.evidence.key)}.Arn>`]),
      ].sort(),
    );
    const vars = (resources[id(w.functions['to-findings'].function)]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(deployedValue(template, vars.FLOWIR_ENGINE)).toBe('athena');
  });

  it.each(['anomaly', 'security'] as const)('%s: lakeformation:GetDataAccess (no resource type exists) alone in a policy of its own, which the machine waits for', (group) => {
    const machine = w.detections[group].stateMachine;
    const own = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: id(machine.role) }]) && JSON.stringify(r.Properties.PolicyDocument).includes('lakeformation:'),
    );
    expect(own.map(([, r]) => (r.Properties.PolicyDocument as { Statement: unknown[] }).Statement)).toEqual([[{ Effect: 'Allow', Action: 'lakeformation:GetDataAccess', Resource: '*' }]]);
    expect((resources[id(machine)] as { DependsOn?: string[] }).DependsOn).toContain(own[0]?.[0]);
  });

  it('keeps none of the Athena, Glue, S3 or Lake Formation grants of the CDK Athena tasks (S3 CreateBucket and PutObject on *, Glue writes); GetDataAccess is granted on its own', () => {
    const lines = grantsOf(template, id(w.detections.anomaly.stateMachine.role));
    const services = (ATHENA_TASK_SERVICES as readonly string[]).join('|');
    expect(lines.filter((l) => new RegExp(`^(${services}):\\S+ \\*$`).test(l))).toEqual(['lakeformation:GetDataAccess *']);
    expect(lines.filter((l) => /^(s3:CreateBucket|glue:(Create|Delete|Update|Batch)|lakeformation:(?!GetDataAccess ))/.test(l))).toEqual([]);
  });

  it('exist only once their Athena grants do (the schedule could start them before)', () => {
    for (const group of ['anomaly', 'security'] as const) {
      const dependsOn = (resources[id(w.detections[group].stateMachine)] as { DependsOn?: string[] }).DependsOn ?? [];
      const athenaPolicies = Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: id(w.detections[group].stateMachine.role) }]) && JSON.stringify(r.Properties.PolicyDocument).includes('athena:StartQueryExecution'))
        .map(([policyId]) => policyId);
      expect(athenaPolicies).toHaveLength(1);
      expect(dependsOn).toContain(athenaPolicies[0]);
    }
  });

  it('run Athena on the deployed workgroup and database, and PlanWindow queries the deployed table', () => {
    const definition = resolveDefinition(template.toJSON() as CfnTemplate, id(w.detections.security.stateMachine));
    const runRules = definition.States.RunRules as { ItemProcessor: { States: Record<string, { Parameters?: Record<string, unknown> }> } };
    expect(runRules.ItemProcessor.States[DETECTION_TASKS.startAthenaQuery]?.Parameters).toMatchObject({ WorkGroup: 'flowir-dev', QueryExecutionContext: { Database: 'flowir_dev' } });
    const vars = (resources[id(w.functions['plan-window'].function)]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, deployedValue(template, v)]));
    expect(planWindowConfigFromEnv(env)).toEqual({ detection: stack.config.detection, engine: 'athena', athenaTable: 'flowir_dev.vpc_flow_logs' });
  });

  it('pass cdk-nag AwsSolutions with nothing unacknowledged', () => {
    const findings = new AwsSolutionsChecks(app).validateScope(stack).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});
