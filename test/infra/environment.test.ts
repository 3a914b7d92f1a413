import { deploymentTarget, type CliDefaults } from '../../infra/environment';
import { build } from './synth';
import { errorOf } from './config-error';

const target = (context: Record<string, unknown>, cli: CliDefaults = {}) => deploymentTarget((k) => context[k], cli);

describe('deploymentTarget', () => {
  it('knows nothing offline with nothing given: the template stays environment-agnostic', () => {
    expect(target({})).toEqual({ account: undefined, region: undefined });
  });

  it("ignores the CLI's region without its account: with no credentials it is the CLI's us-east-1 fallback", () => {
    expect(target({}, { CDK_DEFAULT_REGION: 'us-east-1' })).toEqual({ account: undefined, region: undefined });
    expect(target({ account: '123456789012' }, { CDK_DEFAULT_REGION: 'us-east-1' })).toEqual({ account: '123456789012', region: undefined });
  });

  it('takes the account and region the CLI found in the credentials', () => {
    expect(target({}, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' })).toEqual({ account: '111122223333', region: 'eu-west-1' });
  });

  it('lets -c account and -c region win over the credentials', () => {
    expect(target({ account: '123456789012', region: 'ap-southeast-2' }, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' })).toEqual({ account: '123456789012', region: 'ap-southeast-2' });
    expect(target({ region: 'us-gov-west-1' })).toEqual({ account: undefined, region: 'us-gov-west-1' });
  });

  it.each([
    [{ account: '12345' }, 'account', /"12345" is not an AWS account id/],
    [{ account: 123456789012 }, 'account', /as a string, got 123456789012/],
    [{ region: 'Europe' }, 'region', /"Europe" is not an AWS region name/],
  ])('refuses %j, naming %s', (context, key, message) => {
    const e = errorOf(() => target(context));
    expect(e.key).toBe(key);
    expect(e.message).toMatch(message);
  });
});

describe('the region in the template', () => {
  const usEast1 = (json: unknown): string[] => JSON.stringify(json).match(/.{60}us-east-1.{20}/g) ?? [];

  it("offline with the CLI's fallback region: none named (pseudo parameters), and a warning that says so", () => {
    const { app, stack, template } = build({}, { cliDefaults: { CDK_DEFAULT_REGION: 'us-east-1' } });
    expect(usEast1(template.toJSON())).toEqual([]);
    expect(JSON.stringify(template.toJSON())).toContain('AWS::Region');
    expect(app.warnings).toContain('flowir:no-environment');
    expect(stack.config).toMatchObject({ account: undefined, region: undefined });
  });

  it.each([
    ['-c account and -c region', { account: '123456789012', region: 'eu-west-1' }, {}],
    ['the credentials', {}, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' }],
  ])('bound to eu-west-1 by %s: no us-east-1 anywhere, no warning about the environment', (_by, context, cliDefaults) => {
    const { app, stack, template } = build({ approverEmails: 'alice@example.com', ...context }, { cliDefaults });
    expect(stack.region).toBe('eu-west-1');
    expect(stack.account).toBe('123456789012');
    expect(usEast1(template.toJSON())).toEqual([]);
    expect(JSON.stringify(template.toJSON())).toContain('eu-west-1');
    expect(app.warnings).not.toContain('flowir:no-environment');
  });

  it('names us-east-1 where the CLOUDFRONT WAF scope requires it, and nowhere else is it allowed', () => {
    const { stack } = build({ approverEmails: 'alice@example.com', account: '123456789012', region: 'us-east-1', wafScope: 'CLOUDFRONT' });
    expect(stack.region).toBe('us-east-1');
    expect(errorOf(() => build({ account: '123456789012', region: 'eu-west-1', wafScope: 'CLOUDFRONT' })).key).toBe('wafScope');
  });
});
