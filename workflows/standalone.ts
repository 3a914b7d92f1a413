import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { DetectionGroup } from '../core/detection/rules';
import { DetectionWorkflow, type DetectionEngine } from './detection';
import { IncidentWorkflow, type IncidentFunctions } from './incident';
import { resolveDefinition, type AslDefinition, type CfnTemplate } from './resolve';

export interface SynthesizedWorkflows {
  readonly incident: AslDefinition;
  readonly detection: Readonly<Record<DetectionGroup, AslDefinition>>;
}

const placeholderArn = (name: string): string => `arn:aws:lambda:us-east-1:123456789012:function:flowir-${name}`;

/**
 * Synthesize the two workflows in a stack of their own, with placeholder functions and log group,
 * and return their ASL documents. The constructs are the ones the deployed stack uses.
 */
export function synthesizeStandaloneWorkflows(options: { readonly engine?: DetectionEngine; readonly approvalTimeoutSeconds?: number } = {}): SynthesizedWorkflows {
  // Its own outdir, removed below: an App without one leaves a cdk.out* in os.tmpdir() per call.
  const outdir = mkdtempSync(join(tmpdir(), 'flowir-workflows-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FlowirWorkflows', { env: { account: '123456789012', region: 'us-east-1' } });
  const fn = (name: string): lambda.IFunction => lambda.Function.fromFunctionArn(stack, `Fn-${name}`, placeholderArn(name));
  const functions: IncidentFunctions = {
    evidence: fn('evidence'),
    notify: fn('notify'),
    policy: fn('policy'),
    requestApproval: fn('request-approval'),
    block: fn('block'),
    ticket: fn('ticket'),
    release: fn('release'),
  };
  const workflowLogs = new logs.LogGroup(stack, 'WorkflowLogs', { logGroupName: '/flowir/local/workflows' });
  const flowLogs = logs.LogGroup.fromLogGroupName(stack, 'FlowLogs', '/aws/vpc/flowlogs/local');
  const incident = new IncidentWorkflow(stack, 'Incident', { functions, logs: workflowLogs, ...(options.approvalTimeoutSeconds !== undefined ? { approvalTimeout: Duration.seconds(options.approvalTimeoutSeconds) } : {}) });
  const detections: Partial<Record<DetectionGroup, DetectionWorkflow>> = {};
  const planFunction = fn('plan-window');
  const findingsFunction = fn('to-findings');
  const startIncidentsFunction = fn('start-incidents');
  for (const group of ['anomaly', 'security'] as const) {
    detections[group] = new DetectionWorkflow(stack, `Detection-${group}`, {
      group,
      engine: options.engine ?? 'logs-insights',
      planFunction,
      findingsFunction,
      startIncidentsFunction,
      logGroup: flowLogs,
      logs: workflowLogs,
      ...(options.engine === 'athena'
        ? {
            athena: {
              workGroup: 'flowir-local',
              database: 'flowir',
              workGroupArn: 'arn:aws:athena:us-east-1:123456789012:workgroup/flowir-local',
              resultsBucketArn: 'arn:aws:s3:::flowir-local-results',
              archiveBucketArn: 'arn:aws:s3:::flowir-local-archive',
              glueCatalogArns: ['arn:aws:glue:us-east-1:123456789012:catalog'],
            },
          }
        : {}),
    });
  }
  let template: CfnTemplate;
  try {
    template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  const idOf = (c: { stateMachine: { node: { defaultChild?: unknown } } }): string => stack.getLogicalId(c.stateMachine.node.defaultChild as import('aws-cdk-lib').CfnElement);
  return {
    incident: resolveDefinition(template, idOf(incident)),
    detection: {
      anomaly: resolveDefinition(template, idOf(detections.anomaly as DetectionWorkflow)),
      security: resolveDefinition(template, idOf(detections.security as DetectionWorkflow)),
    },
  };
}
