/**
 * The HTML report in a real browser (the packaged Chromium through playwright-core): it renders from
 * the file alone, the key elements are there and say the right things, a value full of markup stays
 * text, it loads nothing from anywhere, and it prints.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { audit } from './cli';
import { playScenario, tempStateDir, type PlayedScenario } from './scenario';
import { launchBrowser } from '../../browser/launch';

/** Screenshots are kept here for a person to look at. */
const SHOTS = path.join(__dirname, '..', '..', '..', 'dist', 'test-screenshots');

let browser: Browser;

/** Runs in the page: one computed style property of an element (the test's TypeScript has no DOM types). */
const styleOf = (el: unknown, prop: string): string => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[prop] ?? '';
let contained: PlayedScenario;
let rejected: PlayedScenario;

beforeAll(async () => {
  browser = await launchBrowser();
  contained = await playScenario('contained');
  rejected = await playScenario('rejected');
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

async function report(s: PlayedScenario, stateDir = s.stateDir): Promise<{ file: string; code: number }> {
  const file = path.join(stateDir, `${s.path}.html`);
  const r = await audit([s.executionName, '--state-dir', stateDir, '--html', file]);
  return { file, code: r.code };
}

async function open(file: string, viewport = { width: 1100, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  return { page, requests };
}

/** The page's Content-Security-Policy meta tag, and the policy it should be: its one stylesheet by hash, nothing else. */
function csp(file: string): { meta: string[]; expected: string } {
  const text = readFileSync(file, 'utf8');
  const meta = [...text.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)].map((m) => m[1] ?? '');
  const styles = [...text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
  expect(styles).toHaveLength(1);
  const hash = createHash('sha256').update(styles[0] ?? '', 'utf8').digest('base64');
  // Before the stylesheet: a policy in a meta tag governs only what follows it.
  expect(text.indexOf('http-equiv="Content-Security-Policy"')).toBeLessThan(text.indexOf('<style>'));
  return { meta, expected: `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'` };
}

describe('the HTML audit report', () => {
  it('carries a Content-Security-Policy: its own stylesheet by hash, no script, nothing loaded; the browser applies it', async () => {
    const { file } = await report(contained);
    const { meta, expected } = csp(file);
    expect(meta).toEqual([expected]);
    const { page } = await open(file);
    const complaints: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) complaints.push(m.text());
    });
    await page.reload();
    // The admitted stylesheet applies ...
    expect(await page.locator('#timeline li.good .dot').first().evaluate(styleOf, 'backgroundColor')).toBe('rgb(26, 127, 55)');
    expect(complaints).toEqual([]);
    // ... and one added later does not.
    await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { createElement(t: string): { textContent: string }; head: { append(e: unknown): void } } }).document;
      const style = d.createElement('style');
      style.textContent = 'body{background:rgb(255, 0, 0) !important}';
      d.head.append(style);
    });
    expect(await page.locator('body').evaluate(styleOf, 'backgroundColor')).not.toBe('rgb(255, 0, 0)');
    expect(complaints.length).toBeGreaterThan(0);
    await page.close();
  });


  it('renders the story of a contained incident: verdict, cards, timeline, evidence, nothing loaded from outside', async () => {
    const { file, code } = await report(contained);
    expect(code).toBe(0);
    const { page, requests } = await open(file);
    await page.screenshot({ path: path.join(SHOTS, 'audit-contained.png'), fullPage: true });

    expect(requests).toEqual([`file://${file}`]);
    expect(await page.title()).toBe(`flowir audit — ${contained.executionName}`);
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe('verified');
    expect(await page.textContent('#verdict h2')).toBe('Record intact: all checks passed');
    expect(await page.locator('.card .v').allTextContents()).toEqual(['CONTAINED', 'PORT_SCAN from 203.0.113.50', 'Approved by alice@example.com', '203.0.113.50/32']);
    const kinds = await page.locator('#timeline li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    expect(kinds).toEqual(['detection', 'finding', 'evidence', 'notification', 'policy', 'approval', 'approval', 'containment', 'ticket', 'expiry', 'expiry', 'release', 'outcome']);
    expect(await page.locator('#timeline li[data-kind="expiry"] .title').allTextContents()).toContain('Block expired — the wait was fast-forwarded on the local simulated clock (24 h)');
    expect(await page.locator('#evidence tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-object'), r.getAttribute('data-status')]))).toEqual([
      ['query.json', 'verified'],
      ['records.log.gz', 'verified'],
      ['recount.json', 'verified'],
      ['security-groups.json', 'verified'],
      ['summary.json', 'verified'],
    ]);
    expect(await page.textContent('#recount')).toContain('Recount from the raw records: 60');
    // The timeline is drawn: a line down the side, a dot per entry, coloured by how it reads.
    const dot = await page.locator('#timeline li.good .dot').first().evaluate(styleOf, 'backgroundColor');
    expect(dot).toBe('rgb(26, 127, 55)');
    await page.close();
  });

  it('says plainly when the evidence was altered, names the object, and marks its row', async () => {
    const dir = tempStateDir();
    cpSync(contained.stateDir, dir, { recursive: true });
    const records = path.join(dir, 'evidence', 'incidents', contained.executionName, 'records.log.gz');
    const bytes = readFileSync(records);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    writeFileSync(records, bytes);
    const { file, code } = await report(contained, dir);
    expect(code).toBe(3);
    const { page } = await open(file);
    await page.screenshot({ path: path.join(SHOTS, 'audit-tampered.png'), fullPage: true });
    expect(await page.getAttribute('#verdict', 'data-verdict')).toBe('failed');
    expect(await page.textContent('#verdict h2')).toBe('Checks failed: the record has been altered or is incomplete');
    expect(await page.locator('#verdict li').first().textContent()).toMatch(/^records\.log\.gz: altered — sha256 is [0-9a-f]{64}/);
    expect(await page.getAttribute('#evidence tr[data-object="records.log.gz"]', 'data-status')).toBe('mismatched');
    expect(await page.textContent('#evidence tr[data-object="records.log.gz"] .pill')).toBe('altered');
    await page.close();
  });

  it('keeps markup in values as text (the approver comment holds "<not>")', async () => {
    const { file } = await report(rejected);
    expect(readFileSync(file, 'utf8')).toContain('known scanner, &lt;not&gt; a threat');
    const { page } = await open(file);
    expect(await page.locator('not').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('#timeline li[data-kind="approval"] dd').allTextContents()).toContain('known scanner, <not> a threat');
    await page.close();
  });

  it('prints: A4 pages with the timeline and the evidence table, colours kept', async () => {
    const { file } = await report(contained);
    const { page } = await open(file);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SHOTS, 'audit-print.png'), fullPage: true });
    expect(await page.locator('body').evaluate(styleOf, 'backgroundColor')).toBe('rgb(255, 255, 255)');
    expect(await page.locator('#verdict').evaluate(styleOf, 'printColorAdjust')).toBe('exact');
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    await page.close();
  });

  it('a list report: one row per execution with its evidence check', async () => {
    const dir = tempStateDir();
    await playScenario('contained', { stateDir: dir, source: '198.51.100.1' });
    await playScenario('notified', { stateDir: dir, source: '198.51.100.2' });
    const file = path.join(dir, 'list.html');
    expect((await audit(['--state-dir', dir, '--html', file])).code).toBe(0);
    const { page } = await open(file);
    await page.screenshot({ path: path.join(SHOTS, 'audit-list.png'), fullPage: true });
    expect(await page.locator('#executions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution')))).toEqual(['PORT_SCAN-198-51-100-1-1763805600', 'PORT_SCAN-198-51-100-2-1763805600']);
    expect(await page.locator('#executions .pill').allTextContents()).toEqual(['verified', 'verified']);
    const { meta, expected } = csp(file);
    expect(meta).toEqual([expected]);
    await page.close();
  });
});
