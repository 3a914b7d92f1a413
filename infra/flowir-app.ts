import { Token, type App, type Environment } from 'aws-cdk-lib';
import { readInfraConfig, type ReadConfigOptions } from './config';
import { deploymentTarget, type CliDefaults, type DeploymentTarget } from './environment';
import { addNagChecks } from './nag';
import { FlowirStack } from './stack';

export interface BuildOptions {
  /** Account and region to deploy to, as `-c account=... -c region=...` would give them (tests). */
  readonly env?: Environment;
  /**
   * CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION as the CDK CLI passes them (infra/app.ts hands on
   * its process environment).
   * @default none, as offline
   */
  readonly cliDefaults?: CliDefaults;
  readonly readFile?: ReadConfigOptions['readFile'];
}

/**
 * Build the flowir stack into `app` from its context, with the cdk-nag AwsSolutions checks
 * registered so that any unacknowledged finding stops the synth. Shared by `infra/app.ts` and the tests.
 */
export function buildFlowirApp(app: App, options: BuildOptions = {}): FlowirStack {
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const target: DeploymentTarget = options.env !== undefined ? { account: literal(options.env.account), region: literal(options.env.region) } : deploymentTarget(context, options.cliDefaults ?? {});
  const config = readInfraConfig(context, {
    presentKeys: Object.keys(app.node.getAllContext() as Record<string, unknown>),
    account: target.account,
    region: target.region,
    readFile: options.readFile,
  });
  const env = target.account === undefined && target.region === undefined ? undefined : { account: target.account, region: target.region };
  const stack = new FlowirStack(app, `Flowir-${config.envName}`, { config, env });
  addNagChecks(app);
  return stack;
}

function literal(value: string | undefined): string | undefined {
  return value !== undefined && !Token.isUnresolved(value) ? value : undefined;
}
