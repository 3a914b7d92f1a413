import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { systemClock, type Clock, type Notice, type NotifierPort, type Topic } from '../../handlers/ports';
import { listFiles, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
}

/** A notice as written to the outbox. */
export interface OutboxMessage extends Notice {
  readonly messageId: string;
  readonly sentAt: string;
  readonly sequence: number;
}

const TOPICS: readonly Topic[] = ['warning', 'critical'];
const SEQUENCE_DIGITS = 6;
const FILE_NAME = /^(\d{8}T\d{9}Z)-(\d+)-([a-z]+)\.json$/;

/**
 * SNS topics as an outbox folder: each notice is a file `<time>-<n>-<topic>.json`, time in
 * `YYYYMMDDTHHMMSSmmmZ` from the clock (the simulated one in `flowir run`) and n a sequence number
 * continuing from the files already there, so a directory listing sorts in send order (the clock
 * never runs back within a run). Approval links travel in the notice text and data.
 */
export class OutboxNotifier implements NotifierPort {
  private readonly mutex = new KeyedMutex();
  private next: number | undefined;

  constructor(
    readonly dir: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async publish(notice: Notice): Promise<{ readonly messageId: string }> {
    if (!TOPICS.includes(notice.topic)) throw new OutboxError(`topic: expected one of ${TOPICS.join(', ')}, got ${JSON.stringify(notice.topic)}`);
    if (typeof notice.subject !== 'string' || notice.subject.length === 0) throw new OutboxError('subject: a non-empty string is needed');
    return this.mutex.run('outbox', async () => {
      const sequence = this.next ?? (await this.lastSequence()) + 1;
      this.next = sequence + 1;
      const sent = this.clock.now();
      const messageId = randomUUID();
      const message: OutboxMessage = { messageId, sentAt: sent.toISOString(), sequence, topic: notice.topic, subject: notice.subject, text: notice.text, data: notice.data };
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
