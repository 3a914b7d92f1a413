import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token, type CfnElement, type IResolvable, type IResolveContext } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, type CfnPolicy, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { CfnStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DetectionGroup } from '../../core/detection/rules';
import { maxIncidentSeconds } from '../../core/incident';
import { CONTAINMENT_ENV } from '../../handlers/lambda/containment-environment';
import { ENV } from '../../handlers/lambda/environment';
import { DetectionWorkflow, type AthenaTarget } from '../../workflows/detection';
import { IncidentWorkflow, type IncidentFunctions } from '../../workflows/incident';
import { acknowledge } from '../nag';
import { reportPlaceholder } from '../placeholders';
import type { FlowirResources } from '../stack';
import { ApprovalSigningKey, approvalEndpointUrl } from './approval-endpoint';
import { FUNCTION_LOG_RETENTION, FlowirFunction, type HandlerName } from './functions';
import { detectionConfigDocument, incidentConfigDocument } from './function-environment';
import { WorkflowSchedules } from './schedules';
import { StateTables } from './state-tables';

/** Where ExportHistory writes in the evidence bucket (handlers/export-history.ts historyKey). */
export const EXECUTIONS_PREFIX = 'executions/';
/** Detection executions' findings records and batches of new findings (ToFindings writes, StartIncidents reads). */
export const DETECTIONS_PREFIX = 'detections/';

export const DETECTION_GROUPS: readonly DetectionGroup[] = ['anomaly', 'security'];

/** The state machines' names: fixed, so that execution ARNs (history export, audit) are known at deploy time. */
export function stateMachineNames(envName: string): { readonly incident: string; readonly detection: Readonly<Record<DetectionGroup, string>> } {
  return {
    incident: `flowir-${envName}-incident`,
    detection: { anomaly: `flowir-${envName}-detection-anomaly`, security: `flowir-${envName}-detection-security` },
  };
}

/**
 * Permissions that AWS offers on no resource, which Step Functions adds to a state machine's role:
 * active tracing and the delivery of its logs to CloudWatch Logs; the logs-insights detection
 * workflow adds logs:StopQuery, which the Service Authorization Reference for CloudWatch Logs gives
 * no resource type. Nothing else on a workflow role may be `*`, but for the athena engine
 * lakeformation:GetDataAccess, in a policy of its own.
 */
export const WORKFLOW_UNSCOPED_ACTIONS = {
  tracing: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
  logDelivery: [
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ],
  stopQuery: ['logs:StopQuery'],
} as const;

/**
 * Athena: "Anyone using Athena to query data registered with Lake Formation must have an IAM
 * permissions policy that allows the lakeformation:GetDataAccess action"
 * (https://docs.aws.amazon.com/athena/latest/ug/lf-athena-user-permissions.html; docs/aws-facts.md
 * §4). AWS Lake Formation defines no resource types, so the action can only be granted on `*`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html;
 * iam-dataset: "resources": [] for lakeformation).
 */
export const LAKE_FORMATION_DATA_ACCESS = 'lakeformation:GetDataAccess';

export interface WorkflowsProps {
  readonly resources: FlowirResources;
}

/**
 * The detection and incident workflows, deployed: one Lambda function per handler with exactly the
 * permissions its handler uses, the DynamoDB state, the approval-link key and endpoint, the
 * incident state machine and one detection state machine per schedule group, and the EventBridge
 * rules that start them, export their histories and sweep blocks.
 */
export class Workflows extends Construct {
  readonly functions: Readonly<Record<HandlerName, FlowirFunction>>;
  readonly tables: StateTables;
  readonly signingKey: ApprovalSigningKey;
  readonly approvalUrl: string;
  readonly incident: IncidentWorkflow;
  readonly detections: Readonly<Record<DetectionGroup, DetectionWorkflow>>;
  readonly schedules: WorkflowSchedules;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const r = props.resources;
    const c = r.config;
    const stack = Stack.of(this);
    const names = stateMachineNames(c.envName);
    const stateMachineArn = (name: string): string => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${name}`;
    const executionsOf = (name: string): string => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${name}:*`;

    this.tables = new StateTables(this, 'Tables', { envName: c.envName });
    this.signingKey = new ApprovalSigningKey(this, 'ApprovalSigningKey', { envName: c.envName });

    const detectionConfig = detectionConfigDocument(c.detection);
    const incidentConfig = incidentConfigDocument(c.incident);
    const topics = { [CONTAINMENT_ENV.warningTopicArn]: r.warningTopic.topicArn, [CONTAINMENT_ENV.criticalTopicArn]: r.criticalTopic.topicArn };
    const ipSets = {
      [CONTAINMENT_ENV.ipSetScope]: c.wafScope,
      [CONTAINMENT_ENV.ipv4SetName]: requireName(r.ipSetV4.name, 'IPv4 IP set'),
      [CONTAINMENT_ENV.ipv4SetId]: r.ipSetV4.attrId,
      [CONTAINMENT_ENV.ipv6SetName]: requireName(r.ipSetV6.name, 'IPv6 IP set'),
      [CONTAINMENT_ENV.ipv6SetId]: r.ipSetV6.attrId,
    };
    const blockTable = { [CONTAINMENT_ENV.blockTable]: this.tables.blocks.tableName };
    const fn = (handler: HandlerName, environment: Record<string, string>): FlowirFunction =>
      new FlowirFunction(this, pascalCase(handler), { envName: c.envName, handler, environment, reserveConcurrency: c.reservedConcurrency });

    // ------------------------------------------------------------ detection functions
    const planWindow = fn('plan-window', {
      [ENV.detectionConfig]: detectionConfig,
      [ENV.engine]: c.engine,
      ...(r.athena !== undefined ? { [ENV.athenaTable]: r.athena.qualifiedTableName } : {}),
    });
    const toFindings = fn('to-findings', {
      [ENV.envName]: c.envName,
      [ENV.engine]: c.engine,
      [ENV.suppressionTable]: this.tables.suppression.tableName,
      [ENV.evidenceBucket]: r.evidenceBucket.bucketName,
      [ENV.detectionConfig]: detectionConfig,
      [ENV.incidentConfig]: incidentConfig,
    });
    this.tables.grantSuppression(toFindings.function);
    // ToFindings reads the query's result itself: a state carries at most 256 KiB of it (docs/aws-facts.md §2, §4).
    if (c.engine === 'athena') r.athena?.grantResultsRead(toFindings.function);
    else r.grantFlowLogResults(toFindings.role);
    r.grantEvidenceWrite(toFindings.function, DETECTIONS_PREFIX);

    // By name, not by reference: the incident state machine is defined further down.
    const startIncidents = fn('start-incidents', {
      [ENV.incidentStateMachineArn]: stateMachineArn(names.incident),
      [ENV.suppressionTable]: this.tables.suppression.tableName,
      [ENV.evidenceBucket]: r.evidenceBucket.bucketName,
    });
    startIncidents.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn(names.incident)] }));
    this.tables.grantSuppressionRelease(startIncidents.function);
    r.grantEvidenceGet(startIncidents.function, DETECTIONS_PREFIX);

    // ------------------------------------------------------------ incident functions
    const evidence = fn('evidence', {
      [ENV.evidenceBucket]: r.evidenceBucket.bucketName,
      [ENV.flowLogGroup]: r.flowLogGroup.logGroupName,
      [ENV.detectionConfig]: detectionConfig,
    });
    r.grantEvidenceWrite(evidence.function);
    r.grantFlowLogQuery(evidence.role);
    unscopedPolicy(evidence.role, 'NetworkInventory', ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups'], 'ec2:DescribeNetworkInterfaces and ec2:DescribeSecurityGroups support no resource-level permissions; they are read-only and give the evidence its security-group snapshot.');

    const policy = fn('policy', { [ENV.detectionConfig]: detectionConfig, [ENV.incidentConfig]: incidentConfig, [CONTAINMENT_ENV.vpcCidrs]: c.vpcCidrs.join(',') });

    const notify = fn('notify', topics);
    r.grantPublish(notify.function, 'WARNING');
    r.grantPublish(notify.function, 'CRITICAL');

    const endpoint = fn('approval-endpoint', { [CONTAINMENT_ENV.approvalTable]: this.tables.approvals.tableName, [CONTAINMENT_ENV.signingSecret]: this.signingKey.secret.secretArn });
    this.tables.grantApprovalDecide(endpoint.function);
    this.signingKey.grantRead(endpoint.function);
    // By name, not by reference: the state machine invokes request-approval, whose environment holds this function's URL.
    endpoint.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachineArn(names.incident)] }));
    const url = approvalEndpointUrl(endpoint.function);
    this.approvalUrl = url.url;

    const requestApproval = fn('request-approval', {
      [CONTAINMENT_ENV.approvalTable]: this.tables.approvals.tableName,
      [CONTAINMENT_ENV.signingSecret]: this.signingKey.secret.secretArn,
      [CONTAINMENT_ENV.approvers]: c.approverEmails.join(','),
      [CONTAINMENT_ENV.approvalBaseUrl]: url.url,
      [ENV.incidentConfig]: incidentConfig,
      ...topics,
      [CONTAINMENT_ENV.approvalTopicArn]: r.approvalTopic.topicArn,
    });
    this.tables.grantApprovalSave(requestApproval.function);
    this.signingKey.grantRead(requestApproval.function);
    // Each approver's link goes to the approval topic, the link-free summary to the critical topic.
    r.grantPublish(requestApproval.function, 'CRITICAL');
    r.grantApprovalPublish(requestApproval.function);

    const block = fn('block', { ...ipSets, ...blockTable, [CONTAINMENT_ENV.vpcCidrs]: c.vpcCidrs.join(','), [ENV.detectionConfig]: detectionConfig, [ENV.incidentConfig]: incidentConfig });
    r.grantIpSetUpdate(block.function);
    this.tables.grantBlockRegistry(block.function, ['byExecution', 'budget', 'put', 'remove']);

    const release = fn('release', blockTable);
    r.grantIpSetUpdate(release.function);
    this.tables.grantBlockRegistry(release.function, ['byExecution', 'byCidr', 'remove']);

    const ticket = fn('ticket', {});
    unscopedPolicy(ticket.role, 'OpsItems', ['ssm:CreateOpsItem'], 'ssm:CreateOpsItem supports no resource-level permissions (an OpsItem has no ARN until it exists); it is the only action of this policy.');

    const sweep = fn('sweep-expired', blockTable);
    r.grantIpSetUpdate(sweep.function);
    this.tables.grantBlockRegistry(sweep.function, ['expired', 'byExecution', 'byCidr', 'remove']);

    const exportHistory = fn('export-history', { [ENV.evidenceBucket]: r.evidenceBucket.bucketName });
    r.grantEvidenceWrite(exportHistory.function, EXECUTIONS_PREFIX);
    const machineNames = [names.incident, ...DETECTION_GROUPS.map((g) => names.detection[g])];
    exportHistory.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: machineNames.map(executionsOf) }));
    for (const name of machineNames) {
      acknowledge(
        exportHistory.role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
        `Execution names derive from finding ids and schedule times, unknown at deploy time; the grant is GetExecutionHistory on executions of ${name} only.`,
      );
    }

    this.functions = {
      'plan-window': planWindow,
      'to-findings': toFindings,
      'start-incidents': startIncidents,
      evidence,
      'export-history': exportHistory,
      policy,
      notify,
      'request-approval': requestApproval,
      'approval-endpoint': endpoint,
      block,
      release,
      ticket,
      'sweep-expired': sweep,
    };

    // ------------------------------------------------------------ state machines
    const incidentFunctions: IncidentFunctions = {
      evidence: evidence.function,
      notify: notify.function,
      policy: policy.function,
      requestApproval: requestApproval.function,
      block: block.function,
      ticket: ticket.function,
      release: release.function,
    };
    this.incident = new IncidentWorkflow(this, 'Incident', {
      functions: incidentFunctions,
      logs: workflowLogGroup(this, 'IncidentLogs', names.incident),
      approvalTimeout: Duration.seconds(c.incident.approvalTimeoutSeconds),
      // The longest an incident can be open, which suppression also assumes (core/incident).
      timeout: Duration.seconds(maxIncidentSeconds(c.incident)),
    });
    nameStateMachine(this.incident.stateMachine, names.incident);
    acknowledgeWorkflowRole(this.incident.stateMachine, Object.values(incidentFunctions).map((f) => logicalIdOf(stack, f.node.defaultChild)), false);

    const athena: AthenaTarget | undefined =
      r.athena === undefined
        ? undefined
        : {
            workGroup: r.athena.workGroup.name,
            database: r.athena.databaseName,
            workGroupArn: r.athena.workGroupArn,
            resultsBucketArn: r.athena.results.bucketArn,
            archiveBucketArn: r.archiveBucket.bucketArn,
            glueCatalogArns: [`arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`],
          };
    const detections: Partial<Record<DetectionGroup, DetectionWorkflow>> = {};
    for (const group of DETECTION_GROUPS) {
      const workflow = new DetectionWorkflow(this, `Detection-${group}`, {
        group,
        engine: c.engine,
        planFunction: planWindow.function,
        findingsFunction: toFindings.function,
        startIncidentsFunction: startIncidents.function,
        logGroup: r.flowLogGroup,
        logs: workflowLogGroup(this, `Detection-${group}-Logs`, names.detection[group]),
        ...(athena !== undefined ? { athena } : {}),
      });
      nameStateMachine(workflow.stateMachine, names.detection[group]);
      if (c.engine === 'athena') narrowAthenaPermissions(workflow.stateMachine, r);
      acknowledgeWorkflowRole(workflow.stateMachine, [planWindow, toFindings, startIncidents].map((f) => logicalIdOf(stack, f.function.node.defaultChild)), c.engine === 'logs-insights');
      detections[group] = workflow;
    }
    this.detections = detections as Record<DetectionGroup, DetectionWorkflow>;

    this.schedules = new WorkflowSchedules(this, 'Schedules', {
      envName: c.envName,
      detections: {
        anomaly: { stateMachine: this.detections.anomaly.stateMachine, everyMinutes: c.detection.schedules.anomaly.everyMinutes },
        security: { stateMachine: this.detections.security.stateMachine, everyMinutes: c.detection.schedules.security.everyMinutes },
      },
      incident: this.incident.stateMachine,
      exportHistory: exportHistory.function,
      sweepExpired: sweep.function,
      deadLetterAlarmTopic: r.criticalTopic,
    });

    const approvalRoutes = [...Object.values(c.incident.policy.bySeverity), ...Object.values(c.incident.policy.byDetection)].includes('approve');
    if (approvalRoutes && c.approverEmails.length === 0) {
      reportPlaceholder(
        this,
        c,
        'no-approvers',
        'The incident policy asks for approvals but approverEmails is empty: RequestApproval would fail and those incidents end FAILED without containment. Pass -c approverEmails=a@example.com,...',
        'The incident policy asks for approvals but approverEmails is empty, so those incidents would end FAILED without containment: pass -c approverEmails=a@example.com,... or a thresholds file whose incident.policy asks for none',
      );
    }

    new CfnOutput(stack, 'IncidentStateMachineArn', { value: this.incident.stateMachine.stateMachineArn, description: 'Incident workflow (flowir audit --aws --state-machine ...)' });
    new CfnOutput(stack, 'AnomalyDetectionStateMachineArn', { value: this.detections.anomaly.stateMachine.stateMachineArn, description: 'Anomaly detection workflow' });
    new CfnOutput(stack, 'SecurityDetectionStateMachineArn', { value: this.detections.security.stateMachine.stateMachineArn, description: 'Security detection workflow' });
    new CfnOutput(stack, 'ApprovalEndpointUrl', { value: url.url, description: 'Where approval links point (function URL; the signed link is the credential)' });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_m, _d: string, ch: string) => ch.toUpperCase());
}

function requireName(name: string | undefined, what: string): string {
  if (name === undefined) throw new Error(`the ${what} has no name; BlockSource addresses IP sets by name and id`);
  return name;
}

function logicalIdOf(stack: Stack, element: unknown): string {
  return stack.getLogicalId(element as CfnElement);
}

/** A state machine's log group, under /aws/vendedlogs/ so that its CloudWatch Logs resource policy stays small. */
function workflowLogGroup(scope: Construct, id: string, stateMachineName: string): LogGroup {
  return new LogGroup(scope, id, {
    logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
    retention: FUNCTION_LOG_RETENTION,
    // Every execution's history is exported to the evidence bucket, which is the lasting record.
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

function nameStateMachine(stateMachine: StateMachine, name: string): void {
  (stateMachine.node.defaultChild as CfnStateMachine).stateMachineName = name;
}

/** A policy of its own for actions AWS offers on no resource, so that its acknowledgement covers nothing else. */
function unscopedPolicy(role: IRole & Construct, id: string, actions: string[], reason: string): Policy {
  const policy = new Policy(role, id, { roles: [role], statements: [new PolicyStatement({ actions, resources: ['*'] })] });
  acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', reason);
  return policy;
}

/** Services whose permissions CDK's Athena tasks grant far too widely (s3:CreateBucket and s3:PutObject on *, Glue writes). */
export const ATHENA_TASK_SERVICES = ['athena', 'glue', 's3', 'lakeformation'] as const;

interface PolicyStatementJson {
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly [key: string]: unknown;
}

/**
 * Replace the statements of a state machine's default policy, as they resolve, with what `rewrite`
 * makes of them: the tasks that add them (CDK's Athena tasks, CallAwsService) take no option that
 * narrows them.
 */
function rewriteDefaultPolicy(stateMachine: StateMachine, rewrite: (statement: PolicyStatementJson, context: IResolveContext) => PolicyStatementJson[]): void {
  const defaultPolicy = stateMachine.role.node.tryFindChild('DefaultPolicy');
  if (!(defaultPolicy instanceof Policy)) throw new Error(`${stateMachine.node.path}: the state machine role has no default policy to narrow`);
  const cfn = defaultPolicy.node.defaultChild as CfnPolicy;
  const original = defaultPolicy.document;
  const rewritten: IResolvable = {
    creationStack: [],
    resolve: (context: IResolveContext) => {
      const doc = context.resolve(original) as { Statement: PolicyStatementJson[] } & Record<string, unknown>;
      return { ...doc, Statement: doc.Statement.flatMap((statement) => rewrite(statement, context)) };
    },
    toString: () => Token.asString(rewritten),
  };
  cfn.policyDocument = rewritten;
}

const actionsOf = (statement: PolicyStatementJson): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action ?? '']);
const withActions = (statement: PolicyStatementJson, actions: string[]): PolicyStatementJson => ({ ...statement, Action: actions.length === 1 ? actions[0] : actions });

/**
 * The Athena tasks of the detection workflow grant its role what any query anywhere could need
 * (S3 read, write and CreateBucket on every bucket, Glue create and delete on the database), and
 * take no option that narrows it. Their statements are dropped from the role's default policy, and
 * the role gets, in a policy of its own, what the stack's grantAthenaQuery gives: queries in the
 * flowir workgroup, reads of the Glue table and the archive, and the workgroup's result prefix
 * (Athena writes results with the caller's permissions). No GetQueryResults: ToFindings reads the results.
 */
function narrowAthenaPermissions(stateMachine: StateMachine, resources: FlowirResources): void {
  const role = stateMachine.role;
  const isAthenaTaskAction = (action: string): boolean => (ATHENA_TASK_SERVICES as readonly string[]).includes(action.split(':')[0] ?? '');
  rewriteDefaultPolicy(stateMachine, (statement) => {
    const actions = actionsOf(statement).filter((a) => !isAthenaTaskAction(a));
    return actions.length === 0 ? [] : [withActions(statement, actions)];
  });
  // A grantee whose grants land in a policy of their own on the same role.
  const grantee = Role.fromRoleName(stateMachine.node.scope ?? stateMachine, 'AthenaQueries', role.roleName, { mutable: true });
  resources.grantAthenaQuery(grantee);
  const catalog = `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:datacatalog/AwsDataCatalog`;
  grantee.addToPrincipalPolicy(new PolicyStatement({ actions: ['athena:GetDataCatalog'], resources: [catalog] }));
  // Accounts that govern the Data Catalog with Lake Formation deny Athena's reads without it.
  if (!(role instanceof Role)) throw new Error(`${stateMachine.node.path}: the state machine role is not one this stack made`);
  const dataAccess = unscopedPolicy(
    role,
    'LakeFormationDataAccess',
    [LAKE_FORMATION_DATA_ACCESS],
    'lakeformation:GetDataAccess: AWS Lake Formation defines no resource types (Service Authorization Reference); Athena needs it to read data registered with Lake Formation, and Lake Formation grants decide which.',
  );
  // The machine, and so its schedule, exists only once it may run its queries.
  const athenaPolicy = grantee.node.children.find((child) => child instanceof Policy);
  if (athenaPolicy === undefined) throw new Error(`${stateMachine.node.path}: the Athena grants made no policy`);
  stateMachine.node.defaultChild?.node.addDependency(athenaPolicy, dataAccess);
}

function acknowledgeWorkflowRole(stateMachine: StateMachine, functionLogicalIds: readonly string[], queriesLogs: boolean): void {
  const role = stateMachine.role;
  const unscoped = [...WORKFLOW_UNSCOPED_ACTIONS.tracing, ...WORKFLOW_UNSCOPED_ACTIONS.logDelivery, ...(queriesLogs ? WORKFLOW_UNSCOPED_ACTIONS.stopQuery : [])];
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', `Only actions with no resource-level permissions are granted on *: ${unscoped.join(', ')} (active tracing, log delivery${queriesLogs ? ', stopping a query by id' : ''}).`);
  for (const id of new Set(functionLogicalIds)) {
    acknowledge(role, `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`, 'LambdaInvoke also grants the versions and aliases of the one function it calls (its ARN with a qualifier); no other function.');
  }
}
