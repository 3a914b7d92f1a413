/**
 * The approval page as a person and as a mail scanner meet it: the packaged Chromium driven by
 * playwright-core against a real `flowir run` (the synthesized workflows, the approval endpoint
 * on 127.0.0.1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { runLocal, type ApprovalLink, type LocalRun } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';
import { launchBrowser } from '../../browser/launch';

let dir: string;
let sample: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-browser-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 2000, seed: 9 })).s3Root;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Start a run that waits for people; resolves the links as soon as all three approvals are out. */
function startRun(stateDir: string): { links: Promise<ApprovalLink[]>; done: Promise<LocalRun> } {
  const links: ApprovalLink[] = [];
  let ready!: (l: ApprovalLink[]) => void;
  const linksReady = new Promise<ApprovalLink[]>((r) => (ready = r));
  const done = runLocal({
    inputs: [sample],
    config: DEFAULT_CONFIG,
    incident: { ...DEFAULT_INCIDENT_CONFIG, approvalTimeoutSeconds: 60 },
    windowSeconds: 3600,
    until: 1763805600,
    stateDir,
    onApprovalLink: (l) => {
      links.push(l);
      if (links.length === 3) ready(links);
    },
  });
  return { links: linksReady, done };
}

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const res = await fetch(`${u.origin}${u.pathname}`, { method: 'POST', body: new URLSearchParams(fields), headers: { origin: u.origin } });
  return { status: res.status, text: await res.text() };
}
const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';

describe('approval page in Chromium', () => {
  it('shows the finding, approves with a comment, and the execution finishes with the block and the approver in its history', async () => {
    const { links, done } = startRun(path.join(dir, 'approve'));
    const all = await links;
    const link = all.find((l) => l.findingId.startsWith('PORT_SCAN:198.51.100.23')) as ApprovalLink;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(link.url);
    expect(await page.locator('h1').innerText()).toContain('198.51.100.23');
    expect(await page.content()).toContain('51 distinct rejected destination ports');
    await page.fill('textarea[name=comment]', 'Scanner from a hosting range, block it <b>now</b>');
    await Promise.all([page.waitForLoadState('load'), page.click('button[value=approve]')]);
    const result = await page.locator('body').innerText();
    expect(result).toMatch(/approv/i);
    await page.screenshot({ path: path.join(dir, 'approved.png') });
    await page.close();
    for (const other of all.filter((l) => l !== link)) await post(other.url, { token: tokenOf(other.url), decision: 'reject', comment: '' });

    const run = await done;
    const summary = runSummary(run);
    const mine = summary.executions.find((e) => e.finding.source === '198.51.100.23');
    expect(mine?.outcome).toBe('CONTAINED');
    expect(mine?.decision?.approver).toBe('approver@localhost');
    expect(mine?.decision?.comment).toBe('Scanner from a hosting range, block it <b>now</b>');
    expect(mine?.containment?.blocked).toEqual(['198.51.100.23/32']);
    expect(summary.executions.filter((e) => e.outcome === 'REJECTED')).toHaveLength(2);
  }, 120_000);

  it('a plain GET (a mail scanner) decides nothing; a tampered or reused link is refused and sends nothing', async () => {
    const { links, done } = startRun(path.join(dir, 'scanner'));
    const [first, second, third] = (await links) as [ApprovalLink, ApprovalLink, ApprovalLink];

    // A scanner follows every link, several times.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(first.url);
      await res.text();
      expect(res.status).toBe(200);
    }
    const page = await browser.newPage();
    await page.goto(first.url);
    expect(await page.locator('button[value=approve]').count()).toBe(1);
    await page.close();

    // Tampered: one character of the signed token changed.
    const token = tokenOf(second.url);
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.slice(-1);
    const forged = await post(second.url, { token: flipped, decision: 'approve', comment: '' });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    const tamperedPage = await browser.newPage();
    await tamperedPage.goto(`${new URL(second.url).origin}/approval?token=${encodeURIComponent(flipped)}`);
    expect(await tamperedPage.locator('button[value=approve]').count()).toBe(0);
    await tamperedPage.close();

    // Used once, then reused.
    expect((await post(third.url, { token: tokenOf(third.url), decision: 'reject', comment: 'not ours' })).status).toBe(200);
    const reused = await post(third.url, { token: tokenOf(third.url), decision: 'approve', comment: '' });
    expect(reused.status).toBeGreaterThanOrEqual(400);

    // Now decide the first two for real so the run ends.
    expect((await post(first.url, { token: tokenOf(first.url), decision: 'reject', comment: '' })).status).toBe(200);
    expect((await post(second.url, { token: tokenOf(second.url), decision: 'reject', comment: '' })).status).toBe(200);
    const summary = runSummary(await done);
    const outcomes = summary.executions.filter((e) => e.decision !== null).map((e) => [e.finding.id, e.outcome, e.decision?.decision]);
    // The scanner's GETs and the forged POST changed nothing: every decision is the one made by POST with a valid link.
    expect(outcomes.map((o) => o[1])).toEqual(['REJECTED', 'REJECTED', 'REJECTED']);
    expect(summary.executions.flatMap((e) => e.containment?.blocked ?? [])).toEqual([]);
  }, 120_000);
});
