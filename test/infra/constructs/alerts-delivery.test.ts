/**
 * The subscriptions the stack makes and the messages request-approval publishes, together: SNS's
 * delivery rule applied to the synthesized filter policies (test/handlers/mocks/sns-delivery.ts)
 * says which mailbox receives which message. Every approver's mailbox must hold their own link
 * and no one else's; no other mailbox may hold a link.
 */
import { verifyApprovalLink } from '../../../core/approval/link';
import { SnsNotifier } from '../../../handlers/aws/notifier-sns';
import { toKeySet } from '../../../handlers/request-approval';
import { approvalWorld, tokenOf } from '../../handlers/mocks/approval-world';
import { fakeSns } from '../../handlers/mocks/fake-services';
import { T0 } from '../../handlers/mocks/fixtures';
import { mailboxes, type SubscriptionSpec } from '../../handlers/mocks/sns-delivery';
import { build, idOf } from '../synth';

const APPROVERS = ['alice@example.com', 'Bob.Smith@example.com', 'carol@example.com'];
const { stack, template } = build({ approverEmails: APPROVERS.join(','), criticalEmails: 'soc@example.com,alice@example.com', warningEmails: 'noc@example.com' });
const arnOf = (id: string): string => `arn:aws:sns:us-east-1:123456789012:${id}`;
const TOPICS = { warning: arnOf(idOf(stack, stack.alerts.warning)), critical: arnOf(idOf(stack, stack.alerts.critical)), approval: arnOf(idOf(stack, stack.alerts.approval)) };
const subscriptions: SubscriptionSpec[] = Object.values(template.findResources('AWS::SNS::Subscription')).map((r) => {
  const p = (r as { Properties: { TopicArn: { Ref: string }; Protocol: string; Endpoint: string; FilterPolicy?: Record<string, unknown[]>; FilterPolicyScope?: string } }).Properties;
  return { topicArn: arnOf(p.TopicArn.Ref), protocol: p.Protocol, endpoint: p.Endpoint, ...(p.FilterPolicy ? { filterPolicy: p.FilterPolicy } : {}), ...(p.FilterPolicyScope ? { filterPolicyScope: p.FilterPolicyScope } : {}) };
});
const linksIn = (text: string): URL[] => [...text.matchAll(/https?:\/\/\S+\/approval\?token=\S+/g)].map((m) => new URL(m[0]));

describe('an approval request as the deployed subscriptions receive it', () => {
  it('reaches each approver with their own link only; the critical and warning subscribers get no link', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const w = approvalWorld({ approvers: APPROVERS, notifier: new SnsNotifier(sns.client, TOPICS) });
    const { ack } = await w.request();
    const keys = toKeySet(await w.keys.keys());
    const received = mailboxes(subscriptions, sns.published);

    for (const approver of APPROVERS) {
      const named = (received.get(approver) ?? []).flatMap((m) =>
        linksIn(m.message).map((u) => {
          const v = verifyApprovalLink(tokenOf(u), keys, T0.getTime() / 1000);
          return v.ok ? `${v.claims.approvalId} ${v.claims.approver}` : v.refusal.reason;
        }),
      );
      expect([approver, named]).toEqual([approver, [`${ack.approvalId} ${approver}`]]);
    }
    // alice is also on the critical topic: there she gets the link-free summary, and no second link.
    expect(received.get('alice@example.com')?.filter((m) => m.topicArn === TOPICS.critical)).toHaveLength(1);
    for (const other of ['soc@example.com', 'noc@example.com']) {
      expect([other, (received.get(other) ?? []).flatMap((m) => linksIn(m.message))]).toEqual([other, []]);
    }
    expect(received.get('soc@example.com')).toHaveLength(1);
    expect(received.get('noc@example.com')).toEqual([]);
  });

  it('delivers a message without the approver attribute, or for an address no one subscribed, to no one on the approval topic', () => {
    const base = { topicArn: TOPICS.approval, message: 'x', structure: undefined };
    const received = mailboxes(subscriptions, [
      { ...base, attributes: undefined },
      { ...base, attributes: { approver: { DataType: 'String', StringValue: 'mallory@example.com' } } },
      // Filter matching is case-sensitive: another spelling of an approver's address reaches no one.
      { ...base, attributes: { approver: { DataType: 'String', StringValue: 'bob.smith@example.com' } } },
    ]);
    for (const approver of APPROVERS) expect([approver, received.get(approver)]).toEqual([approver, []]);
  });
});
