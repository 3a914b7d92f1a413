import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InfraConfigError } from '../config';
import { acknowledge } from '../nag';

/**
 * The Lambda runtime of every flowir function. Node.js 20 is past its Lambda deprecation (new
 * nodejs20.x functions can no longer be created), so the functions run on the newest runtime the
 * CDK knows; the bundles target it, and the handlers use nothing that differs from Node 20.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** Function logs are kept as long as Step Functions keeps execution history. */
export const FUNCTION_LOG_RETENTION = RetentionDays.THREE_MONTHS;

/** Lambda refuses a function whose environment (names and values) exceeds 4 KB. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** What an unresolved value (an ARN, a name, a URL known at deploy time) is counted as. */
const TOKEN_BYTES_ESTIMATE = 200;

export type HandlerName =
  | 'plan-window'
  | 'to-findings'
  | 'start-incidents'
  | 'evidence'
  | 'export-history'
  | 'policy'
  | 'notify'
  | 'request-approval'
  | 'approval-endpoint'
  | 'block'
  | 'release'
  | 'ticket'
  | 'sweep-expired';

export interface HandlerSpec {
  readonly description: string;
  /**
   * At most the shortest Task timeout that invokes the function, so that a slow run ends as a
   * Lambda timeout (named in the history) rather than as the Task's States.Timeout.
   */
  readonly timeout: Duration;
  readonly memoryMiB: number;
  /** What the function reserves when reservations are on (context `reservedConcurrency=true`); none otherwise. */
  readonly reservedConcurrency?: number;
}

/** One entry per file in handlers/lambda that exports a handler. */
export const HANDLERS: Readonly<Record<HandlerName, HandlerSpec>> = {
  'plan-window': { description: 'PlanWindow: the window of a detection run and the queries of its rules', timeout: Duration.seconds(20), memoryMiB: 256 },
  'to-findings': { description: 'ToFindings: the query result to findings, allowlist and suppression applied, findings filed in batches, finding metrics', timeout: Duration.seconds(50), memoryMiB: 512 },
  'start-incidents': { description: 'StartIncidents: one incident execution per new finding of a batch; the claim released when one cannot start', timeout: Duration.seconds(50), memoryMiB: 256 },
  // Its Task waits 10 minutes: the evidence query is polled inside the function.
  evidence: { description: 'SnapshotEvidence: raw records, security groups and an exact re-count, hashed into the evidence bucket', timeout: Duration.minutes(10), memoryMiB: 1024 },
  'export-history': { description: 'ExportHistory: the history of each finished execution, copied to the evidence bucket', timeout: Duration.minutes(5), memoryMiB: 512 },
  policy: { description: 'DecidePolicy: notify, approve or auto, and the containment guardrails', timeout: Duration.seconds(20), memoryMiB: 256 },
  notify: { description: 'NotifyFinding, Escalate and NotifyFailure: the warning and critical topics', timeout: Duration.seconds(20), memoryMiB: 256 },
  'request-approval': { description: 'RequestApproval: stores the task token and mails signed approval links', timeout: Duration.seconds(30), memoryMiB: 256 },
  // A public URL: the reservation bounds what a flood of requests can cost and cannot starve the rest.
  // Without it (the default) a flood competes with the workflows' functions for the account's
  // unreserved concurrency.
  'approval-endpoint': { description: 'Approval page and decision (function URL; the signed link is the credential)', timeout: Duration.seconds(15), memoryMiB: 256, reservedConcurrency: 5 },
  block: { description: 'BlockSource: adds the source to the WAF IP set, guardrails re-checked', timeout: Duration.seconds(90), memoryMiB: 256 },
  // ReleaseAfterFailure gives it 60 s.
  release: { description: 'ReleaseBlock and ReleaseAfterFailure: removes what the incident blocked', timeout: Duration.seconds(50), memoryMiB: 256 },
  ticket: { description: 'OpenTicket: one OpsCenter OpsItem per incident for the security-group review', timeout: Duration.seconds(50), memoryMiB: 256 },
  // One sweeper at a time. Not needed for correctness: two overlapping sweeps release the same block
  // twice at worst, since the IP set update re-reads and retries on WAF's lock token
  // (handlers/containment/ip-set-update.ts) and the registry delete is unconditional.
  'sweep-expired': { description: 'Sweeps expired blocks and those of executions that ended without releasing', timeout: Duration.minutes(5), memoryMiB: 256, reservedConcurrency: 1 },
};

export class ProjectRootError extends Error {
  override readonly name = 'ProjectRootError';
}

/**
 * The repository root (package-lock.json beside handlers/), found from this file whether it runs
 * as TypeScript or compiled under dist/, so that entries and the lock file resolve from any cwd.
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json')) && existsSync(join(dir, 'handlers', 'lambda'))) return dir;
    if (dirname(dir) === dir) throw new ProjectRootError(`no directory above ${from} holds package-lock.json and handlers/lambda: the Lambda entries cannot be found`);
  }
}

/** Bytes of a Lambda environment as Lambda counts them, with values known only at deploy time estimated. */
export function environmentBytes(environment: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(environment)) {
    total += Buffer.byteLength(name, 'utf8') + (Token.isUnresolved(value) ? TOKEN_BYTES_ESTIMATE : Buffer.byteLength(value, 'utf8'));
  }
  return total;
}

export interface FlowirFunctionProps {
  readonly envName: string;
  readonly handler: HandlerName;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Give the function the reserved concurrency its HandlerSpec asks for. Off by default: Lambda
   * refuses any reservation that leaves the account fewer than its minimum unreserved executions
   * ("Specified ReservedConcurrentExecutions for function decreases account's
   * UnreservedConcurrentExecution below its minimum value of [10]."), and new accounts often have a
   * concurrency quota of just 10, so nothing can be reserved there ("New AWS accounts have reduced
   * concurrency and memory quotas", https://docs.aws.amazon.com/lambda/latest/dg/limits.html;
   * "Unreserved account concurrency ... minus 100",
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html; docs/aws-facts.md §6).
   * @default false
   */
  readonly reserveConcurrency?: boolean;
}

/**
 * One handler of handlers/lambda as a Lambda function: bundled with esbuild (the AWS SDK comes
 * from the runtime, Powertools is bundled), arm64, X-Ray, its own log group, and a role of its own
 * that starts with nothing but writing to that log group.
 */
export class FlowirFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly handlerName: HandlerName;

  constructor(scope: Construct, id: string, props: FlowirFunctionProps) {
    super(scope, id);
    const spec = HANDLERS[props.handler];
    this.handlerName = props.handler;
    const functionName = `flowir-${props.envName}-${props.handler}`;
    const environment: Record<string, string> = { ...props.environment, NODE_OPTIONS: '--enable-source-maps' };
    const bytes = environmentBytes(environment);
    if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      throw new InfraConfigError(
        'thresholdsFile',
        `the environment of ${functionName} would be about ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}: the detection and incident configs travel in it as JSON; shorten the allowlist or incident.neverBlock`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: FUNCTION_LOG_RETENTION,
      // Decisions and evidence are kept in the execution histories and the evidence bucket, not here.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: only what the ${props.handler} handler calls`,
    });
    // In place of AWSLambdaBasicExecutionRole, which allows writing to every log group.
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));

    const root = projectRoot();
    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: spec.description,
      entry: join(root, 'handlers', 'lambda', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: spec.timeout,
      memorySize: spec.memoryMiB,
      ...(props.reserveConcurrency === true && spec.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: spec.reservedConcurrency } : {}),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment,
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        // esbuild's warnings and errors only: its per-bundle size summary made five lines a function
        // (sixty on every `cdk synth`) in front of the stack's warnings.
        logLevel: LogLevel.WARNING,
        // The runtime provides the AWS SDK v3; everything else (Powertools included) is bundled.
        externalModules: ['@aws-sdk/*'],
      },
    });
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy === undefined) throw new Error(`${this.node.path}: the role has no default policy for the tracing permissions`);
    acknowledge(
      defaultPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions; every other statement of this policy names its resources.',
    );
  }
}
