import { Token, type App, type Environment } from 'aws-cdk-lib';
import { readInfraConfig, type ReadConfigOptions } from './config';
import { addNagChecks } from './nag';
import { FlowirStack } from './stack';

export interface BuildOptions {
  /** Account and region to deploy to; absent, the stack is environment-agnostic (offline synth). */
  readonly env?: Environment;
  readonly readFile?: ReadConfigOptions['readFile'];
}

/**
 * Build the flowir stack into `app` from its context, with the cdk-nag AwsSolutions checks
 * registered so that any unacknowledged finding stops the synth. Shared by `infra/app.ts` and the tests.
 */
export function buildFlowirApp(app: App, options: BuildOptions = {}): FlowirStack {
  const region = options.env?.region;
  const config = readInfraConfig((key) => app.node.tryGetContext(key), {
    presentKeys: Object.keys(app.node.getAllContext() as Record<string, unknown>),
    region: region !== undefined && !Token.isUnresolved(region) ? region : undefined,
    readFile: options.readFile,
  });
  const stack = new FlowirStack(app, `Flowir-${config.envName}`, { config, env: options.env });
  addNagChecks(app);
  return stack;
}
