/**
 * The SNS Publish request a notice becomes, and the rules it must keep before it is sent. Shared by
 * the SNS notifier (handlers/aws/notifier-sns.ts) and the local outbox (local/adapters/outbox.ts),
 * so that `flowir run` refuses what SNS, or flowir's own addressing rule, would refuse.
 */
import { approversOfLinksIn } from '../core/approval/link';
import { APPROVER_ATTRIBUTE, type Notice, type Topic } from './ports';

export const TOPICS: readonly Topic[] = ['warning', 'critical', 'approval'];

/** SNS accepts subjects of at most 100 printable ASCII characters, without line breaks. */
const MAX_SUBJECT_CHARS = 100;

/**
 * SNS checks the message body and its attributes (name, type and value) together against the
 * topic's MaximumMessageSize, 256 KiB (262,144 bytes, not characters) unless raised; flowir's
 * topics keep the default. Sources: the SDK model docs of PublishInput.Message and
 * MessageAttributeValue (@aws-sdk/client-sns 3.1169);
 * https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html (docs/aws-facts.md §7).
 */
export const MAX_MESSAGE_BYTES = 262_144;

export interface SnsStringAttribute {
  readonly DataType: 'String';
  readonly StringValue: string;
}

/** PublishInput without the topic ARN. */
export interface SnsMessage {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure?: 'json';
  readonly MessageAttributes?: Readonly<Record<string, SnsStringAttribute>>;
}

/** A notice that must not be sent as it is: misaddressed, or more than SNS takes. */
export class NoticeError extends Error {
  override readonly name = 'NoticeError';
}

/**
 * The Publish for a notice, after the addressing rule: an approval-topic notice names its one
 * approver and carries links of that approver only; an alert notice carries no link at all, since
 * everyone on its topic reads it (and could decide with a link as the approver it names).
 *
 * Alert notices go as MessageStructure json: plain text for e-mail and SMS, the structured copy for
 * programs. Approval notices go as a plain String with the `approver` attribute, because SNS
 * sends message attributes only when the message structure is String, not JSON
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html), and the approval
 * topic's subscriptions filter on that attribute.
 */
export function snsMessage(notice: Notice): SnsMessage {
  if (!TOPICS.includes(notice.topic)) throw new NoticeError(`topic: expected one of ${TOPICS.join(', ')}, got ${JSON.stringify(notice.topic)}`);
  if (typeof notice.subject !== 'string' || notice.subject.length === 0) throw new NoticeError('subject: a non-empty string is needed');
  const named = [...approversOfLinksIn(notice.text), ...approversOfLinksIn(JSON.stringify(notice.data ?? {}))];
  const subject = snsSubject(notice.subject);
  let message: SnsMessage;
  if (notice.topic === 'approval') {
    const approver = notice.approver;
    if (typeof approver !== 'string' || approver.length === 0 || approver.length > 256 || /[\p{Cc}\p{Cf}]/u.test(approver) || !wellFormed(approver)) {
      // A String attribute value has the body's content rules and must not be empty (MessageAttributeValue, SDK model docs).
      throw new NoticeError(`approver: an approval notice names its one approver (1 to 256 characters without control characters), got ${JSON.stringify(approver)}`);
    }
    const foreign = [...new Set(named.filter((a) => a !== approver))];
    if (foreign.length > 0) throw new NoticeError(`the approval notice for ${approver} carries a link of ${foreign.join(', ')}: each approver's links go to that approver alone`);
    // SNS refuses an empty body (MessageAttributeValue, SDK model docs: "the message body should not be empty").
    if (notice.text.length === 0) throw new NoticeError(`the approval notice for ${approver} has no text`);
    message = { Subject: subject, Message: notice.text, MessageAttributes: { [APPROVER_ATTRIBUTE]: { DataType: 'String', StringValue: approver } } };
  } else {
    if (named.length > 0) throw new NoticeError(`a ${notice.topic} notice carries approval links (of ${[...new Set(named)].join(', ')}): everyone on the topic would read them; send each approver their own on the approval topic`);
    if ((notice as { approver?: unknown }).approver !== undefined) throw new NoticeError(`a ${notice.topic} notice goes to every subscriber: it cannot name an approver`);
    const structured = JSON.stringify({ subject: notice.subject, text: notice.text, data: notice.data });
    message = {
      Subject: subject,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: notice.text, email: notice.text, sms: notice.subject, sqs: structured, lambda: structured, http: structured, https: structured }),
    };
  }
  const bytes = messageBytes(message);
  if (bytes > MAX_MESSAGE_BYTES) throw new NoticeError(`"${subject}" would be ${bytes} bytes with its attributes, over the ${MAX_MESSAGE_BYTES} SNS accepts`);
  return message;
}

/** What SNS counts against the size limit: the body, and each attribute's name, type and value, in UTF-8 bytes. */
export function messageBytes(message: Pick<SnsMessage, 'Message' | 'MessageAttributes'>): number {
  let n = Buffer.byteLength(message.Message, 'utf8');
  for (const [name, a] of Object.entries(message.MessageAttributes ?? {})) n += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8') + Buffer.byteLength(a.StringValue, 'utf8');
  return n;
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

// SNS strings are UTF-8: a lone surrogate has no UTF-8 form.
function wellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}
