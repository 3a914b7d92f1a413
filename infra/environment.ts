import { InfraConfigError, type ContextReader } from './config';

/**
 * The variables the CDK CLI sets for the app it runs (cx-api DEFAULT_ACCOUNT_ENV and
 * DEFAULT_REGION_ENV). aws-cdk 2.1148.1 (node_modules/aws-cdk/lib/index.js,
 * prepareDefaultEnvironment) sets CDK_DEFAULT_ACCOUNT only when it found credentials, and always
 * sets CDK_DEFAULT_REGION: with no region in the environment or the AWS config it logs "Unable to
 * determine AWS region from environment or AWS configuration ..., defaulting to 'us-east-1'" and
 * passes us-east-1.
 */
export interface CliDefaults {
  readonly CDK_DEFAULT_ACCOUNT?: string | undefined;
  readonly CDK_DEFAULT_REGION?: string | undefined;
}

/** Where the stack deploys. An unknown part stays a CloudFormation pseudo parameter (AWS::AccountId, AWS::Region). */
export interface DeploymentTarget {
  readonly account: string | undefined;
  readonly region: string | undefined;
}

const ACCOUNT = /^\d{12}$/;
// us-east-1, eu-central-2, ap-southeast-7, us-gov-west-1, cn-northwest-1, ...
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The account and region to bind the stack to: `-c account=` and `-c region=` when given, else what
 * the CLI found in the credentials. The CLI's region is taken only together with its account: without
 * credentials it is most likely the CLI's us-east-1 fallback (above), and a template bound to it would
 * name us-east-1 in its ARNs and trust conditions wherever it is deployed. With credentials it is the
 * region `cdk deploy` itself deploys to. Offline with nothing given, both stay unknown and the
 * template is environment-agnostic, which deploys correctly to any account and region.
 */
export function deploymentTarget(context: ContextReader, cli: CliDefaults): DeploymentTarget {
  const account = given(context, 'account', ACCOUNT, 'an AWS account id (12 digits)') ?? nonEmpty(cli.CDK_DEFAULT_ACCOUNT);
  const cliRegion = nonEmpty(cli.CDK_DEFAULT_ACCOUNT) !== undefined ? nonEmpty(cli.CDK_DEFAULT_REGION) : undefined;
  const region = given(context, 'region', REGION, 'an AWS region name such as eu-west-1') ?? cliRegion;
  return { account, region };
}

function given(context: ContextReader, key: 'account' | 'region', pattern: RegExp, what: string): string | undefined {
  const raw = context(key);
  if (raw === undefined || raw === null) return undefined;
  // `-c account=012345678901` arrives as text, but a number in cdk.json would lose its leading zeros.
  if (typeof raw !== 'string') throw new InfraConfigError(key, `expected ${what} as a string, got ${JSON.stringify(raw)}`);
  const value = raw.trim();
  if (value === '') return undefined;
  if (!pattern.test(value)) throw new InfraConfigError(key, `"${value}" is not ${what}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
