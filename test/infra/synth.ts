import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFlowirApp, type BuildOptions } from '../../infra/flowir-app';
import type { FlowirStack } from '../../infra/stack';

/** cdk.json's context (the feature flags `cdk synth` runs with), so that tests build what synth builds. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface Built {
  readonly app: App;
  readonly stack: FlowirStack;
  readonly template: Template;
}

/** A deployable-looking VPC id, so that tests do not all print the placeholder warning. */
export const TEST_VPC_ID = 'vpc-0123456789abcdef0';

/**
 * Build the flowir stack as `cdk deploy -c key=value ...` would (without the slow built-in template
 * validator). Taking the template synthesizes the app, which runs the cdk-nag checks: a build with
 * an unacknowledged finding throws.
 */
export function build(context: Record<string, unknown> = {}, options: BuildOptions = {}): Built {
  const { app, stack } = buildStack(context, options);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Build only the stack's constructs, for tests that add to it before taking the template. */
export function buildStack(context: Record<string, unknown> = {}, options: BuildOptions = {}): { app: App; stack: FlowirStack } {
  // Lambda bundling (esbuild, a dozen functions) is left to the real `cdk synth` test: templates do not depend on it.
  const app = new App({ context: { ...CDK_JSON_CONTEXT, vpcId: TEST_VPC_ID, 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  return { app, stack: buildFlowirApp(app, options) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The one resource of a type whose properties satisfy `where`; fails the test unless exactly one does. */
export function only(template: Template, type: string, where: (props: Record<string, unknown>) => boolean = () => true): { id: string; props: Record<string, unknown> } {
  const all = Object.entries(template.findResources(type) as Resources).filter(([, r]) => where(r.Properties ?? {}));
  if (all.length !== 1) throw new Error(`expected exactly one ${type} matching, found ${all.length}`);
  const [id, r] = all[0] as [string, { Properties: Record<string, unknown> }];
  return { id, props: r.Properties ?? {} };
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function idOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}
