import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertTopic, Notice, NotifierPort } from '../ports';
import { snsMessage } from '../sns-message';

export { snsSubject } from '../sns-message';

/** SNS publish answered without a message id. */
export class PublishResponseError extends Error {
  override readonly name = 'PublishResponseError';
}

/** A notice for a topic this notifier was given no ARN for. */
export class TopicNotConfiguredError extends Error {
  override readonly name = 'TopicNotConfiguredError';
}

/** The topics' ARNs: both alert topics, and the approval topic where approval requests are sent. */
export type TopicArns = Readonly<Record<AlertTopic, string>> & { readonly approval?: string };

/**
 * The warning, critical and approval SNS topics. On the alert topics, e-mail and SMS subscribers
 * get the plain text; SQS, Lambda and HTTPS subscribers get JSON (`subject`, `text`, `data`) they
 * can parse. On the approval topic each notice is plain text with the `approver` attribute, which
 * each approver's subscription filters on (infra/constructs/alerts.ts); see handlers/sns-message.ts.
 */
export class SnsNotifier implements NotifierPort {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArns: TopicArns,
  ) {}

  async publish(notice: Notice): Promise<{ readonly messageId: string }> {
    const topicArn = this.topicArns[notice.topic];
    if (topicArn === undefined) throw new TopicNotConfiguredError(`no ARN for the ${notice.topic} topic: "${notice.subject}" cannot be sent`);
    const message = snsMessage(notice);
    const out = await this.client.send(new PublishCommand({ TopicArn: topicArn, ...message }));
    if (out.MessageId === undefined) throw new PublishResponseError(`SNS returned no message id for "${notice.subject}"`);
    return { messageId: out.MessageId };
  }
}
