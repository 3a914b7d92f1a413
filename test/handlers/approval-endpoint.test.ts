import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import 'aws-sdk-client-mock-jest';
import { generateKeySet, rotateKeySet, retireKey } from '../../core/approval/keys';
import { signApprovalLink } from '../../core/approval/link';
import { fromFunctionUrlEvent, toFunctionUrlResult } from '../../handlers/approval-endpoint';
import { CONTENT_SECURITY_POLICY } from '../../handlers/approval-page/layout';
import { approvalWorld, HOST, tokenOf } from './mocks/approval-world';
import { evidence, finding, T0 } from './mocks/fixtures';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** Nothing reached Step Functions: no task was answered either way. */
function expectNothingSent(w: ReturnType<typeof approvalWorld>): void {
  expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
}

/** The text a person reads: tags dropped, entities decoded, whitespace collapsed. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('approval endpoint', () => {
  describe('GET', () => {
    it('shows the finding, the evidence, what each action stops and does not, and the form, and decides nothing', async () => {
      const w = approvalWorld();
      const { links, ack } = await w.request();
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint(w.get(url));

      expect(res.status).toBe(200);
      const text = visibleText(res.body);
      expect(text).toContain('Port scan from 203.0.113.50');
      expect(text).toContain('171 distinct rejected destination ports (threshold 50)');
      expect(text).toContain('342 from the source: 340 rejected, 2 accepted');
      expect(text).toContain('First seen 2025-11-22T09:02:00Z UTC');
      expect(text).toContain('10.0.1.15 200');
      expect(text).toContain('22 (SSH) 12');
      expect(text).toContain('Does not stop: SSH, RDP, SMB or any other non-HTTP traffic');
      expect(text).toContain(`You decide as ${ALICE}`);
      expect(text).toContain('60 minutes left');
      expect(res.body).toMatch(/<form method="post" action="\/approval">/);
      expect(res.body).toContain(`<input type="hidden" name="token" value="${tokenOf(url)}">`);
      expect(res.body).toContain('name="decision" value="approve"');
      expect(res.body).toContain('name="decision" value="reject"');

      expectNothingSent(w);
      expect((await w.store.get(ack.approvalId))?.decision).toBeUndefined();
    });

    it('never decides, however often a mail scanner opens the link', async () => {
      const w = approvalWorld();
      const { links, taskToken } = await w.request();
      for (let i = 0; i < 3; i++) expect((await w.endpoint(w.get(links.get(ALICE) as URL))).status).toBe(200);
      const head = await w.endpoint({ ...w.get(links.get(BOB) as URL), method: 'HEAD' });
      expect(head).toMatchObject({ status: 200, body: '' });
      expectNothingSent(w);
      expect(w.sfn.task(taskToken)?.state).toBe('waiting');
    });

    it('sends security headers: strict CSP without scripts, no caching, no framing, no referrer leaving the origin', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const res = await w.endpoint(w.get(links.get(ALICE) as URL));
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/);
      expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|script-src/);
      expect(res.headers).toMatchObject({ 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin', 'x-content-type-options': 'nosniff' });
      // No external asset: nothing is loaded from anywhere.
      expect(res.body).not.toMatch(/\s(src|href)=/);
      expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    });

    it('renders hostile text inert: a <script> in any field comes out escaped', async () => {
      const hostile = '<script>alert(1)</script>';
      const w = approvalWorld({ approvers: [`${hostile}@example.com`] });
      const ev = evidence({ securityGroups: [`sg-1 ${hostile}`], interfaces: [`eni-1"><img src=x onerror=alert(2)>`], topDestinations: [{ address: hostile, records: 3 }] });
      const { links } = await w.request(finding('203.0.113.50'), { ...ev, manifestKey: `incidents/${hostile}/manifest.json` });
      const url = [...links.values()][0] as URL;
      const res = await w.endpoint(w.get(url));

      expect(res.status).toBe(200);
      expect(res.body).not.toContain('<script>');
      expect(res.body).not.toContain('<img');
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.body).toContain('eni-1&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
      expect(visibleText(res.body)).toContain(`You decide as ${hostile}@example.com`);

      // The echoed comment on the result page is escaped too.
      const done = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve', comment: `ok ${hostile}` }));
      expect(done.status).toBe(200);
      expect(done.body).not.toContain('<script>');
      expect(visibleText(done.body)).toContain(`Comment ok ${hostile}`);
    });
  });

  describe('POST', () => {
    it('approves once: records the decision and sends it with SendTaskSuccess, approver from the signed link', async () => {
      const w = approvalWorld();
      const { links, taskToken, ack } = await w.request();
      w.clock.advance(125);
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve', comment: '  confirmed\nwith the app team  ' }));

      expect(res.status).toBe(200);
      expect(visibleText(res.body)).toContain('Approved: containment starts now');
      const decision = { decision: 'approve', approver: ALICE, at: '2025-11-22T10:07:05Z', comment: 'confirmed with the app team', sourceIp: '192.0.2.10' };
      expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(w.sfn.task(taskToken)).toEqual({ state: 'succeeded', output: decision });
      expect((await w.store.get(ack.approvalId))?.decision).toEqual(decision);
      expect(w.events.at(-1)).toEqual({ event: 'decided', status: 200, sourceIp: '192.0.2.10', decision: 'approve', approvalId: ack.approvalId, approver: ALICE });
    });

    it('rejects: the decision goes to the workflow as "reject", nothing else happens', async () => {
      const w = approvalWorld();
      const { links, taskToken } = await w.request();
      const url = links.get(BOB) as URL;
      const res = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'reject' }));
      expect(res.status).toBe(200);
      expect(visibleText(res.body)).toContain('Rejected: nothing will be blocked');
      expect(w.sfn.task(taskToken)?.output).toMatchObject({ decision: 'reject', approver: BOB, comment: null });
    });

    it('refuses a second click, a reused link and another approver after the decision, and sends nothing more', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const alice = links.get(ALICE) as URL;
      const bob = links.get(BOB) as URL;
      expect((await w.endpoint(w.post(alice, { token: tokenOf(alice), decision: 'approve' }))).status).toBe(200);

      const again = await w.endpoint(w.post(alice, { token: tokenOf(alice), decision: 'reject' }));
      expect(again.status).toBe(409);
      expect(visibleText(again.body)).toContain('This approval link was already used: "approve"');
      const other = await w.endpoint(w.post(bob, { token: tokenOf(bob), decision: 'reject' }));
      expect(other.status).toBe(409);
      expect(visibleText(other.body)).toContain(`already decided by ${ALICE}: "approve"`);
      const page = await w.endpoint(w.get(bob));
      expect(page.status).toBe(409);
      expect(page.body).not.toContain('<form');
      expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    });

    it('decides as the approver the link names, whatever the form says, and a link of one approver never decides as another', async () => {
      const w = approvalWorld();
      const { links, taskToken, ack } = await w.request();
      const alice = links.get(ALICE) as URL;
      const bob = links.get(BOB) as URL;
      // Each link opens a page for its own approver.
      expect(visibleText((await w.endpoint(w.get(alice))).body)).toContain(`You decide as ${ALICE}`);
      expect(visibleText((await w.endpoint(w.get(bob))).body)).toContain(`You decide as ${BOB}`);
      // Alice's link with fields claiming Bob (in the form and the query) still decides as Alice.
      const spoofed = w.post(new URL(`${alice.origin}${alice.pathname}?approver=${encodeURIComponent(BOB)}`), { token: tokenOf(alice), decision: 'approve', approver: BOB });
      expect((await w.endpoint(spoofed)).status).toBe(200);
      expect(w.sfn.task(taskToken)?.output).toMatchObject({ approver: ALICE });
      expect((await w.store.get(ack.approvalId))?.decision?.approver).toBe(ALICE);
      expect(w.events.at(-1)).toMatchObject({ event: 'decided', approver: ALICE });
    });

    it('treats the two approvers’ links of one incident apart: the first decision wins, the other link is told who decided', async () => {
      const w = approvalWorld();
      const { links, taskToken } = await w.request();
      const alice = links.get(ALICE) as URL;
      const bob = links.get(BOB) as URL;
      expect(tokenOf(alice)).not.toBe(tokenOf(bob));
      const first = await w.endpoint(w.post(bob, { token: tokenOf(bob), decision: 'reject', comment: 'not ours to block' }));
      expect(first.status).toBe(200);
      const late = await w.endpoint(w.post(alice, { token: tokenOf(alice), decision: 'approve' }));
      expect(late.status).toBe(409);
      expect(visibleText(late.body)).toContain(`This incident was already decided by ${BOB}: "reject" at 2025-11-22T10:05:00Z. Nothing more was sent.`);
      expect(w.sfn.task(taskToken)?.output).toMatchObject({ decision: 'reject', approver: BOB, comment: 'not ours to block' });
      expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    });

    it('refuses a genuine link issued to someone who is not an approver of this incident', async () => {
      const w = approvalWorld();
      const { ack, links } = await w.request();
      const stranger = signApprovalLink({ approvalId: ack.approvalId, incidentId: finding('203.0.113.50').id, approver: 'mallory@example.com', issuedAt: T0.getTime() / 1000, expiresAt: T0.getTime() / 1000 + 3600 }, w.keys.set);
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint(w.post(url, { token: stranger, decision: 'approve' }));
      expect(res.status).toBe(403);
      expect(visibleText(res.body)).toContain('This link does not belong to this approval. Nothing was decided.');
      expect((await w.endpoint(w.get(new URL(`${url.origin}${url.pathname}?token=${stranger}`)))).status).toBe(403);
      expectNothingSent(w);
    });

    it('lets exactly one of two simultaneous clicks through', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const alice = links.get(ALICE) as URL;
      const bob = links.get(BOB) as URL;
      const results = await Promise.all([w.endpoint(w.post(alice, { token: tokenOf(alice), decision: 'approve' })), w.endpoint(w.post(bob, { token: tokenOf(bob), decision: 'reject' }))]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(w.sfn.mock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    });

    it.each([
      ['a changed approver', (t: string) => resign(t, { approver: 'mallory@example.com' }), 403, 'not genuine'],
      ['a changed expiry', (t: string) => resign(t, { expiresAt: 1893456000 }), 403, 'not genuine'],
      ['a flipped signature character', (t: string) => t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.slice(-1), 403, 'not genuine'],
      ['a cut token', (t: string) => t.slice(0, t.lastIndexOf('.')), 400, 'damaged'],
    ])('refuses a link with %s and sends nothing', async (_what, tamper, status, words) => {
      const w = approvalWorld();
      const { links, ack } = await w.request();
      const url = links.get(ALICE) as URL;
      const forged = tamper(tokenOf(url));
      const res = await w.endpoint(w.post(url, { token: forged, decision: 'approve' }));
      expect(res.status).toBe(status);
      expect(visibleText(res.body)).toContain(words);
      expect(visibleText(res.body)).toContain('Nothing was decided');
      const page = await w.endpoint(w.get(new URL(`${url.origin}${url.pathname}?token=${encodeURIComponent(forged)}`)));
      expect(page.status).toBe(status);
      expectNothingSent(w);
      expect((await w.store.get(ack.approvalId))?.decision).toBeUndefined();
    });

    it('refuses a link signed with another key (another deployment, or a retired key) and sends nothing', async () => {
      const w = approvalWorld();
      const { links, ack } = await w.request();
      const url = links.get(ALICE) as URL;
      const foreign = signApprovalLink({ approvalId: ack.approvalId, incidentId: finding('203.0.113.50').id, approver: ALICE, issuedAt: T0.getTime() / 1000, expiresAt: T0.getTime() / 1000 + 3600 }, generateKeySet('k1'));
      expect((await w.endpoint(w.post(url, { token: foreign, decision: 'approve' }))).status).toBe(403);
      // Rotation keeps links in flight valid; retiring their key ends them.
      w.keys.set = rotateKeySet(w.keys.set, 'k2');
      expect((await w.endpoint(w.get(url))).status).toBe(200);
      w.keys.set = retireKey(w.keys.set, 'k1');
      const retired = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve' }));
      expect(retired.status).toBe(403);
      expect(visibleText(retired.body)).toContain('no longer accepted');
      expectNothingSent(w);
    });

    it('refuses an expired link from the second of expiry on, and sends nothing', async () => {
      const w = approvalWorld();
      const { links } = await w.request(finding('203.0.113.50'), evidence(), 600);
      const url = links.get(ALICE) as URL;
      w.clock.advance(599);
      expect((await w.endpoint(w.get(url))).status).toBe(200);
      w.clock.advance(1);
      const res = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve' }));
      expect(res.status).toBe(410);
      expect(visibleText(res.body)).toContain('This approval link expired at 2025-11-22T10:15:00Z');
      expectNothingSent(w);
    });

    it('refuses a genuine link of one incident used on another approval', async () => {
      const w = approvalWorld();
      const first = await w.request(finding('203.0.113.50'));
      const second = await w.request(finding('203.0.113.51'));
      const moved = signApprovalLink({ approvalId: second.ack.approvalId, incidentId: finding('203.0.113.50').id, approver: ALICE, issuedAt: T0.getTime() / 1000, expiresAt: T0.getTime() / 1000 + 3600 }, w.keys.set);
      const url = first.links.get(ALICE) as URL;
      const res = await w.endpoint(w.post(url, { token: moved, decision: 'approve' }));
      expect(res.status).toBe(403);
      expectNothingSent(w);
    });

    it.each([
      ['another origin', { origin: 'https://evil.example' }, 403],
      ['an opaque origin ("null")', { origin: 'null' }, 403],
      ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }, 403],
      ['a JSON body', { 'content-type': 'application/json' }, 415],
    ])('refuses a post from %s (CSRF) and sends nothing', async (_what, headers, status) => {
      const w = approvalWorld();
      const { links } = await w.request();
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve' }, headers));
      expect(res.status).toBe(status);
      expectNothingSent(w);
    });

    it('accepts a same-origin post and one without an Origin header', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const url = links.get(ALICE) as URL;
      const req = w.post(url, { token: tokenOf(url), decision: 'approve' });
      const { origin: _origin, ...withoutOrigin } = req.headers;
      expect((await w.endpoint({ ...req, headers: { ...withoutOrigin, Host: HOST } })).status).toBe(200);
    });

    it('requires the signed token in the body: a token only in the query decides nothing', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint({ ...w.post(url, { decision: 'approve' }), query: { token: tokenOf(url) } });
      expect(res.status).toBe(400);
      expectNothingSent(w);
    });

    it('refuses a decision other than approve or reject, and a field sent twice', async () => {
      const w = approvalWorld();
      const { links } = await w.request();
      const url = links.get(ALICE) as URL;
      expect((await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'maybe' }))).status).toBe(400);
      const twice = w.post(url, { token: tokenOf(url), decision: 'approve' });
      expect((await w.endpoint({ ...twice, body: `${twice.body}&decision=reject` })).status).toBe(400);
      expectNothingSent(w);
    });

    it('says "too late" when the workflow stopped waiting before the decision arrived', async () => {
      const w = approvalWorld();
      const { links, taskToken } = await w.request();
      w.sfn.timeOut(taskToken);
      const url = links.get(ALICE) as URL;
      const res = await w.endpoint(w.post(url, { token: tokenOf(url), decision: 'approve' }));
      expect(res.status).toBe(410);
      expect(visibleText(res.body)).toContain('Too late');
      expect(w.events.at(-1)).toMatchObject({ event: 'delivery-failed', reason: 'task-token-invalid' });
    });
  });

  it('answers other paths with 404 and other methods with 405', async () => {
    const w = approvalWorld();
    const { links } = await w.request();
    const url = links.get(ALICE) as URL;
    expect((await w.endpoint({ ...w.get(url), path: '/approval/' })).status).toBe(404);
    const put = await w.endpoint({ ...w.get(url), method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expectNothingSent(w);
  });

  describe('Lambda function URL adapter', () => {
    it('reads a base64 form body, the raw query, headers and the source address, and answers in kind', async () => {
      const w = approvalWorld();
      const { links, taskToken } = await w.request();
      const url = links.get(ALICE) as URL;
      const body = new URLSearchParams({ token: tokenOf(url), decision: 'approve' }).toString();
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: '/approval',
        rawQueryString: 'a=1&a=2',
        headers: { host: HOST, origin: `https://${HOST}`, 'content-type': 'application/x-www-form-urlencoded' },
        queryStringParameters: { a: '1,2' },
        requestContext: { http: { method: 'POST', path: '/approval', protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'test' } },
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
      } as unknown as LambdaFunctionURLEvent;
      const request = fromFunctionUrlEvent(event);
      expect(request).toMatchObject({ method: 'POST', path: '/approval', query: { a: '1' }, body, sourceIp: '198.51.100.23' });
      const result = toFunctionUrlResult(await w.endpoint(request));
      expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false, headers: { 'content-type': 'text/html; charset=utf-8' } });
      expect(w.sfn.task(taskToken)?.output).toMatchObject({ sourceIp: '198.51.100.23' });
    });
  });
});

/** Re-encode a token's claims with changes but keep its old signature (what an attacker can do). */
function resign(token: string, changes: Record<string, unknown>): string {
  const [v, kid, payload, sig] = token.split('.') as [string, string, string, string];
  const claims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>), ...changes };
  return `${v}.${kid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
}
