import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TicketRequest } from '../../../handlers/ports';
import { FileTicketPort, TicketError } from '../../../local/adapters/tickets';
import { fixedClock, useTempDir } from './temp-dir';

const finding = { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window: { start: 1763802000, end: 1763805600 } } as const;
const request = (dedupKey: string, title = 'Review security groups for 203.0.113.50'): TicketRequest => ({
  title,
  description: 'PORT_SCAN from 203.0.113.50 reached eni-0a1b2c',
  severity: 'CRITICAL',
  finding,
  executionName: 'PORT_SCAN-203-0-113-50-1763805600',
  outcome: 'CONTAINED',
  dedupKey,
});

describe('FileTicketPort', () => {
  const tmp = useTempDir();
  const clock = fixedClock('2025-11-22T10:00:00Z');
  const tickets = (): FileTicketPort => new FileTicketPort(path.join(tmp.path, 'tickets'), clock);

  it('writes the ticket to tickets/OI-<hex>.json and returns its id and a file URL', async () => {
    const t = await tickets().open(request('flowir:PORT_SCAN:203.0.113.50:1763805600'));
    expect(t.id).toMatch(/^OI-[0-9a-f]{12}$/);
    const file = path.join(tmp.path, 'tickets', `${t.id}.json`);
    expect(t.url).toBe(`file://${file}`);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ id: t.id, status: 'Open', createdAt: '2025-11-22T10:00:00.000Z', title: 'Review security groups for 203.0.113.50', finding });
  });

  it('returns the same ticket, unchanged, for a repeat with the same dedup key', async () => {
    const first = await tickets().open(request('dedup-1'));
    clock.set('2025-11-22T10:30:00Z');
    const again = await tickets().open(request('dedup-1', 'A different title'));
    expect(again).toEqual(first);
    const stored = JSON.parse(await fs.readFile(path.join(tmp.path, 'tickets', `${first.id}.json`), 'utf8')) as { title: string; createdAt: string };
    expect(stored).toMatchObject({ title: 'Review security groups for 203.0.113.50', createdAt: '2025-11-22T10:00:00.000Z' });
  });

  it('opens one ticket for concurrent repeats and separate tickets for separate keys', async () => {
    const t = tickets();
    const [a, b, c] = await Promise.all([t.open(request('dedup-1')), t.open(request('dedup-1')), t.open(request('dedup-2'))]);
    expect(a).toEqual(b);
    expect(c?.id).not.toBe(a?.id);
    expect(await fs.readdir(path.join(tmp.path, 'tickets'))).toHaveLength(2);
  });

  it('refuses a request without a dedup key', async () => {
    await expect(tickets().open(request(''))).rejects.toBeInstanceOf(TicketError);
  });
});
