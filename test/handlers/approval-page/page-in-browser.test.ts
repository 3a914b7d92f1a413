/**
 * The approval page in a real browser (the packaged Chromium through playwright-core) on a phone-sized
 * screen: the stylesheet admitted by the CSP hash applies, nothing is refused by the CSP, nothing
 * scrolls sideways, the buttons are thumb-sized, the form posts back and decides; and a form on
 * another origin that posts a (stolen) token is refused by the browser-sent Origin.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { HttpRequest, HttpResponse } from '../../../handlers/approval-endpoint';
import { startApprovalServer, type ApprovalServer } from '../../../local/approval/server';
import { approvalWorld, tokenOf } from '../mocks/approval-world';
import { finding } from '../mocks/fixtures';
import { launchBrowser } from '../../browser/launch';

let browser: Browser;
let server: ApprovalServer;
let serve: (request: HttpRequest) => Promise<HttpResponse> = async () => ({ status: 503, headers: {}, body: '' });

beforeAll(async () => {
  server = await startApprovalServer((request) => serve(request));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('approval page in Chromium', () => {
  it('works on a phone: styled under the strict CSP, no sideways scrolling, big buttons, and the form decides', async () => {
    const w = approvalWorld({ baseUrl: server.baseUrl });
    serve = w.endpoint;
    const { links, taskToken } = await w.request(finding('2001:db8:ffff:ffff:ffff:ffff:ffff:fffe', 'SUSPICIOUS_PORT_ACCESS'));
    const url = links.get('alice@example.com') as URL;

    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url.href);

    expect(await page.locator('h1').innerText()).toContain('2001:db8:ffff:ffff:ffff:ffff:ffff:fffe');
    // Evaluated in the page (as text: this project compiles without the DOM types).
    const layout = (await page.evaluate(`(() => {
      const approve = document.querySelector('button.approve');
      const box = approve.getBoundingClientRect();
      return { scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth, background: getComputedStyle(approve).backgroundColor, height: box.height, width: box.width };
    })()`)) as { scrollWidth: number; viewport: number; background: string; height: number; width: number };
    expect(problems).toEqual([]);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.viewport);
    // The green of the stylesheet: it applied, so the CSP hash matches it.
    expect(layout.background).toBe('rgb(26, 127, 55)');
    expect(layout.height).toBeGreaterThanOrEqual(44);
    expect(layout.width).toBeGreaterThan(layout.viewport / 2);

    await page.fill('textarea[name=comment]', 'Seen from the phone');
    await Promise.all([page.waitForLoadState('load'), page.tap('button.approve')]);
    await page.waitForSelector('h1.ok');
    expect(await page.locator('h1').innerText()).toBe('Approved: containment starts now');
    expect(problems).toEqual([]);
    expect(w.sfn.task(taskToken)).toMatchObject({ state: 'succeeded', output: { decision: 'approve', approver: 'alice@example.com', comment: 'Seen from the phone', sourceIp: expect.stringMatching(/127\.0\.0\.1$/) } });
    await context.close();
  });

  it('refuses a form posted from another origin, even with a valid token, and sends nothing', async () => {
    const w = approvalWorld({ baseUrl: server.baseUrl });
    serve = w.endpoint;
    const { links, taskToken } = await w.request();
    const url = links.get('bob@example.com') as URL;

    // The attacker's page, on another origin (localhost is not 127.0.0.1 to a browser), auto-submits the form.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="post" action="${url.origin}${url.pathname}"><input name="token" value="${tokenOf(url)}"><input name="decision" value="approve"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const page = await browser.newPage();
      const response = page.waitForResponse((r) => r.url().startsWith(`${url.origin}${url.pathname}`) && r.request().method() === 'POST');
      await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      expect((await response).status()).toBe(403);
      await page.close();
    } finally {
      attacker.closeAllConnections();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
    expect(w.sfn.task(taskToken)?.state).toBe('waiting');
    expect(w.events.at(-1)).toMatchObject({ event: 'refused', reason: expect.stringMatching(/^cross-(site|origin)$/) });
  });
});
