import { generateKeySet, type ApprovalKeySet } from '../../../core/approval/keys';
import { createApprovalEndpoint, type ApprovalEvent, type HttpRequest } from '../../../handlers/approval-endpoint';
import { DynamoApprovalStore } from '../../../handlers/aws/approval-store';
import { SfnTaskCallback } from '../../../handlers/aws/task-callback';
import type { Notice, NotifierPort, SigningKeyProvider } from '../../../handlers/ports';
import { createRequestApprovalHandler } from '../../../handlers/request-approval';
import type { ApprovalRequestInput, EvidenceOutput, FindingDoc } from '../../../workflows/contract';
import { fakeApprovalTable } from './fake-documents';
import { fakeStepFunctions } from './fake-services';
import { evidence as defaultEvidence, executionFor, finding as makeFinding, ManualClock, T0 } from './fixtures';

export class RecordingNotifier implements NotifierPort {
  readonly notices: Notice[] = [];
  async publish(notice: Notice): Promise<{ messageId: string }> {
    this.notices.push(notice);
    return { messageId: `m-${this.notices.length}` };
  }
}

/** A key provider over a core/approval key set, which the test may swap (rotation, another deployment). */
export class StaticKeys implements SigningKeyProvider {
  constructor(public set: ApprovalKeySet) {}
  async keys(): Promise<Awaited<ReturnType<SigningKeyProvider['keys']>>> {
    const all = [...this.set.keys].map(([id, secret]) => ({ id, secret: Buffer.from(secret) }));
    const current = all.find((k) => k.id === this.set.currentKeyId);
    if (current === undefined) throw new Error('no current key');
    return { current, all };
  }
}

export const BASE_URL = 'https://abcdefghij.lambda-url.us-east-1.on.aws';
export const HOST = 'abcdefghij.lambda-url.us-east-1.on.aws';
export const APPROVERS = ['alice@example.com', 'bob@example.com'];

/**
 * request-approval and the approval endpoint wired to the AWS adapters over a fake DynamoDB table
 * and a fake Step Functions that keeps task tokens: the Lambda setup without the network.
 */
export function approvalWorld(options: { readonly approvers?: readonly string[]; readonly baseUrl?: string; readonly notifier?: NotifierPort } = {}) {
  const sfn = fakeStepFunctions();
  const table = fakeApprovalTable('flowir-test-approvals');
  const store = new DynamoApprovalStore(table.client, 'flowir-test-approvals');
  const callback = new SfnTaskCallback(sfn.client);
  const keys = new StaticKeys(generateKeySet('k1'));
  const clock = new ManualClock(T0);
  const notifier = new RecordingNotifier();
  const events: ApprovalEvent[] = [];
  const approvers = options.approvers ?? APPROVERS;
  // A given notifier (the SNS one over a fake SNS) sends; the recording one still sees every notice.
  const given = options.notifier;
  const sending: NotifierPort =
    given === undefined
      ? notifier
      : {
          publish: async (n) => {
            await notifier.publish(n);
            return given.publish(n);
          },
        };
  const requestApproval = createRequestApprovalHandler({ store, notifier: sending, keys, clock, approvers, baseUrl: options.baseUrl ?? BASE_URL, networkAclDeny: [] });
  const endpoint = createApprovalEndpoint({ store, callback, keys, clock, log: (e) => events.push(e) });

  /** Run the RequestApproval step for a finding; returns the links by approver (from each approver's own notice), the notices and the task token. */
  async function request(f: FindingDoc = makeFinding('203.0.113.50'), ev: EvidenceOutput = defaultEvidence(), approvalTimeoutSeconds = 3600) {
    const taskToken = sfn.issueToken();
    const input: ApprovalRequestInput = {
      taskToken,
      executionName: executionFor(f),
      finding: f,
      evidence: ev,
      policy: { policy: 'approve', guard: { allowed: true, guardrail: null, reason: null }, approvalTimeoutSeconds, blockSeconds: 86400 },
    };
    const before = notifier.notices.length;
    const ack = await requestApproval(input);
    const sent = notifier.notices.slice(before);
    // Each approver's notice (approval topic) holds that approver's link; the summary (critical topic) none.
    const approverNotices = new Map(sent.flatMap((n) => (n.topic === 'approval' ? [[n.approver, n] as const] : [])));
    const links = new Map([...approverNotices].flatMap(([, n]) => (n.data.links as Array<{ approver: string; url: string }>).map((l) => [l.approver, new URL(l.url)] as const)));
    const summary = sent.find((n) => n.topic === 'critical');
    return { ack, taskToken, links, approverNotices, summary, sent, input };
  }

  const get = (url: URL, headers: Record<string, string> = {}): HttpRequest => ({
    method: 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: HOST, ...headers },
    body: '',
    sourceIp: '192.0.2.10',
  });

  const post = (url: URL, fields: Record<string, string>, headers: Record<string, string> = {}): HttpRequest => ({
    method: 'POST',
    path: url.pathname,
    query: {},
    headers: { host: HOST, origin: `https://${HOST}`, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers },
    body: new URLSearchParams(fields).toString(),
    sourceIp: '192.0.2.10',
  });

  return { sfn, table, store, keys, clock, notifier, events, requestApproval, endpoint, request, get, post };
}

export function tokenOf(url: URL): string {
  const token = url.searchParams.get('token');
  if (token === null) throw new Error(`no token in ${url.href}`);
  return token;
}
