import { App, type AppProps, type CfnElement, type Stack, type StageSynthesisOptions } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFlowirApp, type BuildOptions } from '../../infra/flowir-app';
import type { FlowirStack } from '../../infra/stack';

/** cdk.json's context (the feature flags `cdk synth` runs with), so that tests build what synth builds. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** This test file's cloud assemblies, under one directory made on first use and removed after its tests. */
let outdirs: string | undefined;

/** Remove the cloud assemblies this test file's apps wrote (run after all its tests). */
export function removeTestOutdirs(): void {
  if (outdirs !== undefined) rmSync(outdirs, { recursive: true, force: true });
  outdirs = undefined;
}
// At import, so during the test file's collection, when hooks may be declared.
afterAll(removeTestOutdirs);

function testOutdir(): string {
  outdirs ??= mkdtempSync(join(tmpdir(), 'flowir-test-synth-'));
  // Not shared: an app reads its templates back from its own assembly.
  return mkdtempSync(join(outdirs, 'app-'));
}

type ReportJson = { pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity: string; description: string }> }> };

/** The CDK's rule names for flowir's own Annotations.of(...).addWarningV2 ids (flowir:placeholder-vpc, ...). */
const FLOWIR_WARNING = /^Annotation::(flowir:.+)$/;

/**
 * An App for tests: it synthesizes into a directory of the test file's that is removed after its
 * tests (a plain App makes a cdk.out* directory in os.tmpdir() per synth and leaves it), and it
 * keeps the validation report the CDK prints on every synth with a warning. flowir's own warnings
 * (the placeholder VPC, no approvers) are recorded in `warnings` for the tests about them to
 * assert, not printed as console.error blocks that read like failures; a report with anything else
 * in it (a CDK or cdk-nag finding) is printed as the CDK printed it.
 */
export class TestApp extends App {
  /** The flowir warning ids of the last synth's validation report, e.g. `flowir:no-approvers`. */
  warnings: readonly string[] = [];

  constructor(props: AppProps = {}) {
    super({ outdir: testOutdir(), ...props });
  }

  override synth(options?: StageSynthesisOptions): CloudAssembly {
    const print = console.error;
    const printed: unknown[][] = [];
    console.error = (...args: unknown[]) => void printed.push(args);
    let assembly: CloudAssembly;
    try {
      assembly = super.synth(options);
    } catch (e) {
      for (const args of printed) print(...args);
      throw e;
    } finally {
      console.error = print;
    }
    const file = join(assembly.directory, 'validation-report.json');
    const violations = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReportJson).pluginReports.flatMap((r) => r.violations) : [];
    const ours = (v: (typeof violations)[number]): boolean => v.severity === 'warning' && FLOWIR_WARNING.test(v.ruleName);
    this.warnings = violations.filter(ours).map((v) => (FLOWIR_WARNING.exec(v.ruleName) as RegExpExecArray)[1] as string);
    const isReport = (args: unknown[]): boolean => args.some((a) => typeof a === 'string' && a.includes('A copy of this report can be found in'));
    for (const args of printed) if (!isReport(args) || !violations.every(ours)) print(...args);
    return assembly;
  }
}

export interface Built {
  readonly app: TestApp;
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
export function buildStack(context: Record<string, unknown> = {}, options: BuildOptions = {}): { app: TestApp; stack: FlowirStack } {
  // Lambda bundling (esbuild, a dozen functions) is left to the real `cdk synth` test: templates do not depend on it.
  const app = new TestApp({ context: { ...CDK_JSON_CONTEXT, vpcId: TEST_VPC_ID, 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
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
