/**
 * The approval pages of a real `flowir run`, served on another host than 127.0.0.1 (127.0.0.2: a
 * loopback address, the only kind this test may bind, but not the default one, so the links must
 * be re-hosted), and what a link shows once its approval no longer waits while the run goes on:
 * decided (409), asked for by an earlier, interrupted run of the state dir (410), timed out (410).
 */
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { signApprovalLink } from '../../../core/approval/link';
import { proposeContainment } from '../../../core/containment/actions';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { createApprovalEndpoint } from '../../../handlers/approval-endpoint';
import { approvalView } from '../../../handlers/approval-page/view';
import { toKeySet } from '../../../handlers/request-approval';
import { FileApprovalStore, FileSigningKeyProvider, LocalTaskCallbacks } from '../../../local/adapters';
import { refuseClosedApprovals } from '../../../local/approval/closed-approvals';
import { resolveApprovalHost } from '../../../local/approval/host';
import { runLocal, type ApprovalLink, type LocalRun, type LocalRunOptions } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';
import { evidence } from '../../handlers/mocks/fixtures';
import { portScanFinding } from '../audit/scenario';

let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-served-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 2000, seed: 9 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A run whose three approvals wait ten minutes; resolves the links once all are out. */
function startRun(stateDir: string, extra: Partial<LocalRunOptions> = {}): { links: Promise<ApprovalLink[]>; done: Promise<LocalRun> } {
  const links: ApprovalLink[] = [];
  let ready!: (l: ApprovalLink[]) => void;
  const out = new Promise<ApprovalLink[]>((r) => (ready = r));
  const done = runLocal({
    inputs: [sample],
    config: DEFAULT_CONFIG,
    incident: { ...DEFAULT_INCIDENT_CONFIG, approvalTimeoutSeconds: 600 },
    windowSeconds: 3600,
    until: 1763805600,
    stateDir,
    onApprovalLink: (l) => {
      links.push(l);
      if (links.length === 3) ready([...links].sort((a, b) => (a.findingId < b.findingId ? -1 : 1)));
    },
    ...extra,
  });
  return { links: out, done };
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';

async function open(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

async function post(url: string, decision: 'approve' | 'reject'): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const body = new URLSearchParams({ token: tokenOf(url), decision, comment: '' });
  const res = await fetch(`${u.origin}${u.pathname}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } });
  return { status: res.status, text: await res.text() };
}

/** The same link, opened on another server (the token is what is signed, not the host). */
const onServer = (url: string, origin: string): string => `${origin}${new URL(url).pathname}${new URL(url).search}`;

describe('approval pages served by flowir run', () => {
  it('on --host 127.0.0.2: the links name it, they work there, and only there', async () => {
    const stateDir = path.join(dir, 'host');
    const { links, done } = startRun(stateDir, { host: resolveApprovalHost('127.0.0.2', {}) });
    const all = await links;
    const origin = new URL(all[0]?.url ?? '').origin;
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    for (const l of all) expect(l.url.startsWith(`${origin}/approval?token=`)).toBe(true);
    // The notices sent (the outbox) carry the same links, in their text and their data.
    const notices = await Promise.all((await readdir(path.join(stateDir, 'outbox'))).map(async (f) => JSON.parse(await readFile(path.join(stateDir, 'outbox', f), 'utf8')) as { text: string; data: { kind: string; links?: Array<{ url: string }> } }));
    const approvals = notices.filter((n) => n.data.kind === 'approval');
    expect(approvals).toHaveLength(3);
    for (const n of approvals) {
      expect(n.text).not.toContain('127.0.0.1');
      expect(n.data.links?.map((l) => l.url)).toEqual([expect.stringMatching(new RegExp(`^${origin.replace(/\./g, '\\.')}/approval\\?token=`))]);
      expect(all.map((l) => l.url)).toContain(n.data.links?.[0]?.url);
    }
    // Nothing listens on 127.0.0.1 at that port.
    await expect(fetch(`http://127.0.0.1:${new URL(origin).port}/approval`)).rejects.toThrow();

    const page = await open(all[0]?.url ?? '');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form');
    for (const l of all) expect((await post(l.url, 'reject')).status).toBe(200);
    const summary = runSummary(await done);
    expect(summary.executions.filter((e) => e.outcome === 'REJECTED')).toHaveLength(3);
  }, 60_000);

  it('a link whose approval ended while the run goes on gets a page that says so, with no form, and decides nothing', async () => {
    // An earlier run of the state dir, interrupted while its approvals waited: their records stay.
    const earlier = path.join(dir, 'earlier');
    const controller = new AbortController();
    const first = startRun(earlier, { signal: controller.signal });
    const stale = await first.links;
    controller.abort('SIGINT');
    await first.done;

    const stateDir = path.join(dir, 'closed');
    await cp(path.join(earlier, 'keys'), path.join(stateDir, 'keys'), { recursive: true });
    await cp(path.join(earlier, 'approvals'), path.join(stateDir, 'approvals'), { recursive: true });
    const { links, done } = startRun(stateDir);
    const [a, b, c] = (await links) as [ApprovalLink, ApprovalLink, ApprovalLink];
    const origin = new URL(a.url).origin;

    // The earlier run's link verifies (same key) and finds its approval, undecided: but no task waits for it.
    const old = onServer(stale[0]?.url ?? '', origin);
    const shown = await open(old);
    expect(shown.status).toBe(410);
    expect(shown.text).toContain('This approval is closed');
    expect(shown.text).toContain('asked for by an earlier run of flowir on this state dir');
    expect(shown.text).not.toContain('<form');
    const posted = await post(old, 'approve');
    expect(posted.status).toBe(410);
    const approvalFiles = await readdir(path.join(stateDir, 'approvals'));
    const stored = await Promise.all(approvalFiles.map(async (f) => JSON.parse(await readFile(path.join(stateDir, 'approvals', f), 'utf8')) as { executionName: string; decision?: unknown; createdAt: string }));
    expect(stored.filter((s) => s.decision !== undefined)).toEqual([]);

    // Decided: opening or posting the link again says so and sends nothing more.
    expect((await post(a.url, 'approve')).status).toBe(200);
    const again = await open(a.url);
    expect(again.status).toBe(409);
    expect(again.text).toContain('Already decided');
    expect(again.text).not.toContain('<form');
    expect((await post(a.url, 'reject')).status).toBe(409);

    for (const l of [b, c]) expect((await post(l.url, 'reject')).status).toBe(200);
    const summary = runSummary(await done);
    expect(summary.executions.find((e) => e.name === a.executionName)?.outcome).toBe('CONTAINED');
  }, 60_000);

  it('a link whose task timed out a moment before the approval record says: too late, escalated, no form', async () => {
    const stateDir = path.join(dir, 'expired');
    const store = new FileApprovalStore(path.join(stateDir, 'approvals'));
    const keys = new FileSigningKeyProvider(path.join(stateDir, 'keys'));
    const callbacks = new LocalTaskCallbacks();
    const clock = { now: () => new Date() };
    const finding = portScanFinding('203.0.113.9');
    const now = Math.floor(Date.now() / 1000);
    const timedOut = callbacks.register('token-timed-out', { timeoutMs: 1 });
    await expect(timedOut).rejects.toMatchObject({ name: 'States.Timeout' });
    void callbacks.register('token-waiting');
    const endpoint = createApprovalEndpoint({ store, callback: callbacks, keys, clock });
    const served = refuseClosedApprovals(endpoint, { store, keys, clock, tokenState: (t) => callbacks.state(t) });
    const view = approvalView(evidence(), proposeContainment(finding, { networkAclDeny: [], blockDurationSeconds: 86400 }), { allowed: true, guardrail: null, reason: null }) as unknown as Record<string, unknown>;
    const linkFor = async (approvalId: string, taskToken: string): Promise<string> => {
      await store.save({ approvalId, taskToken, executionName: `exec-${approvalId}`, finding, view, approvers: ['ann@example.com'], expiresAt: new Date((now + 60) * 1000).toISOString(), createdAt: new Date(now * 1000).toISOString() });
      return signApprovalLink({ approvalId, incidentId: finding.id, approver: 'ann@example.com', issuedAt: now, expiresAt: now + 60 }, toKeySet(await keys.keys()));
    };
    const get = (token: string) => served({ method: 'GET', path: '/approval', query: { token }, headers: {}, body: '', sourceIp: '127.0.0.1' });

    const late = await get(await linkFor('approval-late', 'token-timed-out'));
    expect(late.status).toBe(410);
    expect(late.headers['content-security-policy']).toBeDefined();
    expect(late.body).toContain('Too late: the time to decide is over');
    expect(late.body).toContain('nothing was blocked and the incident was escalated');
    expect(late.body).not.toContain('<form');
    const head = await served({ method: 'HEAD', path: '/approval', query: { token: await linkFor('approval-late', 'token-timed-out') }, headers: {}, body: '', sourceIp: null });
    expect([head.status, head.body]).toEqual([410, '']);

    // Still waiting: the endpoint's own page, with its form.
    const live = await get(await linkFor('approval-live', 'token-waiting'));
    expect(live.status).toBe(200);
    expect(live.body).toContain('<form');
    // A forged link is the endpoint's to refuse, as before.
    const forged = await get(`${(await linkFor('approval-live', 'token-waiting')).slice(0, -3)}AAA`);
    expect(forged.status).toBe(403);
    callbacks.close();
  });
});
