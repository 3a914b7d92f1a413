import type { BuildOptions } from '../../infra/flowir-app';
import { buildStack, TEST_VPC_ID } from './synth';

// A template `cdk deploy` could deploy is one with an account (infra/placeholders.ts): from -c account
// or from the credentials (CDK_DEFAULT_ACCOUNT). Offline there is none.
const ACCOUNT = { account: '123456789012', region: 'eu-west-1' };
const APPROVERS = { approverEmails: 'alice@example.com' };

/** Synthesize as the CLI's app run does; the error the synth stops with, if any (the CDK report quiet). */
function synth(context: Record<string, unknown>, options: BuildOptions = {}) {
  const { app, stack } = buildStack(context, options);
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    app.synth();
    return { app, stack, error: undefined };
  } catch (e) {
    return { app, stack, error: e as Error };
  } finally {
    quiet.mockRestore();
  }
}

describe('the placeholder VPC', () => {
  it('offline (no account): a warning, and the template synthesizes', () => {
    const { app, error } = synth({ vpcId: undefined, ...APPROVERS });
    expect(error).toBeUndefined();
    expect(app.warnings).toContain('flowir:placeholder-vpc');
  });

  it.each<[string, Record<string, unknown>, BuildOptions]>([
    ['-c account', { ...ACCOUNT }, {}],
    ['the credentials (CDK_DEFAULT_ACCOUNT)', {}, { cliDefaults: { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' } }],
  ])('with an account from %s: an error that stops the synth, and so cdk deploy, naming the fix', (_from, context, options) => {
    const { error } = synth({ vpcId: undefined, ...APPROVERS, ...context }, options);
    expect(error?.message).toMatch(/ERROR vpcId is the placeholder vpc-00000000000000000, which is no VPC of account 123456789012.*Pass -c vpcId=vpc-.*\(flowir:placeholder-vpc; -c allowPlaceholders=true.*\n\s+Flowir-dev aws-cdk-lib\.Stack/);
  });

  it('with an account and -c allowPlaceholders=true: a warning again', () => {
    const { app, error } = synth({ vpcId: undefined, ...APPROVERS, ...ACCOUNT, allowPlaceholders: 'true' });
    expect(error).toBeUndefined();
    expect(app.warnings).toEqual(['flowir:placeholder-vpc']);
  });

  it('with an account and a real VPC: nothing', () => {
    const { app, error } = synth({ vpcId: TEST_VPC_ID, ...APPROVERS, ...ACCOUNT });
    expect(error).toBeUndefined();
    expect(app.warnings).toEqual([]);
  });
});

describe('approvals without approvers', () => {
  const notifyOnly = (path: string): string => (path === 'n.json' ? JSON.stringify({ incident: { policy: { CRITICAL: 'notify' } } }) : '');

  it('offline: a warning', () => {
    const { app, error } = synth({});
    expect(error).toBeUndefined();
    expect(app.warnings).toContain('flowir:no-approvers');
  });

  it('with an account: an error that stops the synth, naming the fix', () => {
    const { error } = synth({ ...ACCOUNT });
    expect(error?.message).toMatch(/ERROR The incident policy asks for approvals but approverEmails is empty.*pass -c approverEmails=.*\(flowir:no-approvers; -c allowPlaceholders=true.*\n\s+Flowir-dev\/Workflows/);
  });

  it('with an account and -c allowPlaceholders=true: a warning', () => {
    const { app, error } = synth({ ...ACCOUNT, allowPlaceholders: true });
    expect(error).toBeUndefined();
    expect(app.warnings).toEqual(['flowir:no-approvers']);
  });

  it('with an account and approvers, or a policy that asks for no approval: nothing', () => {
    expect(synth({ ...ACCOUNT, ...APPROVERS }).error).toBeUndefined();
    const notify = synth({ ...ACCOUNT, thresholdsFile: 'n.json' }, { readFile: notifyOnly });
    expect(notify.error).toBeUndefined();
    expect(notify.app.warnings).toEqual([]);
  });
});
