import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { systemClock, type Clock, type Notice, type NotifierPort } from '../../handlers/ports';
import { NoticeError, snsMessage, type SnsStringAttribute } from '../../handlers/sns-message';
import { listFiles, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
}

/**
 * A notice as written to the outbox. An approval-topic notice also records the message
 * attributes SNS would get (`approver`), the one its approver's subscription filters on.
 */
export type OutboxMessage = Notice & {
  readonly messageId: string;
  readonly sentAt: string;
  readonly sequence: number;
  readonly messageAttributes?: Readonly<Record<string, SnsStringAttribute>>;
};

const SEQUENCE_DIGITS = 6;
const FILE_NAME = /^(\d{8}T\d{9}Z)-(\d+)-([a-z]+)\.json$/;

/**
 * SNS topics as an outbox folder: each notice is a file `<time>-<n>-<topic>.json`, time in
 * `YYYYMMDDTHHMMSSmmmZ` from the clock (the simulated one in `flowir run`) and n a sequence number
 * continuing from the files already there, so a directory listing sorts in send order (the clock
 * never runs back within a run). It keeps SNS's rules and flowir's addressing rule
 * (handlers/sns-message.ts): each approver's link travels in a notice of its own on the approval
 * topic, `<time>-<n>-approval.json`, that names them in its `approver` attribute, as the SNS
 * message that only their subscription receives; alert notices carry no link.
 */
export class OutboxNotifier implements NotifierPort {
  private readonly mutex = new KeyedMutex();
  private next: number | undefined;

  constructor(
    readonly dir: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async publish(notice: Notice): Promise<{ readonly messageId: string }> {
    let attributes: OutboxMessage['messageAttributes'];
    try {
      attributes = snsMessage(notice).MessageAttributes;
    } catch (e) {
      if (e instanceof NoticeError) throw new OutboxError(e.message, { cause: e });
      throw e;
    }
    return this.mutex.run('outbox', async () => {
      const sequence = this.next ?? (await this.lastSequence()) + 1;
      this.next = sequence + 1;
      const sent = this.clock.now();
      const messageId = randomUUID();
      const stamp = { messageId, sentAt: sent.toISOString(), sequence };
      const message: OutboxMessage =
        notice.topic === 'approval'
          ? { ...stamp, topic: notice.topic, approver: notice.approver, subject: notice.subject, text: notice.text, data: notice.data, ...(attributes ? { messageAttributes: attributes } : {}) }
          : { ...stamp, topic: notice.topic, subject: notice.subject, text: notice.text, data: notice.data };
      const name = `${compactTime(sent)}-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}-${notice.topic}.json`;
      await writeJsonAtomic(path.join(this.dir, name), message);
      return { messageId };
    });
  }

  private async lastSequence(): Promise<number> {
    let last = 0;
    for (const name of await listFiles(this.dir)) {
      const m = FILE_NAME.exec(name);
      if (m) last = Math.max(last, Number(m[2]));
    }
    return last;
  }
}

/** `2025-11-22T10:00:07.123Z` → `20251122T100007123Z`: sortable and free of `:` (not allowed in Windows file names). */
function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}
