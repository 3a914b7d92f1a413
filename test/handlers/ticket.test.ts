import type { TicketPort, TicketRequest } from '../../handlers/ports';
import { createTicketHandler } from '../../handlers/ticket';
import { evidence, executionFor, finding } from './mocks/fixtures';

class RecordingTickets implements TicketPort {
  readonly requests: TicketRequest[] = [];
  async open(request: TicketRequest): Promise<{ id: string; url: string | null }> {
    this.requests.push(request);
    return { id: 'oi-123', url: 'https://example.test/oi-123' };
  }
}

describe('ticket handler', () => {
  it('opens one ticket per incident asking for a review of the security groups, with what was decided and done', async () => {
    const tickets = new RecordingTickets();
    const f = finding('203.0.113.50');
    const out = await createTicketHandler({ tickets })({
      finding: f,
      executionName: executionFor(f),
      outcome: 'CONTAINED',
      evidence: evidence({ securityGroups: ['sg-0aaa (web)', 'sg-0bbb (ssh-admin)'] }),
      decision: { decision: 'approve', approver: 'alice@example.com', at: '2025-11-22T10:07:00Z', comment: 'go', sourceIp: '192.0.2.10' },
      containment: { status: 'blocked', blocked: ['203.0.113.50/32'], ipSet: { name: 'flowir-prod-blocked-ipv4', id: 'x', scope: 'REGIONAL' }, blockedAt: '2025-11-22T10:07:05.000Z', expiresAt: '2025-11-23T10:07:05.000Z', durationSeconds: 86400, contained: true, uncontainedReason: null, networkAclEntries: [{ networkAclId: 'acl-0abc', ruleNumber: 1, cidr: '203.0.113.50/32' }], networkAclCovered: [], networkAclRefusals: [] },
    });
    expect(out).toEqual({ ticketId: 'oi-123', url: 'https://example.test/oi-123' });
    const [r] = tickets.requests;
    expect(r).toMatchObject({ title: 'flowir CONTAINED: Port scan from 203.0.113.50 - review security groups', severity: 'CRITICAL', dedupKey: executionFor(f), outcome: 'CONTAINED' });
    expect(r?.description).toContain('- sg-0aaa (web)\n- sg-0bbb (ssh-admin)');
    expect(r?.description).toContain('Decision: approve by alice@example.com at 2025-11-22T10:07:00Z ("go").');
    expect(r?.description).toContain('Blocked 203.0.113.50/32 in WAF IP set flowir-prod-blocked-ipv4 until 2025-11-23T10:07:05.000Z.');
  });

  it('says so when the evidence found no security group', async () => {
    const tickets = new RecordingTickets();
    const f = finding('203.0.113.50', 'HIGH_CONNECTION_COUNT');
    await createTicketHandler({ tickets })({ finding: f, executionName: executionFor(f), outcome: 'NOTIFIED', evidence: evidence({ securityGroups: [], interfaces: [] }) });
    expect(tickets.requests[0]?.description).toContain('- (none found in the evidence');
    expect(tickets.requests[0]?.severity).toBe('WARNING');
  });

  it('refuses a malformed decision, naming the field', async () => {
    const f = finding('203.0.113.50');
    const decision = { decision: 'approve', approver: 'alice@example.com', at: 'yesterday', comment: null, sourceIp: null } as const;
    await expect(createTicketHandler({ tickets: new RecordingTickets() })({ finding: f, executionName: executionFor(f), outcome: 'CONTAINED', evidence: evidence(), decision })).rejects.toThrow(/^decision\.at: expected an ISO 8601 UTC time/);
  });

  it('refuses an unknown outcome, naming the field', async () => {
    const f = finding('203.0.113.50');
    await expect(createTicketHandler({ tickets: new RecordingTickets() })({ finding: f, executionName: executionFor(f), outcome: 'DONE' as 'CONTAINED', evidence: evidence() })).rejects.toThrow(/^outcome: expected one of CONTAINED/);
  });
});
