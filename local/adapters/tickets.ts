import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock, type Clock, type TicketPort, type TicketRequest } from '../../handlers/ports';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

export class TicketError extends Error {
  override readonly name = 'TicketError';
}

/** A ticket as written to `<dir>/OI-<hex>.json`. */
export interface TicketFile extends TicketRequest {
  readonly id: string;
  readonly url: string;
  readonly status: 'Open';
  readonly createdAt: string;
}

/**
 * Tickets (OpsCenter OpsItems on AWS) as JSON files `<dir>/OI-<12 hex>.json`. The id is derived
 * from the dedup key, so opening the same incident's ticket again (a retried step) returns the
 * ticket already there, unchanged, as OpsCenter's deduplication string does.
 */
export class FileTicketPort implements TicketPort {
  private readonly mutex = new KeyedMutex();

  constructor(
    readonly dir: string,
    private readonly clock: Clock = systemClock,
  ) {}

  static idFor(dedupKey: string): string {
    return `OI-${createHash('sha256').update(dedupKey, 'utf8').digest('hex').slice(0, 12)}`;
  }

  async open(request: TicketRequest): Promise<{ readonly id: string; readonly url: string | null }> {
    if (typeof request.dedupKey !== 'string' || request.dedupKey.length === 0) throw new TicketError('dedupKey: a non-empty string is needed, so that a retried step opens no second ticket');
    const id = FileTicketPort.idFor(request.dedupKey);
    const file = path.join(this.dir, `${id}.json`);
    const url = pathToFileURL(file).href;
    return this.mutex.run(id, async () => {
      const existing = await readJsonIfExists(file);
      if (existing !== undefined) {
        if (!isRecord(existing) || existing.dedupKey !== request.dedupKey) throw new StateFileError(file, `holds a ticket with another dedup key than ${JSON.stringify(request.dedupKey)}`);
        return { id, url };
      }
      const ticket: TicketFile = { ...request, id, url, status: 'Open', createdAt: this.clock.now().toISOString() };
      await writeJsonAtomic(file, ticket);
      return { id, url };
    });
  }
}
