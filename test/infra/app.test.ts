import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The real entry point, as a platform engineer runs it: `npx cdk synth` reads cdk.json, runs
// infra/app.ts with tsx, and fails on any unacknowledged cdk-nag finding. Offline, no credentials.
const run = promisify(execFile);
// A synth takes ~7 s alone; on a loaded shared machine several times that.
const SYNTH_TIMEOUT_MS = 180_000;
const root = join(__dirname, '../..');
const cdk = join(root, 'node_modules/.bin/cdk');
const tsx = join(root, 'node_modules/.bin/tsx');
// No AWS credentials or region may leak in from the machine running the tests.
const offline = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_')));

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'flowir-synth-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

type Template = { Resources: Record<string, { Type: string }> };
const typesIn = (file: string) => new Set(Object.values((JSON.parse(readFileSync(file, 'utf8')) as Template).Resources).map((r) => r.Type));

describe('npx cdk synth', () => {
  it('synthesizes the default stack with no context, with no cdk-nag finding: its three warnings, no bundling output, no cdk.out* left in TMPDIR', async () => {
    const tmp = join(out, 'tmp');
    mkdirSync(tmp);
    const { stderr } = await run(cdk, ['synth', '--quiet', '--output', out], { cwd: root, env: { ...offline, TMPDIR: tmp } });
    expect(stderr).not.toMatch(/AwsSolutions/);
    expect(stderr).toMatch(/WARNING vpcId is the placeholder vpc-0+: this template synthesizes but cannot deploy/);
    expect(stderr).toMatch(/WARNING The incident policy asks for approvals but approverEmails is empty/);
    expect(stderr).toMatch(/WARNING No AWS account or region is known/);
    // Neither the CDK's "Bundling asset ..." per function nor esbuild's size summaries.
    expect(stderr).not.toMatch(/Bundling asset|index\.js|Done in/);
    expect(readdirSync(tmp).filter((name) => name.startsWith('cdk.out'))).toEqual([]);
    const types = typesIn(join(out, 'Flowir-dev.template.json'));
    expect(types).toContain('AWS::EC2::FlowLog');
    expect(types).not.toContain('AWS::Athena::WorkGroup');
    // Offline the CLI passes its us-east-1 fallback as CDK_DEFAULT_REGION; the template must not take
    // it. (The CDK's own CDKMetadataAvailable condition lists every region the metadata resource exists in.)
    const { Conditions, ...rest } = JSON.parse(readFileSync(join(out, 'Flowir-dev.template.json'), 'utf8')) as { Conditions?: Record<string, unknown> };
    expect(Object.keys(Conditions ?? {})).toEqual(['CDKMetadataAvailable']);
    expect(JSON.stringify(rest)).not.toContain('us-east-1');
  }, SYNTH_TIMEOUT_MS);

  it('synthesizes the athena engine with -c engine=athena', async () => {
    const { stderr } = await run(cdk, ['synth', '--quiet', '--output', out, '-c', 'engine=athena', '-c', 'envName=staging'], { cwd: root, env: offline });
    expect(stderr).not.toMatch(/AwsSolutions/);
    const types = typesIn(join(out, 'Flowir-staging.template.json'));
    expect(types).toContain('AWS::Athena::WorkGroup');
    expect(types).toContain('AWS::Glue::Table');
  }, SYNTH_TIMEOUT_MS);
});

describe('npx cdk deploy', () => {
  it('with an account and the placeholders stops at synth with an error per placeholder, before any AWS call', async () => {
    // Offline, so that reaching CloudFormation would fail on credentials instead: it must not get that far.
    const args = ['deploy', '--require-approval', 'never', '--output', out, '-c', 'account=123456789012', '-c', 'region=eu-west-1'];
    const failure = await run(cdk, args, { cwd: root, env: offline }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/ERROR vpcId is the placeholder vpc-0+, which is no VPC of account 123456789012/);
    expect(failure?.stderr).toMatch(/ERROR The incident policy asks for approvals but approverEmails is empty/);
    expect(failure?.stderr).toMatch(/Synthesis finished with errors/);
    expect(failure?.stderr).not.toMatch(/credentials|Need to perform AWS calls|CloudFormation stack/i);
  }, SYNTH_TIMEOUT_MS);
});

describe('infra/app.ts', () => {
  it('exits 1 with the context key and the problem on bad configuration, without a stack trace', async () => {
    const env = { ...offline, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ engine: 'duckdb' }) };
    const failure = await run(tsx, ['infra/app.ts'], { cwd: root, env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim()).toBe('flowir: context "engine": "duckdb" is not one of logs-insights, athena');
  }, SYNTH_TIMEOUT_MS);
});
