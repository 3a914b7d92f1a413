import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { App, CfnElement, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { FlowLogFormat } from '../../core/flowlog/format';
import { maxIncidentSeconds } from '../../core/incident';
import { APPROVAL_TABLE_SCHEMA } from '../../handlers/aws/approval-store';
import { BLOCK_TABLE_SCHEMA } from '../../handlers/aws/block-registry';
import { SUPPRESSION_TABLE } from '../../handlers/aws/suppression-store';
import { approvalBaseUrlFromEnv, approversFromEnv, allowedOriginsFromEnv, CONTAINMENT_ENV, guardrailsFromEnv, incidentConfigFromEnv, ipSetsFromEnv, topicsFromEnv } from '../../handlers/lambda/containment-environment';
import { ENV, evidenceConfigFromEnv, exportHistoryConfigFromEnv, planWindowConfigFromEnv, requireEnv, toFindingsConfigFromEnv, type Environment } from '../../handlers/lambda/environment';
import { createPlanWindowHandler, scheduledWindow } from '../../handlers/plan-window';
import { InfraConfigError } from '../../infra/config';
import { HANDLERS, type HandlerName } from '../../infra/constructs/functions';
import { WORKFLOW_UNSCOPED_ACTIONS } from '../../infra/constructs/workflows';
import { INCIDENT_TASKS } from '../../workflows/contract';
import { resolveDefinition, type CfnTemplate } from '../../workflows/resolve';
import { build, buildStack } from './synth';
import { ARN, deployedValue, grants, grantsOf, render, resourcesOf } from './workflows-template';

const CONFIG_FILE = {
  allowlist: ['198.51.100.0/24'],
  detections: { PORT_SCAN: { threshold: 40 } },
  incident: { policy: { PORT_SCAN: 'auto' }, neverBlock: ['192.0.2.0/24'], maxBlocksPerHour: 7, approvalTimeoutSeconds: 1800, blockDurationSeconds: 7200 },
};
const readFile = (path: string): string => {
  if (path !== 'flowir.json') throw new Error(`ENOENT: ${path}`);
  return JSON.stringify(CONFIG_FILE);
};
// The thresholds file sets the approval timeout; the blockDuration key overrides the file's block duration.
const { app, stack, template } = build(
  { envName: 'prod', thresholdsFile: 'flowir.json', blockDuration: '6h', approverEmails: 'alice@example.com,bob@example.com', vpcCidrs: '198.18.0.0/15' },
  { readFile },
);
const w = stack.workflows;
const config = stack.config;
const resources = resourcesOf(template);
const id = (c: IConstruct): string => stack.getLogicalId(c.node.defaultChild as CfnElement);
const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];

const fnId = (h: HandlerName): string => id(w.functions[h].function);
const fnProps = (h: HandlerName): Record<string, unknown> => (resources[fnId(h)] as { Properties: Record<string, unknown> }).Properties;
const envOf = (h: HandlerName): Environment => {
  const vars = (fnProps(h).Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, deployedValue(template, v)]));
};

describe('the workflow functions', () => {
  it('are one per handler entry in handlers/lambda, named flowir-<env>-<handler>', () => {
    const entries = readdirSync(join(__dirname, '../../handlers/lambda'))
      .filter((f) => f.endsWith('.ts') && /export (const|async function) handler\b/.test(readFileSync(join(__dirname, '../../handlers/lambda', f), 'utf8')))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect([...HANDLER_NAMES].sort()).toEqual(entries);
    const names = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.FunctionName)
      .sort();
    expect(names).toEqual(entries.map((e) => `flowir-prod-${e}`).sort());
  });

  it.each(HANDLER_NAMES)('%s: Node.js 24 on arm64, X-Ray active, its own log group kept 90 days', (h) => {
    const p = fnProps(h);
    expect(p).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
    const logGroup = render((p.LoggingConfig as { LogGroup: unknown }).LogGroup).slice(1, -1);
    expect(resources[logGroup]?.Properties).toEqual({ LogGroupName: `/aws/lambda/flowir-prod-${h}`, RetentionInDays: 90 });
    expect(render(p.Role)).toBe(`<${id(w.functions[h].role)}.Arn>`);
  });

  it('have the timeouts and memory of their work, and no reserved concurrency (a new account cannot reserve any)', () => {
    const actual = Object.fromEntries(HANDLER_NAMES.map((h) => [h, [fnProps(h).Timeout, fnProps(h).MemorySize, fnProps(h).ReservedConcurrentExecutions ?? null]]));
    expect(actual).toEqual({
      'plan-window': [20, 256, null],
      'to-findings': [50, 512, null],
      'start-incidents': [50, 256, null],
      evidence: [600, 1024, null],
      'export-history': [300, 512, null],
      policy: [20, 256, null],
      notify: [20, 256, null],
      'request-approval': [30, 256, null],
      'approval-endpoint': [15, 256, null],
      block: [90, 256, null],
      release: [50, 256, null],
      ticket: [50, 256, null],
      'sweep-expired': [300, 256, null],
    });
  });

  it.each(['true', true])('reserve 5 for the approval endpoint and 1 for the sweeper with reservedConcurrency=%j, and nothing for the rest', (value) => {
    const { template: t } = build({ reservedConcurrency: value, approverEmails: 'alice@example.com' });
    const reserved = Object.values(resourcesOf(t))
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.ReservedConcurrentExecutions !== undefined)
      .map((r) => [r.Properties.FunctionName, r.Properties.ReservedConcurrentExecutions]);
    expect(reserved.sort()).toEqual([
      ['flowir-dev-approval-endpoint', 5],
      ['flowir-dev-sweep-expired', 1],
    ]);
  });

  it('end, when slow, before the Task that invokes them does (the evidence function with its 10-minute Task)', () => {
    const byName = new Map(HANDLER_NAMES.map((h) => [`flowir-prod-${h}`, fnProps(h).Timeout as number]));
    const checked: string[] = [];
    const visit = (states: Record<string, unknown>): void => {
      for (const [name, raw] of Object.entries(states)) {
        const s = raw as { Type: string; Resource?: string; Parameters?: { FunctionName?: string }; TimeoutSeconds?: number; ItemProcessor?: { States: Record<string, unknown> } };
        if (s.ItemProcessor) visit(s.ItemProcessor.States);
        const arn = s.Resource?.startsWith('arn:aws:lambda:') ? s.Resource : s.Parameters?.FunctionName;
        if (s.Type !== 'Task' || arn === undefined) continue;
        const fn = arn.split(':').pop() as string;
        expect([name, fn, byName.has(fn)]).toEqual([name, fn, true]);
        expect([name, (byName.get(fn) as number) <= (s.TimeoutSeconds as number)]).toEqual([name, true]);
        checked.push(name);
      }
    };
    const cfn = template.toJSON() as CfnTemplate;
    visit(resolveDefinition(cfn, id(w.incident.stateMachine)).States);
    visit(resolveDefinition(cfn, id(w.detections.security.stateMachine)).States);
    expect(checked).toContain(INCIDENT_TASKS.evidence);
    expect(checked).toHaveLength(13);
    expect(byName.get('flowir-prod-evidence')).toBe(600);
  });

  it('map source lines in stack traces', () => {
    for (const h of HANDLER_NAMES) expect([h, envOf(h).NODE_OPTIONS]).toEqual([h, '--enable-source-maps']);
  });
});

describe('the functions’ environments, read by the handlers’ own configuration readers', () => {
  const keys = (h: HandlerName): string[] => Object.keys(envOf(h)).sort();

  it('detection: PlanWindow and ToFindings get the deployed detection config, suppression table and periods', () => {
    expect(planWindowConfigFromEnv(envOf('plan-window'))).toEqual({ detection: config.detection, engine: 'logs-insights' });
    expect(config.detection.detections.PORT_SCAN.threshold).toBe(40);
    expect(toFindingsConfigFromEnv(envOf('to-findings'))).toEqual({
      envName: 'prod',
      engine: 'logs-insights',
      suppressionTable: 'flowir-prod-suppression',
      evidenceBucket: envOf('evidence')[ENV.evidenceBucket],
      detection: config.detection,
      suppression: { suppressionSeconds: 86400, maxOpenSeconds: maxIncidentSeconds(config.incident) },
    });
  });

  it('evidence and history export: the evidence bucket, the flow-log group and its record format', () => {
    const bucket = `bucket-${id(stack.evidence.bucket).toLowerCase()}`;
    const evidence = evidenceConfigFromEnv(envOf('evidence'));
    expect(evidence).toMatchObject({ evidenceBucket: bucket, flowLogGroup: '/aws/vpc/flowlogs/prod' });
    expect(evidence.format.equals(FlowLogFormat.V5)).toBe(true);
    expect(exportHistoryConfigFromEnv(envOf('export-history'))).toEqual({ evidenceBucket: bucket });
  });

  it('policy and block: the incident config (file, then context), guardrails with the allowlist, neverBlock and VPC CIDRs', () => {
    const expected = {
      approvalTimeoutSeconds: 1800,
      blockDurationSeconds: 6 * 3600,
      suppressionSeconds: 86400,
      maxBlocksPerHour: 7,
      allowPrivate: false,
      neverBlock: ['192.0.2.0/24'],
      policy: { bySeverity: { WARNING: 'notify', CRITICAL: 'approve' }, byDetection: { PORT_SCAN: 'auto' } },
      networkAclDeny: ['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS'],
    };
    for (const h of ['policy', 'block', 'request-approval'] as const) expect([h, incidentConfigFromEnv(envOf(h))]).toEqual([h, expected]);
    const guardrails = { neverBlock: ['198.51.100.0/24', '192.0.2.0/24'], vpcCidrs: ['198.18.0.0/15'], allowPrivate: false, maxBlocksPerHour: 7, networkAclDeny: ['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS'] };
    expect(guardrailsFromEnv(envOf('policy'))).toEqual(guardrails);
    expect(guardrailsFromEnv(envOf('block'))).toEqual(guardrails);
  });

  it('block: the two IP sets by name and id, in the stack’s WAF scope, and the block table', () => {
    expect(ipSetsFromEnv(envOf('block'))).toEqual({
      IPV4: { name: 'flowir-prod-blocked-ipv4', id: `${stack.getLogicalId(stack.blocklist.ipv4).toLowerCase()}-0000-1111`, scope: 'REGIONAL', version: 4 },
      IPV6: { name: 'flowir-prod-blocked-ipv6', id: `${stack.getLogicalId(stack.blocklist.ipv6).toLowerCase()}-0000-1111`, scope: 'REGIONAL', version: 6 },
    });
    for (const h of ['block', 'release', 'sweep-expired'] as const) expect([h, requireEnv(envOf(h), CONTAINMENT_ENV.blockTable)]).toEqual([h, 'flowir-prod-blocks']);
  });

  it('notices and approvals: both topics, the approvers, the signing key, the approval table and the endpoint URL', () => {
    const topics = { warning: 'arn:aws:sns:us-east-1:123456789012:flowir-prod-warning', critical: 'arn:aws:sns:us-east-1:123456789012:flowir-prod-critical' };
    expect(topicsFromEnv(envOf('notify'))).toEqual(topics);
    const request = envOf('request-approval');
    expect(topicsFromEnv(request)).toEqual(topics);
    expect(approversFromEnv(request)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(approvalBaseUrlFromEnv(request)).toBe('https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws');
    const urlId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Url')?.[0];
    expect(render((fnProps('request-approval').Environment as { Variables: Record<string, unknown> }).Variables[CONTAINMENT_ENV.approvalBaseUrl])).toBe(`<${urlId}.FunctionUrl>`);
    const endpoint = envOf('approval-endpoint');
    for (const env of [request, endpoint]) {
      expect(requireEnv(env, CONTAINMENT_ENV.approvalTable)).toBe('flowir-prod-approvals');
      expect(requireEnv(env, CONTAINMENT_ENV.signingSecret)).toBe(`arn:aws:secretsmanager:us-east-1:123456789012:secret:${id(w.signingKey.secret)}-AbCdEf`);
    }
    expect(allowedOriginsFromEnv(endpoint)).toEqual([]);
  });

  it('hold nothing a handler does not read', () => {
    const d = ENV.detectionConfig;
    const i = ENV.incidentConfig;
    const c = CONTAINMENT_ENV;
    const ipSets = [c.ipSetScope, c.ipv4SetName, c.ipv4SetId, c.ipv6SetName, c.ipv6SetId];
    const expected: Record<HandlerName, string[]> = {
      'plan-window': [d, ENV.engine],
      'to-findings': [ENV.envName, ENV.engine, ENV.suppressionTable, ENV.evidenceBucket, d, i],
      'start-incidents': [ENV.incidentStateMachineArn, ENV.suppressionTable, ENV.evidenceBucket],
      evidence: [ENV.evidenceBucket, ENV.flowLogGroup, d],
      'export-history': [ENV.evidenceBucket],
      policy: [d, i, c.vpcCidrs],
      notify: [c.warningTopicArn, c.criticalTopicArn],
      'request-approval': [c.approvalTable, c.signingSecret, c.approvers, c.approvalBaseUrl, i, c.warningTopicArn, c.criticalTopicArn, c.approvalTopicArn],
      'approval-endpoint': [c.approvalTable, c.signingSecret],
      block: [...ipSets, c.blockTable, c.vpcCidrs, d, i],
      release: [c.blockTable],
      ticket: [],
      'sweep-expired': [c.blockTable],
    };
    for (const h of HANDLER_NAMES) expect([h, keys(h)]).toEqual([h, [...expected[h], 'NODE_OPTIONS'].sort()]);
  });

  it('refuses, naming the thresholds file, a config too large for a Lambda environment', () => {
    const allowlist = Array.from({ length: 300 }, (_, n) => `203.0.${Math.floor(n / 2)}.${(n % 2) * 128}/25`);
    const big = (path: string): string => (path === 'big.json' ? JSON.stringify({ allowlist }) : '');
    let error: unknown;
    try {
      buildStack({ thresholdsFile: 'big.json' }, { readFile: big });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InfraConfigError);
    expect((error as InfraConfigError).key).toBe('thresholdsFile');
    expect((error as Error).message).toMatch(/environment of flowir-dev-plan-window would be about \d+ bytes, over Lambda's 4096.*shorten the allowlist/);
  });
});

describe('least privilege: every role holds exactly what its handler or workflow calls', () => {
  const ref = (c: IConstruct): string => `<${id(c)}>`;
  const arn = (c: IConstruct): string => `<${id(c)}.Arn>`;
  const roleOf = (h: HandlerName): string => id(w.functions[h].role);
  const own = (h: HandlerName): string[] => [...grants(['logs:CreateLogStream', 'logs:PutLogEvents'], [arn(w.functions[h].logGroup)]), ...grants(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], ['*'])];
  const ipSets = grants(['wafv2:GetIPSet', 'wafv2:UpdateIPSet'], [`<${stack.getLogicalId(stack.blocklist.ipv4)}.Arn>`, `<${stack.getLogicalId(stack.blocklist.ipv6)}.Arn>`]);
  const blocks = arn(w.tables.blocks);
  const evidenceKey = grants(['kms:Decrypt', 'kms:GenerateDataKey'], [arn(stack.evidence.key)]);
  const alertsKey = grants(['kms:Decrypt', 'kms:GenerateDataKey'], [arn(stack.alerts.key)]);
  // Lambda sends an async invocation that failed for good to the dead-letter queue as the function's role.
  const deadLetters = grants(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], [arn(w.schedules.deadLetters.queue)]);
  const expected: Record<HandlerName, string[]> = {
    'plan-window': [],
    // It reads the query's result itself (GetQueryResults on the flow-log group only) and files the findings under detections/.
    'to-findings': [
      ...grants(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [arn(w.tables.suppression)]),
      `logs:GetQueryResults ${arn(stack.flowLogs.logGroup)}`,
      `s3:PutObject ${arn(stack.evidence.bucket)}/detections/*`,
      ...evidenceKey,
    ],
    // One batch read by key, StartExecution on the incident machine, and the release of a claim whose incident did not start.
    'start-incidents': [
      `s3:GetObject ${arn(stack.evidence.bucket)}/detections/*`,
      `kms:Decrypt ${arn(stack.evidence.key)}`,
      `states:StartExecution ${ARN('states')}:stateMachine:flowir-prod-incident`,
      `dynamodb:DeleteItem ${arn(w.tables.suppression)}`,
    ],
    evidence: [
      `logs:StartQuery ${arn(stack.flowLogs.logGroup)}`,
      `logs:GetQueryResults ${arn(stack.flowLogs.logGroup)}`,
      'logs:StopQuery *',
      'ec2:DescribeNetworkInterfaces *',
      'ec2:DescribeSecurityGroups *',
      `s3:PutObject ${arn(stack.evidence.bucket)}/incidents/*`,
      ...evidenceKey,
    ],
    'export-history': [
      `s3:PutObject ${arn(stack.evidence.bucket)}/executions/*`,
      ...evidenceKey,
      ...grants(['states:GetExecutionHistory'], ['incident', 'detection-anomaly', 'detection-security'].map((m) => `${ARN('states')}:execution:flowir-prod-${m}:*`)),
      ...deadLetters,
    ],
    policy: [],
    notify: [...grants(['sns:Publish'], [ref(stack.alerts.warning), ref(stack.alerts.critical)]), ...alertsKey],
    'request-approval': [`dynamodb:PutItem ${arn(w.tables.approvals)}`, `secretsmanager:GetSecretValue ${ref(w.signingKey.secret)}`, `sns:Publish ${ref(stack.alerts.critical)}`, `sns:Publish ${ref(stack.alerts.approval)}`, ...alertsKey],
    'approval-endpoint': [
      ...grants(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [arn(w.tables.approvals)]),
      `secretsmanager:GetSecretValue ${ref(w.signingKey.secret)}`,
      `states:SendTaskSuccess ${ARN('states')}:stateMachine:flowir-prod-incident`,
    ],
    // The hourly cap is a conditional counter in the block table (UpdateItem, and GetItem of the count when refused).
    block: [...ipSets, `dynamodb:Query ${blocks}/index/byExecution`, ...grants(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [blocks])],
    release: [...ipSets, ...grants(['dynamodb:Query'], [blocks, `${blocks}/index/byExecution`]), `dynamodb:DeleteItem ${blocks}`],
    ticket: ['ssm:CreateOpsItem *'],
    'sweep-expired': [...ipSets, ...grants(['dynamodb:Query'], [blocks, `${blocks}/index/byExecution`, `${blocks}/index/byTime`]), `dynamodb:DeleteItem ${blocks}`, ...deadLetters],
  };

  it.each(HANDLER_NAMES)('%s', (h) => {
    expect(grantsOf(template, roleOf(h))).toEqual([...own(h), ...expected[h]].sort());
  });

  it('function roles are assumed by Lambda only, and have no managed policy', () => {
    for (const h of HANDLER_NAMES) {
      const role = resources[roleOf(h)]?.Properties ?? {};
      expect([h, role.ManagedPolicyArns]).toEqual([h, undefined]);
      expect([h, (role.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement]).toEqual([h, [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }]]);
    }
  });

  it('the SendTaskSuccess grant names the incident state machine the template creates', () => {
    expect(resources[id(w.incident.stateMachine)]?.Properties.StateMachineName).toBe('flowir-prod-incident');
  });

  const unscoped = (extra: readonly string[]) => [...WORKFLOW_UNSCOPED_ACTIONS.tracing, ...WORKFLOW_UNSCOPED_ACTIONS.logDelivery, ...extra].map((a) => `${a} *`);
  const invoke = (hs: HandlerName[]) => hs.flatMap((h) => [`lambda:InvokeFunction <${fnId(h)}.Arn>`, `lambda:InvokeFunction <${fnId(h)}.Arn>:*`]);

  it('incident state machine: invokes its seven functions and nothing else', () => {
    expect(grantsOf(template, id(w.incident.stateMachine.role))).toEqual(
      [...invoke(['evidence', 'notify', 'policy', 'request-approval', 'block', 'ticket', 'release']), ...unscoped([])].sort(),
    );
  });

  it.each(['anomaly', 'security'] as const)('%s detection state machine: its three functions, StartQuery on the flow-log group (not *), StopQuery (no resource type), nothing else', (group) => {
    expect(grantsOf(template, id(w.detections[group].stateMachine.role))).toEqual(
      [...invoke(['plan-window', 'to-findings', 'start-incidents']), `logs:StartQuery ${arn(stack.flowLogs.logGroup)}`, ...unscoped(WORKFLOW_UNSCOPED_ACTIONS.stopQuery)].sort(),
    );
  });

  it.each(['anomaly', 'security'] as const)('the %s schedule may start its own detection machine only', (group) => {
    const target = (resources[id(w.schedules.detectionRules[group])]?.Properties.Targets as Array<{ RoleArn: unknown }>)[0];
    const roleId = render(target?.RoleArn).slice(1, -'.Arn>'.length);
    expect(grantsOf(template, roleId)).toEqual([`states:StartExecution ${ref(w.detections[group].stateMachine)}`]);
  });
});

describe('the state tables', () => {
  const table = (c: IConstruct) => resources[id(c)] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
  const common = { BillingMode: 'PAY_PER_REQUEST', SSESpecification: { SSEEnabled: true }, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };

  it('suppression: keyed and expiring as the suppression store writes', () => {
    expect(table(w.tables.suppression).Properties).toMatchObject({
      ...common,
      TableName: 'flowir-prod-suppression',
      KeySchema: [{ AttributeName: SUPPRESSION_TABLE.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: SUPPRESSION_TABLE.ttlAttribute, Enabled: true },
    });
    expect(SUPPRESSION_TABLE).toEqual({ partitionKey: 'pk', ttlAttribute: 'expiresAt' });
  });

  it('approvals: keyed by approval id, expiring on its ttl attribute', () => {
    expect(table(w.tables.approvals).Properties).toMatchObject({
      ...common,
      TableName: 'flowir-prod-approvals',
      KeySchema: [{ AttributeName: APPROVAL_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: APPROVAL_TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });

  it('blocks: cidr and execution, the byExecution and byTime indexes with whole items, and no TTL', () => {
    const p = table(w.tables.blocks).Properties;
    const b = BLOCK_TABLE_SCHEMA;
    expect(p).toMatchObject({ ...common, TableName: 'flowir-prod-blocks', KeySchema: [{ AttributeName: b.partitionKey, KeyType: 'HASH' }, { AttributeName: b.sortKey, KeyType: 'RANGE' }] });
    expect(p.GlobalSecondaryIndexes).toEqual(
      [b.byExecution, b.byTime].map((i) => ({
        IndexName: i.indexName,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(p.TimeToLiveSpecification).toBeUndefined();
  });

  it('are deleted with the stack, as the IP sets whose blocks they track are', () => {
    for (const t of [w.tables.suppression, w.tables.approvals, w.tables.blocks]) expect(table(t).DeletionPolicy).toBe('Delete');
  });
});

describe('approval links', () => {
  it('are signed with a generated 64-character key that only request-approval and the endpoint may read', () => {
    const secret = resources[id(w.signingKey.secret)]?.Properties;
    expect(secret?.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    const readers = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.PolicyDocument).includes(`"${id(w.signingKey.secret)}"`))
      .flatMap((r) => (r.Properties.Roles as unknown[]).map(render))
      .sort();
    expect(readers).toEqual([`<${id(w.functions['approval-endpoint'].role)}>`, `<${id(w.functions['request-approval'].role)}>`].sort());
  });

  it('point to the endpoint’s function URL, which takes no AWS authentication (the signed link is the credential)', () => {
    const urls = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url');
    expect(urls.map((u) => u.Properties)).toEqual([{ AuthType: 'NONE', InvokeMode: 'BUFFERED', TargetFunctionArn: { 'Fn::GetAtt': [fnId('approval-endpoint'), 'Arn'] } }]);
    const publicPermissions = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === '*')
      .map((r) => [r.Properties.Action, render(r.Properties.FunctionName), r.Properties.FunctionUrlAuthType ?? r.Properties.InvokedViaFunctionUrl]);
    expect(publicPermissions.sort()).toEqual(
      [
        ['lambda:InvokeFunction', `<${fnId('approval-endpoint')}.Arn>`, true],
        ['lambda:InvokeFunctionUrl', `<${fnId('approval-endpoint')}.Arn>`, 'NONE'],
      ].sort(),
    );
  });
});

describe('the state machines', () => {
  const machines = { incident: w.incident.stateMachine, anomaly: w.detections.anomaly.stateMachine, security: w.detections.security.stateMachine };
  const names = { incident: 'flowir-prod-incident', anomaly: 'flowir-prod-detection-anomaly', security: 'flowir-prod-detection-security' };

  it.each(Object.keys(machines) as Array<keyof typeof machines>)('%s: Standard, named, traced, logging ALL with execution data to its own group', (m) => {
    const p = resources[id(machines[m])]?.Properties ?? {};
    expect(p).toMatchObject({ StateMachineName: names[m], StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true } });
    const logging = p.LoggingConfiguration as { Level: string; IncludeExecutionData: boolean; Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }> };
    expect([logging.Level, logging.IncludeExecutionData]).toEqual(['ALL', true]);
    const group = render(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn).slice(1, -'.Arn>'.length);
    expect(resources[group]?.Properties).toEqual({ LogGroupName: `/aws/vendedlogs/states/${names[m]}`, RetentionInDays: 90 });
  });

  it('incident: waits the configured approval timeout, and lives as long as an incident can be open', () => {
    const definition = resolveDefinition(template.toJSON() as CfnTemplate, id(w.incident.stateMachine));
    expect((definition.States[INCIDENT_TASKS.approval] as { TimeoutSeconds: number }).TimeoutSeconds).toBe(1800);
    expect(definition.TimeoutSeconds).toBe(1800 + 6 * 3600 + 3600);
  });
});

describe('what starts things', () => {
  const rule = (c: IConstruct) => resources[id(c)]?.Properties as { ScheduleExpression?: string; EventPattern?: Record<string, unknown>; Targets: Array<Record<string, unknown>> };

  it('detection runs every 15 minutes (anomaly) and every 10 minutes (security), each its own machine', () => {
    for (const [group, rate] of [
      ['anomaly', 'rate(15 minutes)'],
      ['security', 'rate(10 minutes)'],
    ] as const) {
      const r = rule(w.schedules.detectionRules[group]);
      expect(r.ScheduleExpression).toBe(rate);
      expect(r.Targets).toHaveLength(1);
      expect(render(r.Targets[0]?.Arn)).toBe(`<${id(w.detections[group].stateMachine)}>`);
      expect(r.Targets[0]?.InputTransformer).toEqual({ InputPathsMap: { time: '$.time' }, InputTemplate: `{"group":"${group}","scheduledTime":<time>}` });
    }
  });

  it('the schedule’s input, as EventBridge fills it in, is a run PlanWindow accepts: the window before the scheduled time', async () => {
    const time = '2026-11-22T10:15:00Z';
    const transformer = rule(w.schedules.detectionRules.anomaly).Targets[0]?.InputTransformer as { InputTemplate: string };
    const input = JSON.parse(transformer.InputTemplate.replace('<time>', JSON.stringify(time)));
    const plan = createPlanWindowHandler({ config: planWindowConfigFromEnv(envOf('plan-window')), clock: { now: () => new Date('2026-11-22T10:15:05Z') } });
    const out = await plan(input);
    expect(out.group).toBe('anomaly');
    expect(out.window).toEqual(scheduledWindow(Date.parse(time) / 1000, config.detection));
    expect(out.rules.map((r) => r.detection).sort()).toEqual(['HIGH_CONNECTION_COUNT', 'HIGH_TRAFFIC_VOLUME']);
  });

  it('schedules follow the thresholds file', () => {
    const custom = (path: string): string => (path === 's.json' ? JSON.stringify({ schedules: { anomaly: { everyMinutes: 5 }, security: { everyMinutes: 60 } } }) : '');
    const t = build({ thresholdsFile: 's.json', approverEmails: 'alice@example.com' }, { readFile: custom });
    const rates = Object.values(resourcesOf(t.template))
      .filter((r) => r.Type === 'AWS::Events::Rule' && String(r.Properties.Name).startsWith('flowir-dev-detect-'))
      .map((r) => [r.Properties.Name, r.Properties.ScheduleExpression]);
    expect(rates.sort()).toEqual([
      ['flowir-dev-detect-anomaly', 'rate(5 minutes)'],
      ['flowir-dev-detect-security', 'rate(1 hour)'],
    ]);
  });

  it('every finished execution of the three machines has its history exported', () => {
    const r = rule(w.schedules.executionFinished);
    expect(r.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [w.incident.stateMachine, w.detections.anomaly.stateMachine, w.detections.security.stateMachine].map((m) => ({ Ref: id(m) })) },
    });
    expect(r.Targets.map((t) => render(t.Arn))).toEqual([`<${fnId('export-history')}.Arn>`]);
  });

  it('an incident execution that ends FAILED, TIMED_OUT or ABORTED (stopped by hand) has its blocks released', () => {
    const r = rule(w.schedules.incidentEndedWithoutRelease);
    expect(r.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'FAILED', 'TIMED_OUT'], stateMachineArn: [{ Ref: id(w.incident.stateMachine) }] },
    });
    expect(r.Targets.map((t) => render(t.Arn))).toEqual([`<${fnId('sweep-expired')}.Arn>`]);
  });

  it('expired blocks are swept every 15 minutes', () => {
    const r = rule(w.schedules.sweep);
    expect(r.ScheduleExpression).toBe('rate(15 minutes)');
    expect(r.Targets.map((t) => render(t.Arn))).toEqual([`<${fnId('sweep-expired')}.Arn>`]);
  });

  it('EventBridge may invoke exactly the functions its rules target', () => {
    const fromEvents = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'events.amazonaws.com')
      .map((r) => `${render(r.Properties.FunctionName)} from ${render(r.Properties.SourceArn)}`)
      .sort();
    expect(fromEvents).toEqual(
      [
        `<${fnId('export-history')}.Arn> from <${id(w.schedules.executionFinished)}.Arn>`,
        `<${fnId('sweep-expired')}.Arn> from <${id(w.schedules.incidentEndedWithoutRelease)}.Arn>`,
        `<${fnId('sweep-expired')}.Arn> from <${id(w.schedules.sweep)}.Arn>`,
      ].sort(),
    );
  });
});

describe('operator output and warnings', () => {
  it('outputs the state machine ARNs (for flowir audit --aws) and the approval endpoint URL', () => {
    const outputs = template.findOutputs('*');
    expect(render(outputs.IncidentStateMachineArn?.Value)).toBe(`<${id(w.incident.stateMachine)}>`);
    expect(render(outputs.AnomalyDetectionStateMachineArn?.Value)).toBe(`<${id(w.detections.anomaly.stateMachine)}>`);
    expect(render(outputs.SecurityDetectionStateMachineArn?.Value)).toBe(`<${id(w.detections.security.stateMachine)}>`);
    expect(outputs.ApprovalEndpointUrl?.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'FunctionUrl'] });
  });

  it('warns when the policy asks for approvals and nobody may approve, and not otherwise', () => {
    const none = build({});
    Annotations.fromStack(none.stack).hasWarning('/Flowir-dev/Workflows', Match.stringLikeRegexp('asks for approvals but approverEmails is empty'));
    // In the validation report too, which is what `cdk synth` prints.
    expect(none.app.warnings.filter((w) => w !== 'flowir:no-environment')).toEqual(['flowir:no-approvers']);
    const notifyOnly = (path: string): string => (path === 'n.json' ? JSON.stringify({ incident: { policy: { CRITICAL: 'notify' } } }) : '');
    const notify = build({ thresholdsFile: 'n.json' }, { readFile: notifyOnly });
    expect(Annotations.fromStack(notify.stack).findWarning('*', Match.stringLikeRegexp('approverEmails'))).toEqual([]);
    // The tests build offline, hence the environment warning (test/infra/environment.test.ts).
    expect(notify.app.warnings).toEqual(['flowir:no-environment']);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => w.entry.data)).toEqual([expect.stringMatching(/^No AWS account or region is known/)]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  const findings = (a: App, s: Stack): string[] => new AwsSolutionsChecks(a).validateScope(s).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));

  it('finds nothing unacknowledged in the workflows', () => {
    expect(findings(app, stack)).toEqual([]);
  });

  it('still reports a wildcard nobody justified on a function role', () => {
    const { app: a, stack: s } = buildStack({ approverEmails: 'alice@example.com' });
    new Policy(s, 'Unjustified', { roles: [s.workflows.functions.policy.role], statements: [new PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] })] });
    expect(findings(a, s)).toEqual(['AwsSolutions-IAM5[Resource::*] Flowir-dev/Unjustified/Resource']);
  });
});
