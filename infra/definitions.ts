import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { resolveDefinition, type CfnTemplate } from '../workflows/resolve';
import type { SynthesizedWorkflows } from '../workflows/standalone';
import { projectRoot } from './constructs/functions';
import { buildFlowirApp } from './flowir-app';

/**
 * The state machine definitions of the stack `cdk deploy` deploys, built from the same context
 * (cdk.json's, then `context`), with its Refs and GetAtts resolved to placeholder ARNs (the local
 * runtime serves every Task by state name). The Lambda code is not bundled, the CloudFormation
 * validator is off, and annotations are not printed: only the definitions are wanted. The cdk-nag
 * checks still run, as on every synth. The cloud assembly is written to a directory removed before
 * returning (an App without an outdir leaves a cdk.out* directory in os.tmpdir() on every call,
 * and every `flowir run` makes this call).
 */
export function synthesizeFlowirDefinitions(context: Record<string, unknown> = {}): SynthesizedWorkflows {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot(), 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'flowir-definitions-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...cdkJson.context,
        ...context,
        'aws:cdk:bundling-stacks': [],
        // The placeholder-VPC and approver warnings are for `cdk synth`, not for a local run.
        '@aws-cdk/core:annotationsInValidationReport': false,
      },
      builtinCloudFormationValidation: false,
    });
    const stack = buildFlowirApp(app);
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const definitionOf = (stateMachine: StateMachine): ReturnType<typeof resolveDefinition> =>
      resolveDefinition(template, Stack.of(stateMachine).getLogicalId(stateMachine.node.defaultChild as CfnElement));
    const w = stack.workflows;
    return {
      incident: definitionOf(w.incident.stateMachine),
      detection: { anomaly: definitionOf(w.detections.anomaly.stateMachine), security: definitionOf(w.detections.security.stateMachine) },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
