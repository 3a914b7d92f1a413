/**
 * The containment and approval Lambda entry modules, loaded as Lambda loads them (environment
 * first, then the module) with every SDK client mocked at its edge by the rule-keeping fakes: one
 * incident goes from the approval request through the approval page to the block and its release.
 */
import type { APIGatewayProxyStructuredResultV2 as LambdaFunctionURLResult, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import { generateKeySet, serializeKeySet } from '../../../core/approval/keys';
import type { RequestApprovalAck } from '../../../handlers/request-approval';
import type { SweepOutput } from '../../../handlers/sweep-expired';
import type { ApprovalRequestInput, BlockInput, BlockOutput, NotifyInput, NotifyOutput, PolicyInput, PolicyOutput, ReleaseInput, ReleaseOutput, TicketInput, TicketOutput } from '../../../workflows/contract';
import { fakeDocumentTablesEverywhere } from '../mocks/fake-documents';
import { fakeOpsCenter, fakeSecrets, fakeSns, fakeStepFunctions } from '../mocks/fake-services';
import { fakeWaf, IPV4_SET, IPV6_SET } from '../mocks/fake-waf';
import { evidence, executionFor, finding } from '../mocks/fixtures';

type Entry<I, O> = { handler: (event: I, context: Context) => Promise<O> };

const HOST = 'abcdefghij.lambda-url.us-east-1.on.aws';
const TOPICS = {
  warning: 'arn:aws:sns:us-east-1:123456789012:flowir-test-warning',
  critical: 'arn:aws:sns:us-east-1:123456789012:flowir-test-critical',
  approval: 'arn:aws:sns:us-east-1:123456789012:flowir-test-approval',
};
const SECRET = 'flowir-test/approval-keys';

const ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  FLOWIR_BLOCK_TABLE: 'flowir-test-blocks',
  FLOWIR_APPROVAL_TABLE: 'flowir-test-approvals',
  FLOWIR_IP_SET_SCOPE: 'REGIONAL',
  FLOWIR_IPV4_SET_NAME: IPV4_SET.name,
  FLOWIR_IPV4_SET_ID: IPV4_SET.id,
  FLOWIR_IPV6_SET_NAME: IPV6_SET.name,
  FLOWIR_IPV6_SET_ID: IPV6_SET.id,
  FLOWIR_VPC_CIDRS: '10.0.0.0/16, 2600:1f18:abc::/56',
  FLOWIR_WARNING_TOPIC_ARN: TOPICS.warning,
  FLOWIR_CRITICAL_TOPIC_ARN: TOPICS.critical,
  FLOWIR_APPROVAL_TOPIC_ARN: TOPICS.approval,
  FLOWIR_APPROVERS: 'alice@example.com, bob@example.com',
  FLOWIR_APPROVAL_BASE_URL: `https://${HOST}/`,
  FLOWIR_SIGNING_SECRET: SECRET,
  FLOWIR_INCIDENT_CONFIG: JSON.stringify({ blockDurationSeconds: 7200 }),
  FLOWIR_DETECTION_CONFIG: JSON.stringify({ allowlist: ['198.51.100.0/24'] }),
};

const context = (functionName: string): Context =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/11/22/[$LATEST]abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

/** Load an entry module with exactly this environment, as a cold start (isolated: a fresh module, for loads that must fail). */
async function coldStart<I, O>(module: string, env: Record<string, string | undefined>, options: { readonly isolated?: boolean } = {}): Promise<Entry<I, O>> {
  const saved = process.env;
  process.env = { ...Object.fromEntries(Object.entries(saved).filter(([k]) => !k.startsWith('FLOWIR_'))), ...env } as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    if (options.isolated !== true) return (await import(module)) as Entry<I, O>;
    let loaded: Entry<I, O> | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = (await import(module)) as Entry<I, O>;
    });
    return loaded as Entry<I, O>;
  } finally {
    process.env = saved;
  }
}

/** JSON lines (Powertools logs and EMF metrics) written while `run` runs. */
async function linesOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: Array<Record<string, unknown>> }> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  try {
    const result = await run();
    return { result, lines: written.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Run without printing the logs (the tests that read them use {@link linesOf}). */
async function quiet<T>(run: () => Promise<T>): Promise<T> {
  return (await linesOf(run)).result;
}

function functionUrlEvent(method: string, path: string, rawQueryString: string, body: string | undefined, headers: Record<string, string>): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { host: HOST, ...headers },
    requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.44', userAgent: 'Mozilla/5.0' } },
    ...(body === undefined ? {} : { body, isBase64Encoded: false }),
  } as unknown as LambdaFunctionURLEvent;
}

describe('containment and approval Lambda entries', () => {
  const waf = fakeWaf([IPV4_SET, IPV6_SET], { everyInstance: true });
  const docs = fakeDocumentTablesEverywhere({ blocks: ENV.FLOWIR_BLOCK_TABLE as string, approvals: ENV.FLOWIR_APPROVAL_TABLE as string });
  const sfn = fakeStepFunctions({ everyInstance: true });
  const sns = fakeSns(Object.values(TOPICS), { everyInstance: true });
  const ssm = fakeOpsCenter({ everyInstance: true });
  fakeSecrets(SECRET, { AWSCURRENT: { id: 'v1', value: serializeKeySet(generateKeySet('k1')) } }, { everyInstance: true });
  afterAll(() => {
    for (const m of [waf.mock, docs.mock, sfn.mock, sns.mock, ssm.mock]) m.restore();
  });

  const f = finding('203.0.113.50');
  const executionName = executionFor(f);

  it('runs one incident through policy, notify, approval request, approval page, block, ticket and release', async () => {
    const policy = await coldStart<PolicyInput, PolicyOutput>('../../../handlers/lambda/policy', ENV);
    const decided = await quiet(() => policy.handler({ finding: f, evidence: evidence() }, context('policy')));
    expect(decided).toEqual({ policy: 'approve', guard: { allowed: true, guardrail: null, reason: null }, approvalTimeoutSeconds: 3600, blockSeconds: 7200 });

    const notify = await coldStart<NotifyInput, NotifyOutput>('../../../handlers/lambda/notify', ENV);
    expect((await quiet(() => notify.handler({ kind: 'finding', finding: f, executionName, evidence: evidence() }, context('notify')))).topic).toBe('critical');

    const request = await coldStart<ApprovalRequestInput, RequestApprovalAck>('../../../handlers/lambda/request-approval', ENV);
    const taskToken = sfn.issueToken();
    const { result: ack, lines: requestLines } = await linesOf(() => request.handler({ taskToken, executionName, finding: f, evidence: evidence(), policy: decided }, context('request-approval')));
    expect(ack.approvers).toBe(2);
    expect(JSON.stringify(requestLines)).not.toContain(taskToken);
    // One plain-text message per approver on the approval topic, addressed by its attribute, one link each; none on the critical topic.
    const sent = sns.published.slice(-3);
    expect(sent.map((p) => [p.topicArn, p.attributes?.approver?.StringValue])).toEqual([
      [TOPICS.approval, 'alice@example.com'],
      [TOPICS.approval, 'bob@example.com'],
      [TOPICS.critical, undefined],
    ]);
    const linksOf = (text: string): URL[] => [...text.matchAll(/https:\/\/\S+\/approval\?token=\S+/g)].map((m) => new URL(m[0]));
    expect(sent.map((p) => linksOf(p.message).length)).toEqual([1, 1, 0]);
    const alice = linksOf(sent[0]?.message ?? '')[0] as URL;

    const endpoint = await coldStart<LambdaFunctionURLEvent, LambdaFunctionURLResult>('../../../handlers/lambda/approval-endpoint', ENV);
    const page = await quiet(() => endpoint.handler(functionUrlEvent('GET', '/approval', alice.search.slice(1), undefined, {}), context('approval-endpoint')));
    expect(page.statusCode).toBe(200);
    expect(sfn.task(taskToken)?.state).toBe('waiting');
    const form = new URLSearchParams({ token: alice.searchParams.get('token') ?? '', decision: 'approve', comment: 'go' }).toString();
    const { result: posted, lines: postLines } = await linesOf(() =>
      endpoint.handler(functionUrlEvent('POST', '/approval', '', form, { origin: `https://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' }), context('approval-endpoint')),
    );
    expect(posted.statusCode).toBe(200);
    expect(sfn.task(taskToken)).toMatchObject({ state: 'succeeded', output: { decision: 'approve', approver: 'alice@example.com', comment: 'go', sourceIp: '192.0.2.44' } });
    expect(postLines).toContainEqual(expect.objectContaining({ message: 'approval decided', approver: 'alice@example.com' }));
    expect(JSON.stringify(postLines)).not.toContain(taskToken);

    const block = await coldStart<BlockInput, BlockOutput>('../../../handlers/lambda/block', ENV);
    const { result: blocked, lines: blockLines } = await linesOf(() => block.handler({ finding: f, executionName, blockSeconds: decided.blockSeconds }, context('block')));
    expect(blocked).toMatchObject({ status: 'blocked', blocked: ['203.0.113.50/32'], durationSeconds: 7200 });
    expect(waf.set(IPV4_SET).addresses).toEqual(['203.0.113.50/32']);
    expect(blockLines).toContainEqual(expect.objectContaining({ SourcesBlocked: 1, _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'Flowir' })] }) }));

    const ticket = await coldStart<TicketInput, TicketOutput>('../../../handlers/lambda/ticket', ENV);
    const opened = await quiet(() => ticket.handler({ finding: f, executionName, outcome: 'CONTAINED', evidence: evidence(), containment: blocked }, context('ticket')));
    expect(opened.url).toContain('us-east-1.console.aws.amazon.com/systems-manager/opsitems/');
    expect(ssm.items).toHaveLength(1);

    const release = await coldStart<ReleaseInput, ReleaseOutput>('../../../handlers/lambda/release', ENV);
    expect((await quiet(() => release.handler({ finding: f, executionName }, context('release')))).released).toEqual(['203.0.113.50/32']);
    expect(waf.set(IPV4_SET).addresses).toEqual([]);

    const sweep = await coldStart<Record<string, unknown>, SweepOutput>('../../../handlers/lambda/sweep-expired', ENV);
    expect((await quiet(() => sweep.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, context('sweep')))).released).toEqual([]);
  });

  it('answers an unexpected failure of the approval endpoint with a page, not a bare 502', async () => {
    const endpoint = await coldStart<LambdaFunctionURLEvent, LambdaFunctionURLResult>('../../../handlers/lambda/approval-endpoint', ENV);
    const request = await coldStart<ApprovalRequestInput, RequestApprovalAck>('../../../handlers/lambda/request-approval', ENV);
    await linesOf(() => request.handler({ taskToken: sfn.issueToken(), executionName, finding: f, evidence: evidence(), policy: { policy: 'approve', guard: { allowed: true, guardrail: null, reason: null }, approvalTimeoutSeconds: 3600, blockSeconds: 7200 } }, context('request-approval')));
    const toAlice = sns.published.filter((p) => p.attributes?.approver?.StringValue === 'alice@example.com').at(-1);
    const link = new URL(/https:\/\/\S+\/approval\?token=\S+/.exec(toAlice?.message ?? '')?.[0] ?? '');
    docs.mock.on(GetCommand).rejectsOnce(new Error('socket hang up'));
    const { result } = await linesOf(() => endpoint.handler(functionUrlEvent('GET', '/approval', link.search.slice(1), undefined, {}), context('approval-endpoint')));
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['content-security-policy']).toBeDefined();
    expect(result.body).toContain('Nothing was decided');
  });

  it.each([
    ['block', 'FLOWIR_BLOCK_TABLE', undefined, /environment variable FLOWIR_BLOCK_TABLE: is not set/],
    ['block', 'FLOWIR_IP_SET_SCOPE', 'GLOBAL', /FLOWIR_IP_SET_SCOPE: expected REGIONAL or CLOUDFRONT/],
    ['block', 'FLOWIR_VPC_CIDRS', '10.0.0.0/33', /FLOWIR_VPC_CIDRS: .*invalid prefix length/],
    ['policy', 'FLOWIR_INCIDENT_CONFIG', '{"blockDurationSeconds": 0}', /FLOWIR_INCIDENT_CONFIG: blockDurationSeconds: expected a whole number/],
    ['block', 'FLOWIR_INCIDENT_CONFIG', '{"networkAclDeny": ["SSH"]}', /FLOWIR_INCIDENT_CONFIG: networkAclDeny\[0\]: expected a detection name/],
    ['request-approval', 'FLOWIR_INCIDENT_CONFIG', '{"networkAclDeny": ["PORT_SCAN", "PORT_SCAN"]}', /FLOWIR_INCIDENT_CONFIG: networkAclDeny: lists a detection twice/],
    ['notify', 'FLOWIR_CRITICAL_TOPIC_ARN', 'flowir-critical', /FLOWIR_CRITICAL_TOPIC_ARN: expected an SNS ARN/],
    ['request-approval', 'FLOWIR_APPROVERS', ' , ', /FLOWIR_APPROVERS: no approvers configured/],
    ['request-approval', 'FLOWIR_APPROVAL_TOPIC_ARN', undefined, /FLOWIR_APPROVAL_TOPIC_ARN: is not set/],
    ['request-approval', 'FLOWIR_APPROVAL_BASE_URL', 'http://approvals.example.com', /FLOWIR_APPROVAL_BASE_URL: .*must use https/],
    ['approval-endpoint', 'FLOWIR_SIGNING_SECRET', undefined, /FLOWIR_SIGNING_SECRET: is not set/],
    ['approval-endpoint', 'FLOWIR_APPROVAL_ALLOWED_ORIGINS', 'http://approvals.example.com', /FLOWIR_APPROVAL_ALLOWED_ORIGINS: .*must be https/],
    ['ticket', 'AWS_REGION', undefined, /AWS_REGION: is not set/],
  ])('%s refuses to start when %s is %s, naming the variable', async (entry, variable, value, message) => {
    const load = coldStart(`../../../handlers/lambda/${entry}`, { ...ENV, [variable]: value }, { isolated: true });
    await expect(load).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringMatching(message) });
  });
});
