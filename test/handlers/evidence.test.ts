import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../core/detection/config';
import { makeFinding } from '../../core/detection/findings';
import type { DetectionId } from '../../core/detection/rules';
import { parseManifest, verifyManifest } from '../../core/evidence';
import { FlowLogFormat } from '../../core/flowlog/format';
import { parseLine } from '../../core/flowlog/record';
import { toFindingData } from '../../core/incident';
import { generateSample } from '../../core/sample';
import { createEvidenceHandler, EVIDENCE_FILES, type EvidenceInput } from '../../handlers/evidence';
import type { InterfaceInfo } from '../../handlers/ports';
import { TaskInputError } from '../../handlers/task-input';
import type { FindingDoc } from '../../workflows/contract';
import { LinesRecordSource, MapNetworkInventory, MemoryObjectStore, SettableClock } from './fakes/ports';

const UNTIL = 1763805600;
const window = { start: UNTIL - 3600, end: UNTIL };
const format = FlowLogFormat.V5;
const lines = [...generateSample({ records: 3000, seed: 7, format: 'v5', until: UNTIL })].flatMap((o) => o.lines);

const finding = (detection: DetectionId, source: string, value: number, port: number | null = null): FindingDoc => toFindingData(makeFinding(DEFAULT_CONFIG, detection, source, port, value, window));

/** The source's records in the window, parsed, as the evidence must see them. */
const recordsOf = (source: string) =>
  lines.flatMap((l) => {
    const r = parseLine(l, format);
    return r.kind === 'record' && r.record.srcaddr === source && r.record.start >= window.start && r.record.start < window.end ? [{ ...r.record, eni: r.values[format.indexOf('interface-id')] as string }] : [];
  });

const sgWeb = { id: 'sg-0web', name: 'web', inboundRules: ['tcp 443 from 0.0.0.0/0', 'tcp 22 from 10.0.0.0/8'] };

function setup(options: { widenSeconds?: number; inventory?: InterfaceInfo[] } = {}) {
  const widen = options.widenSeconds ?? 0;
  const records = new LinesRecordSource(format, lines);
  // Logs Insights is asked for a slightly wider range than the window; let the fake do the same.
  const source = { records: (s: string, w: { start: number; end: number }) => records.records(s, { start: w.start - widen, end: w.end + widen }) };
  const enis = [...new Set(lines.map((l) => l.split(' ')[2] as string))];
  const inventory = new MapNetworkInventory(options.inventory ?? enis.map((id, i) => ({ interfaceId: id, privateAddresses: [`10.0.1.${i + 10}`], securityGroups: [sgWeb] })));
  const store = new MemoryObjectStore();
  const clock = new SettableClock(new Date('2025-11-22T10:02:00Z'));
  return { handler: createEvidenceHandler({ records: source, inventory, store, clock }), records, inventory, store, enis };
}

describe('SnapshotEvidence', () => {
  it('stores the raw records, query, exact recount and security groups under a manifest that verifies', async () => {
    const { handler, store, records } = setup();
    const f = finding('PORT_SCAN', '198.51.100.23', 51);
    const out = await handler({ finding: f, executionName: 'PORT_SCAN-198-51-100-23-1763805600' });

    const prefix = 'incidents/PORT_SCAN-198-51-100-23-1763805600/';
    expect(out.manifestKey).toBe(`${prefix}manifest.json`);
    expect(records.calls).toEqual([{ source: '198.51.100.23', window }]);
    expect(out.recount).toBe(51);
    expect(out.confirmed).toBe(true);

    const expected = recordsOf('198.51.100.23');
    expect(expected.length).toBe(51);
    expect(out.summary).toMatchObject({ records: 51, rejected: 51, accepted: 0, firstSeen: Math.min(...expected.map((r) => r.start)), lastSeen: Math.max(...expected.map((r) => r.start)) });
    expect(out.summary.topPorts).toHaveLength(10);
    expect(out.summary.topDestinations).toEqual([{ address: '10.0.1.20', records: 51 }]);
    expect(out.summary.interfaces).toEqual([...new Set(expected.map((r) => r.eni))]);

    const manifestBytes = (await store.get(out.manifestKey)) as Buffer;
    // The manifest's own hash travels in the execution history.
    expect(out.manifestSha256).toBe(createHash('sha256').update(manifestBytes).digest('hex'));
    const manifest = parseManifest(manifestBytes.toString('utf8'), out.manifestKey);
    expect(manifest.finding).toEqual(f);
    expect(manifest.objects.map((o) => o.key.slice(prefix.length)).sort()).toEqual(Object.values(EVIDENCE_FILES).sort());
    const verification = await verifyManifest(manifest, (key) => store.get(key));
    expect(verification.ok).toBe(true);
    expect(verification.counts.verified).toBe(5);

    // The records file: a header naming the format, then exactly the source's lines.
    const stored = gunzipSync((await store.get(`${prefix}${EVIDENCE_FILES.records}`)) as Buffer).toString('utf8').trimEnd().split('\n');
    expect(stored[0]).toBe(format.header());
    expect(stored.slice(1).map((l) => parseLine(l, format)).every((r) => r.kind === 'record' && r.record.srcaddr === '198.51.100.23')).toBe(true);
    expect(stored).toHaveLength(52);

    const recount = JSON.parse((await store.get(`${prefix}${EVIDENCE_FILES.recount}`))?.toString('utf8') ?? '');
    expect(recount).toMatchObject({ findingId: f.id, value: 51, reportedValue: 51, threshold: 50, confirmed: true, records: { matched: 51, malformed: 0 } });
    const query = JSON.parse((await store.get(`${prefix}${EVIDENCE_FILES.query}`))?.toString('utf8') ?? '');
    expect(query).toMatchObject({ source: '198.51.100.23', window, lines: 51, query: `lines of 198.51.100.23 in [${window.start}, ${window.end})` });
  });

  it('marks a finding unconfirmed when the exact recount is not over the threshold', async () => {
    const { handler } = setup();
    // Logs Insights' approximate count_distinct said 53; the records hold exactly 50 rejected ports.
    const out = await handler({ finding: finding('PORT_SCAN', '198.51.100.24', 53), executionName: 'PORT_SCAN-198-51-100-24-1763805600' });
    expect(out).toMatchObject({ recount: 50, confirmed: false });
    expect(out.summary).toMatchObject({ records: 55, rejected: 50, accepted: 5 });
  });

  it('counts only records inside the window, even when the source returns more', async () => {
    const { handler, store } = setup({ widenSeconds: 600 });
    const out = await handler({ finding: finding('HIGH_CONNECTION_COUNT', '192.0.2.21', 1003), executionName: 'HIGH_CONNECTION_COUNT-192-0-2-21-1763805600' });
    expect(out).toMatchObject({ recount: 1000, confirmed: false });
    expect(out.summary.records).toBe(1000);
    const recount = JSON.parse((await store.get('incidents/HIGH_CONNECTION_COUNT-192-0-2-21-1763805600/recount.json'))?.toString('utf8') ?? '');
    expect(recount.records).toMatchObject({ matched: 1000, outOfWindow: 5 });
  });

  it('re-counts exactly beyond 2^32 and names the port of a SUSPICIOUS_PORT_ACCESS finding', async () => {
    const { handler } = setup();
    const volume = await handler({ finding: finding('HIGH_TRAFFIC_VOLUME', '2001:db8:1::10', 6_000_000_007), executionName: 'x' });
    expect(volume).toMatchObject({ recount: 6_000_000_007, confirmed: true });
    const ssh = await handler({ finding: finding('SUSPICIOUS_PORT_ACCESS', '203.0.113.50', 11, 22), executionName: 'y' });
    // 11 rejections on 22; the 10 on 3389 are the source's too, but not this finding's.
    expect(ssh).toMatchObject({ recount: 11, confirmed: true });
    expect(ssh.summary).toMatchObject({ records: 21, topPorts: [{ port: 22, records: 11 }, { port: 3389, records: 10 }] });
  });

  it('lists interfaces that no longer exist instead of dropping them', async () => {
    const { handler, store, inventory } = setup({ inventory: [] });
    const out = await handler({ finding: finding('PORT_SCAN', '198.51.100.23', 51), executionName: 'PORT_SCAN-198-51-100-23-1763805600' });
    expect(inventory.asked).toEqual([out.summary.interfaces]);
    expect(out.summary.securityGroups).toEqual([]);
    const snapshot = JSON.parse((await store.get('incidents/PORT_SCAN-198-51-100-23-1763805600/security-groups.json'))?.toString('utf8') ?? '');
    expect(snapshot).toEqual({ takenAt: '2025-11-22T10:02:00.000Z', interfaces: [], notFound: out.summary.interfaces, omitted: 0 });
  });

  it('records the security groups of the interfaces the source reached', async () => {
    const { handler, store } = setup();
    const out = await handler({ finding: finding('HIGH_CONNECTION_COUNT', '192.0.2.20', 1001), executionName: 'HIGH_CONNECTION_COUNT-192-0-2-20-1763805600' });
    // Most records first, ties by id.
    const perEni = new Map<string, number>();
    for (const r of recordsOf('192.0.2.20')) perEni.set(r.eni, (perEni.get(r.eni) ?? 0) + 1);
    expect(out.summary.interfaces).toEqual([...perEni.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id));
    expect(out.summary.securityGroups).toEqual(['sg-0web']);
    const snapshot = JSON.parse((await store.get('incidents/HIGH_CONNECTION_COUNT-192-0-2-20-1763805600/security-groups.json'))?.toString('utf8') ?? '');
    expect(snapshot.interfaces.map((i: InterfaceInfo) => i.interfaceId)).toEqual(out.summary.interfaces);
    expect(snapshot.interfaces[0].securityGroups).toEqual([sgWeb]);
    expect(snapshot.notFound).toEqual([]);
  });

  it('records a source with no records in the window as an unconfirmed finding with an empty summary', async () => {
    const { handler, inventory } = setup();
    const out = await handler({ finding: finding('PORT_SCAN', '192.0.2.200', 70), executionName: 'PORT_SCAN-192-0-2-200-1763805600' });
    expect(out).toEqual({
      manifestKey: 'incidents/PORT_SCAN-192-0-2-200-1763805600/manifest.json',
      manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      recount: 0,
      confirmed: false,
      summary: { records: 0, firstSeen: null, lastSeen: null, topDestinations: [], topPorts: [], rejected: 0, accepted: 0, interfaces: [], securityGroups: [] },
    });
    expect(inventory.asked).toEqual([[]]);
  });

  it.each<[string, unknown, string]>([
    ['a finding whose id names another source', { finding: { ...finding('PORT_SCAN', '198.51.100.23', 51), source: '198.51.100.99' }, executionName: 'x' }, 'input.finding.id: expected "PORT_SCAN:198.51.100.99:1763805600"'],
    ['a finding without a window', { finding: { ...finding('PORT_SCAN', '198.51.100.23', 51), window: undefined }, executionName: 'x' }, 'input.finding.window: expected {"start": seconds, "end": seconds}'],
    ['no execution name', { finding: finding('PORT_SCAN', '198.51.100.23', 51) }, 'input.executionName: expected a non-empty string, got nothing'],
  ])('refuses %s, naming the field, and stores nothing', async (_what, input, message) => {
    const { handler, store } = setup();
    const run = handler(input as EvidenceInput);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
    expect(store.objects.size).toBe(0);
  });
});
