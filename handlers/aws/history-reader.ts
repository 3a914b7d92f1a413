/** Execution history from Step Functions: every page of GetExecutionHistory, with the state data. */
import { GetExecutionHistoryCommand, type HistoryEvent as SfnHistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { HistoryEvent, HistoryReader } from '../ports/history';

/** A Standard execution has at most 25,000 events; at 1,000 a page that is 25 pages. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 30;

export class HistoryReadError extends Error {
  override readonly name = 'HistoryReadError';
}

export class SfnHistoryReader implements HistoryReader {
  constructor(private readonly sfn: SFNClient) {}

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: PAGE_SIZE, includeExecutionData: true, reverseOrder: false, ...(nextToken !== undefined ? { nextToken } : {}) }),
      );
      for (const e of out.events ?? []) events.push(toJsonEvent(e, executionArn));
      if (out.nextToken === undefined || out.nextToken === '') return events;
      nextToken = out.nextToken;
    }
    throw new HistoryReadError(`${executionArn}: history has more than ${MAX_PAGES} pages of ${PAGE_SIZE} events, beyond a Standard execution's 25,000-event limit`);
  }
}

/** The event as JSON data: the SDK gives `timestamp` as a Date. */
function toJsonEvent(e: SfnHistoryEvent, executionArn: string): HistoryEvent {
  if (e.id === undefined || e.type === undefined || !(e.timestamp instanceof Date)) {
    throw new HistoryReadError(`${executionArn}: a history event lacks its id, type or timestamp (${JSON.stringify({ id: e.id, type: e.type })})`);
  }
  return { ...(JSON.parse(JSON.stringify(e)) as Record<string, unknown>), id: e.id, type: e.type, timestamp: e.timestamp.toISOString() };
}
