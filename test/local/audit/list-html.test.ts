/**
 * `flowir audit --html FILE` without an execution: one self-contained page, the table of executions
 * then every execution's story, each row linking to its story within the page; and laid out for a
 * phone (375 px wide: the page never scrolls sideways, the table becomes one card per execution).
 * Structure is checked on the HTML itself, layout and links in Chromium (test/browser/launch.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { EXIT_CHECK_FAILED } from '../../../local/cli/audit-command';
import { launchBrowser } from '../../browser/launch';
import { audit } from './cli';
import { playScenario, tempStateDir } from './scenario';

const SHOTS = path.join(__dirname, '..', '..', '..', 'dist', 'test-screenshots');
let stateDir: string;
let file: string;
let html: string;
let names: string[];
let browser: Browser;

beforeAll(async () => {
  stateDir = tempStateDir();
  const played = [
    await playScenario('contained', { stateDir, source: '203.0.113.50' }),
    await playScenario('rejected', { stateDir, source: '203.0.113.51' }),
    await playScenario('guarded', { stateDir, source: '2001:db8::7' }),
    await playScenario('failed', { stateDir, source: '198.51.100.77' }),
  ];
  names = played.map((p) => p.executionName);
  file = path.join(stateDir, 'list.html');
  const r = await audit(['--state-dir', stateDir, '--html', file]);
  expect(r.code).toBe(0);
  html = readFileSync(file, 'utf8');
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Runs in the page (the test's TypeScript has no DOM types; the function is sent to the page as text, so it names nothing of this file). */
const pageWidth = (): { scroll: number; client: number } => {
  const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
  return { scroll: d.scrollWidth, client: d.clientWidth };
};

async function open(viewport: { width: number; height: number }): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  return { page, requests };
}

describe('the HTML list of executions', () => {
  it('holds every story, each row linking to its own, with no id used twice and no script', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBe(new Set(ids).size);
    for (const name of names) {
      const row = new RegExp(`<tr data-execution="${name}">.*?</tr>`).exec(html)?.[0] ?? '';
      const href = /<a href="#([^"]+)">/.exec(row)?.[1];
      expect([name, href]).toEqual([name, `story-${name}`]);
      expect(html).toContain(`<section class="story" id="story-${name}" data-execution="${name}">`);
    }
    expect(html).not.toMatch(/<script|<link |src=/i);
  });

  it('on a phone (375 px): no sideways scroll, one card per execution, and a row opens its story', async () => {
    const { page, requests } = await open({ width: 375, height: 812 });
    const width = await page.evaluate(pageWidth);
    expect(width.client).toBe(375);
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    expect(await page.locator('#executions thead').isVisible()).toBe(false);
    // Every cell says what it is, since the header row is gone.
    const labels = await page.locator('#executions tbody tr').first().locator('td').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-label')));
    expect(labels).toEqual(['started', 'outcome', 'detection', 'source', 'decision', 'blocked', 'evidence', 'execution']);
    // The first screen only: the whole page holds every story, too tall to capture reliably.
    await page.screenshot({ path: path.join(SHOTS, 'audit-list-phone.png') });

    const second = names[1] as string;
    await page.locator(`#executions tr[data-execution="${second}"] a`).click();
    expect(new URL(page.url()).hash).toBe(`#story-${second}`);
    const story = page.locator(`#story-${second}`);
    await expect(story.isVisible()).resolves.toBe(true);
    expect(await story.locator('h2.story-title').textContent()).toBe(second);
    expect(await story.locator('.card .v').first().textContent()).toBe('REJECTED');
    expect(await story.locator('ol.timeline li[data-kind="approval"]').count()).toBeGreaterThan(0);
    // Scrolled to it: its heading is at the top of the screen.
    const top = await story.evaluate((el) => (el as unknown as { getBoundingClientRect(): { top: number } }).getBoundingClientRect().top);
    expect(Math.abs(top)).toBeLessThan(5);
    await page.locator(`#story-${second} .back a`).click();
    expect(new URL(page.url()).hash).toBe('#executions');
    expect(requests.every((u) => u.startsWith(`file://${file}`))).toBe(true);
    await page.close();
  });

  it('on a desktop: a table with its header; every story laid out in full below it', async () => {
    const { page } = await open({ width: 1100, height: 900 });
    expect(await page.locator('#executions thead').isVisible()).toBe(true);
    expect(await page.locator('#executions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution')))).toEqual(names);
    expect(await page.locator('section.story').evaluateAll((ss) => ss.map((s) => s.getAttribute('data-execution')))).toEqual(names);
    expect(await page.locator('section.story .verdict').evaluateAll((vs) => vs.map((v) => v.getAttribute('data-verdict')))).toEqual(['verified', 'verified', 'verified', 'verified']);
    expect(await page.locator('section.story ol.timeline li[data-kind="outcome"] .title').allTextContents()).toEqual(['Outcome: CONTAINED', 'Outcome: REJECTED', 'Outcome: GUARDED', 'Outcome: FAILED']);
    const width = await page.evaluate(pageWidth);
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    await page.screenshot({ path: path.join(SHOTS, 'audit-list-desktop.png') });
    await page.close();
  });

  it('a record that is incomplete fails the list page too, naming the incident', async () => {
    const dir = tempStateDir();
    const s = await playScenario('contained', { stateDir: dir, source: '198.51.100.8' });
    const { rm } = await import('node:fs/promises');
    await rm(s.historyFile);
    const out = path.join(dir, 'list.html');
    expect((await audit(['--state-dir', dir, '--html', out])).code).toBe(EXIT_CHECK_FAILED);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('data-verdict="failed"');
    expect(page).toContain(`<li><code>${s.executionName}</code>: evidence, an approval and notices but no execution history`);
  });
});
