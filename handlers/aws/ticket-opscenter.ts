import { createHash } from 'node:crypto';
import { CreateOpsItemCommand, OpsItemAlreadyExistsException, type SSMClient } from '@aws-sdk/client-ssm';
import type { TicketPort, TicketRequest } from '../ports';

/** OpsCenter limits on CreateOpsItem fields. */
const MAX_TITLE_CHARS = 1024;
const MAX_DESCRIPTION_CHARS = 2048;
const MAX_DEDUP_CHARS = 64;

/** CreateOpsItem answered without an OpsItem id. */
export class OpsItemResponseError extends Error {
  override readonly name = 'OpsItemResponseError';
}

export interface OpsCenterOptions {
  /** For the console link in the ticket output. */
  readonly region: string;
  /** OpsItem `Source`; may not contain "aws", "amazon" or "amzn". */
  readonly source?: string;
}

/**
 * Systems Manager OpsCenter: one OpsItem per incident. The request's dedup key becomes the
 * OpsItem deduplication string, so a retried step finds the open OpsItem instead of opening another.
 */
export class OpsCenterTickets implements TicketPort {
  constructor(
    private readonly client: SSMClient,
    private readonly options: OpsCenterOptions,
  ) {}

  async open(request: TicketRequest): Promise<{ readonly id: string; readonly url: string | null }> {
    const searchable = (value: string): { Value: string; Type: 'SearchableString' } => ({ Value: value, Type: 'SearchableString' });
    let id: string | undefined;
    try {
      const out = await this.client.send(
        new CreateOpsItemCommand({
          Title: clip(request.title, MAX_TITLE_CHARS),
          Description: clip(request.description, MAX_DESCRIPTION_CHARS),
          Source: this.options.source ?? 'flowir',
          Category: 'Security',
          Severity: request.severity === 'CRITICAL' ? '1' : '3',
          Priority: request.severity === 'CRITICAL' ? 1 : 3,
          OperationalData: {
            '/aws/dedup': searchable(JSON.stringify({ dedupString: dedupString(request.dedupKey) })),
            'flowir:finding': searchable(JSON.stringify(request.finding)),
            'flowir:execution': searchable(request.executionName),
            'flowir:outcome': searchable(request.outcome),
          },
        }),
      );
      id = out.OpsItemId;
    } catch (e) {
      if (!(e instanceof OpsItemAlreadyExistsException) || e.OpsItemId === undefined) throw e;
      id = e.OpsItemId;
    }
    if (id === undefined) throw new OpsItemResponseError(`CreateOpsItem returned no OpsItem id for "${request.title}"`);
    return { id, url: `https://${this.options.region}.console.aws.amazon.com/systems-manager/opsitems/${encodeURIComponent(id)}?region=${this.options.region}` };
  }
}

/** The key itself when short enough (readable in the console), else a hash of it. */
export function dedupString(key: string): string {
  return key.length <= MAX_DEDUP_CHARS ? key : `flowir-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, MAX_DEDUP_CHARS - 7)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
