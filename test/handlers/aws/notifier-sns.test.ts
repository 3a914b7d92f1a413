import { SnsNotifier, snsSubject } from '../../../handlers/aws/notifier-sns';
import { fakeSns } from '../mocks/fake-services';

const TOPICS = { warning: 'arn:aws:sns:us-east-1:123456789012:flowir-test-warning', critical: 'arn:aws:sns:us-east-1:123456789012:flowir-test-critical' };

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
});
