import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import { generateKeySet } from '../../../core/approval/keys';
import { signApprovalLink } from '../../../core/approval/link';
import { SnsNotifier, snsSubject, TopicNotConfiguredError } from '../../../handlers/aws/notifier-sns';
import { MAX_MESSAGE_BYTES, NoticeError } from '../../../handlers/sns-message';
import { fakeSns } from '../mocks/fake-services';

const TOPICS = {
  warning: 'arn:aws:sns:us-east-1:123456789012:flowir-test-warning',
  critical: 'arn:aws:sns:us-east-1:123456789012:flowir-test-critical',
  approval: 'arn:aws:sns:us-east-1:123456789012:flowir-test-approval',
};
const KEYS = generateKeySet('k1');
const linkOf = (approver: string): string =>
  `https://x.lambda-url.us-east-1.on.aws/approval?token=${signApprovalLink({ approvalId: 'apr-1', incidentId: 'PORT_SCAN:203.0.113.50:1763805600', approver, issuedAt: 1763805600, expiresAt: 1763809200 }, KEYS)}`;

describe('SnsNotifier', () => {
  it('publishes plain text for people and JSON for programs, on the topic asked for', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, TOPICS);
    const { messageId } = await notifier.publish({ topic: 'critical', subject: '[flowir] CRITICAL Port scan from 203.0.113.50', text: 'line one\nline two', data: { kind: 'finding', n: 1 } });

    const [sent] = sns.published;
    expect(sent?.messageId).toBe(messageId);
    expect(sent?.topicArn).toBe(TOPICS.critical);
    const body = JSON.parse(sent?.message ?? '{}') as Record<string, string>;
    expect(body.default).toBe('line one\nline two');
    expect(body.email).toBe('line one\nline two');
    expect(JSON.parse(body.lambda ?? '')).toEqual({ subject: '[flowir] CRITICAL Port scan from 203.0.113.50', text: 'line one\nline two', data: { kind: 'finding', n: 1 } });
    expect(JSON.parse(body.https ?? '')).toEqual(JSON.parse(body.sqs ?? ''));
  });

  it('makes any subject one SNS accepts: ASCII, one line, at most 100 characters', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, TOPICS);
    const subject = `[flowir] Überwachung:\nPort scan from 2001:db8::1 ${'x'.repeat(200)}`;
    await notifier.publish({ topic: 'warning', subject, text: 't', data: {} });
    expect(sns.published[0]?.subject).toBe(snsSubject(subject));
    expect(snsSubject(subject)).toHaveLength(100);
    expect(snsSubject(subject).startsWith('[flowir] Uberwachung: Port scan from 2001:db8::1 x')).toBe(true);
    expect(snsSubject('\u{1F6A8}')).toBe('flowir notice');
  });

  it('publishes an approval notice as plain text with its approver as a String attribute, on the approval topic', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, TOPICS);
    const link = linkOf('alice@example.com');
    const { messageId } = await notifier.publish({ topic: 'approval', approver: 'alice@example.com', subject: '[flowir] APPROVAL NEEDED: x', text: `Your link:\n  ${link}\n`, data: { kind: 'approval', links: [{ approver: 'alice@example.com', url: link }] } });
    expect(sns.mock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPICS.approval,
      Subject: '[flowir] APPROVAL NEEDED: x',
      Message: `Your link:\n  ${link}\n`,
      MessageAttributes: { approver: { DataType: 'String', StringValue: 'alice@example.com' } },
    });
    // Attributes go out only with a String message structure, so no MessageStructure json here.
    expect(sns.published[0]).toMatchObject({ messageId, structure: undefined });
  });

  it.each([
    ['an approval notice with another approver’s link in its text', { topic: 'approval', approver: 'alice@example.com', subject: 's', text: `${linkOf('alice@example.com')} ${linkOf('bob@example.com')}`, data: {} }, /carries a link of bob@example.com/],
    ['an approval notice with another approver’s link in its data', { topic: 'approval', approver: 'alice@example.com', subject: 's', text: 't', data: { links: [{ approver: 'bob@example.com', url: linkOf('bob@example.com') }] } }, /carries a link of bob@example.com/],
    ['an approval notice that names no approver', { topic: 'approval', approver: '', subject: 's', text: 't', data: {} }, /names its one approver/],
    ['a critical notice with a link', { topic: 'critical', subject: 's', text: `decide: ${linkOf('alice@example.com')}`, data: {} }, /critical notice carries approval links \(of alice@example.com\)/],
    ['a warning notice with a link in its data', { topic: 'warning', subject: 's', text: 't', data: { links: [{ url: linkOf('bob@example.com') }] } }, /warning notice carries approval links/],
    ['an alert notice that names an approver', { topic: 'critical', approver: 'alice@example.com', subject: 's', text: 't', data: {} }, /cannot name an approver/],
  ])('refuses %s, and publishes nothing', async (_what, notice, message) => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, TOPICS);
    await expect(notifier.publish(notice as never)).rejects.toThrow(expect.objectContaining({ name: 'NoticeError', message: expect.stringMatching(message) }) as Error);
    expect(sns.mock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('refuses, before SNS would, a message over 256 KiB counting its attributes', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, TOPICS);
    const approver = 'alice@example.com';
    // Exactly at the limit with the attribute's name, type and value counted: accepted; a byte more: refused.
    const fits = 'x'.repeat(MAX_MESSAGE_BYTES - 'approver'.length - 'String'.length - approver.length);
    await notifier.publish({ topic: 'approval', approver, subject: 's', text: fits, data: {} });
    await expect(notifier.publish({ topic: 'approval', approver, subject: 's', text: `${fits}x`, data: {} })).rejects.toBeInstanceOf(NoticeError);
    // Multi-byte characters count in bytes, not characters.
    await expect(notifier.publish({ topic: 'approval', approver, subject: 's', text: '\u00e9'.repeat(MAX_MESSAGE_BYTES / 2), data: {} })).rejects.toBeInstanceOf(NoticeError);
    expect(sns.mock).toHaveReceivedCommandTimes(PublishCommand, 1);
    // The fake SNS draws the line at the same byte.
    const attributes = { approver: { DataType: 'String', StringValue: approver } };
    await expect(sns.client.send(new PublishCommand({ TopicArn: TOPICS.approval, Message: `${fits}x`, MessageAttributes: attributes }))).rejects.toThrow(/Message too long/);
  });

  it('refuses an approval notice when it was given no approval topic', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const notifier = new SnsNotifier(sns.client, { warning: TOPICS.warning, critical: TOPICS.critical });
    await expect(notifier.publish({ topic: 'approval', approver: 'alice@example.com', subject: 's', text: 't', data: {} })).rejects.toBeInstanceOf(TopicNotConfiguredError);
    expect(sns.mock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });
});
