import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notice, NotifierPort, Topic } from '../ports';

/** SNS accepts subjects of at most 100 printable ASCII characters, without line breaks. */
const MAX_SUBJECT_CHARS = 100;

/** SNS publish answered without a message id. */
export class PublishResponseError extends Error {
  override readonly name = 'PublishResponseError';
}

/**
 * The warning and critical SNS topics. E-mail and SMS subscribers get the plain text; SQS, Lambda
 * and HTTPS subscribers get JSON (`subject`, `text`, `data`) they can parse.
 */
export class SnsNotifier implements NotifierPort {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArns: Readonly<Record<Topic, string>>,
  ) {}

  async publish(notice: Notice): Promise<{ readonly messageId: string }> {
    const structured = JSON.stringify({ subject: notice.subject, text: notice.text, data: notice.data });
    const out = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArns[notice.topic],
        Subject: snsSubject(notice.subject),
        MessageStructure: 'json',
        Message: JSON.stringify({ default: notice.text, email: notice.text, sms: notice.subject, sqs: structured, lambda: structured, http: structured, https: structured }),
      }),
    );
    if (out.MessageId === undefined) throw new PublishResponseError(`SNS returned no message id for "${notice.subject}"`);
    return { messageId: out.MessageId };
  }
}

/** A subject SNS accepts: printable ASCII on one line, at most 100 characters (longer ones end in `...`). */
export function snsSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  const text = ascii === '' ? 'flowir notice' : ascii;
  return text.length > MAX_SUBJECT_CHARS ? `${text.slice(0, MAX_SUBJECT_CHARS - 3)}...` : text;
}
