import { CreateOpsItemCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-jest';
import { dedupString, OpsCenterTickets } from '../../../handlers/aws/ticket-opscenter';
import type { TicketRequest } from '../../../handlers/ports';
import { fakeOpsCenter } from '../mocks/fake-services';
import { finding } from '../mocks/fixtures';

function request(overrides: Partial<TicketRequest> = {}): TicketRequest {
  return {
    title: 'flowir CONTAINED: Port scan from 203.0.113.50 - review security groups',
    description: 'Review sg-0123456789abcdef0',
    severity: 'CRITICAL',
    finding: finding('203.0.113.50'),
    executionName: 'PORT_SCAN-203-0-113-50-1763805600',
    outcome: 'CONTAINED',
    dedupKey: 'PORT_SCAN-203-0-113-50-1763805600',
    ...overrides,
  };
}

describe('OpsCenterTickets (SSM CreateOpsItem)', () => {
  it('opens an OpsItem with the finding as searchable operational data and a console link', async () => {
    const ssm = fakeOpsCenter();
    const out = await new OpsCenterTickets(ssm.client, { region: 'eu-west-1' }).open(request());
    expect(ssm.items).toHaveLength(1);
    const item = ssm.items[0];
    expect(out).toEqual({ id: item?.id, url: `https://eu-west-1.console.aws.amazon.com/systems-manager/opsitems/${item?.id}?region=eu-west-1` });
    expect(item?.severity).toBe('1');
    expect(JSON.parse(item?.data['flowir:finding']?.Value ?? '')).toEqual(finding('203.0.113.50'));
    expect(item?.dedup).toBe('PORT_SCAN-203-0-113-50-1763805600');
  });

  it('returns the open OpsItem instead of a second one when the step is retried', async () => {
    const ssm = fakeOpsCenter();
    const tickets = new OpsCenterTickets(ssm.client, { region: 'us-east-1' });
    const first = await tickets.open(request());
    const again = await tickets.open(request());
    expect(again.id).toBe(first.id);
    expect(ssm.items).toHaveLength(1);
    expect(ssm.mock).toHaveReceivedCommandTimes(CreateOpsItemCommand, 2);
  });

  it('fits long descriptions and dedup keys into the limits OpsCenter accepts', async () => {
    const ssm = fakeOpsCenter();
    const longKey = `PORT_SCAN-2001-db8-${'a'.repeat(70)}`;
    await new OpsCenterTickets(ssm.client, { region: 'us-east-1' }).open(request({ description: 'd'.repeat(5000), dedupKey: longKey }));
    expect(ssm.items[0]?.description).toHaveLength(2048);
    expect(ssm.items[0]?.description.endsWith('...')).toBe(true);
    expect(dedupString(longKey)).toHaveLength(64);
    expect(dedupString(longKey)).not.toBe(dedupString(`${longKey}b`));
  });
});
