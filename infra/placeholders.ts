import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { InfraConfig } from './config';

/**
 * Report a setting that synthesizes but cannot work once deployed (the placeholder VPC, approvals
 * that nobody can give): an error when the template is one `cdk deploy` could deploy, a warning
 * otherwise.
 *
 * The CDK CLI does not tell the app which command runs it: aws-cdk 2.1148.1 gives `deploy`,
 * `diff` and `synth` the same context (node_modules/aws-cdk/lib/index.js, contextFromSettings and
 * BUNDLING_COMMANDS) and no variable of its own. What sets a deploy apart is an account: the CLI
 * cannot deploy without one, and hands the app CDK_DEFAULT_ACCOUNT only when it found credentials
 * (infra/environment.ts), else `-c account=` names it. So with an account known the problem is an
 * error annotation, which the CLI reports and stops on ("Found errors") after running the app and
 * before any CloudFormation call, for `cdk deploy` as for `cdk synth` (its validateStacks runs for
 * deploy, diff, synth, import and rollback). Offline, where nothing could be deployed, it stays a
 * warning, so that `npx cdk synth` on a fresh clone still prints the whole template.
 * `-c allowPlaceholders=true` keeps it a warning with an account too, to synth or diff against a
 * real account before the values are known.
 */
export function reportPlaceholder(scope: IConstruct, config: Pick<InfraConfig, 'placeholdersFail'>, id: string, warning: string, error: string): void {
  if (config.placeholdersFail) Annotations.of(scope).addError(`${error} (flowir:${id}; -c allowPlaceholders=true synthesizes it anyway, as a warning)`);
  else Annotations.of(scope).addWarningV2(`flowir:${id}`, warning);
}
