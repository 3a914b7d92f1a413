import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { consumeApproval, type ApprovalUseRecord } from '../core/approval/consume';
import { DecisionError, makeDecision, type ApprovalDecision } from '../core/approval/decision';
import { verifyApprovalLink, type ApprovalClaims, type ApprovalRefusal } from '../core/approval/link';
import { parseAddress } from '../core/flowlog/address';
import { renderApprovalPage, renderResultPage, type ResultPageModel } from './approval-page/render';
import { SECURITY_HEADERS } from './approval-page/layout';
import { readApprovalView } from './approval-page/view';
import { APPROVAL_PATH, toKeySet } from './request-approval';
import { TaskTokenInvalidError, type ApprovalStore, type Clock, type PendingApproval, type SigningKeyProvider, type TaskCallbackPort } from './ports';

/** An HTTP request as any server sees it (Lambda function URL, node:http). Header names in any case. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as text (already base64-decoded). */
  readonly body: string;
  readonly sourceIp: string | null;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the endpoint did, for the audit log (never the task token or the link token). */
export interface ApprovalEvent {
  readonly event: 'page-shown' | 'decided' | 'refused' | 'delivery-failed';
  readonly status: number;
  readonly approvalId?: string;
  readonly approver?: string;
  readonly decision?: string;
  readonly reason?: string;
  readonly sourceIp: string | null;
}

export interface ApprovalEndpointDeps {
  readonly store: ApprovalStore;
  readonly callback: TaskCallbackPort;
  readonly keys: SigningKeyProvider;
  readonly clock: Clock;
  /** @default {@link APPROVAL_PATH} */
  readonly path?: string;
  /** Origins a form may post from besides the request's own host (e.g. a custom domain in front of the function URL). */
  readonly allowedOrigins?: readonly string[];
  readonly log?: (event: ApprovalEvent) => void;
}

/** Form bodies are a token, a decision and a comment of at most 1,000 characters: far below this. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * The approval endpoint. GET shows the page and never decides (mail scanners open links). Only a
 * POST decides, and only with the signed link token in its body, from this origin (or with no
 * Origin header): a forged, altered, expired, foreign or reused link, or a second click, gets a
 * page that says so, and nothing is sent to Step Functions. A decision is written once
 * (conditional update) and then sent with SendTaskSuccess, carrying the approver from the signed
 * link, the time, the comment and the client's address.
 */
export function createApprovalEndpoint(deps: ApprovalEndpointDeps): (request: HttpRequest) => Promise<HttpResponse> {
  const path = deps.path ?? APPROVAL_PATH;
  const allowedOrigins = new Set((deps.allowedOrigins ?? []).map((o) => new URL(o).origin));
  const log = deps.log ?? (() => undefined);

  return async (request) => {
    const method = request.method.toUpperCase();
    const headers = lowerCaseKeys(request.headers);
    const sourceIp = request.sourceIp !== null && parseAddress(request.sourceIp) !== undefined ? request.sourceIp : null;
    const refused = (status: number, reason: string, model: ResultPageModel, extra: Partial<ApprovalEvent> = {}): HttpResponse => {
      log({ event: 'refused', status, reason, sourceIp, ...extra });
      return respond(status, renderResultPage(model), method);
    };

    if (request.path !== path) {
      return refused(404, 'not-found', { title: 'Page not found', message: 'Open the approval link exactly as it was sent to you.', tone: 'warning' });
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      const response = refused(405, 'method', { title: 'Method not allowed', message: 'Open the approval link in a browser.', tone: 'warning' });
      return { ...response, headers: { ...response.headers, allow: 'GET, HEAD, POST' } };
    }

    const now = Math.floor(deps.clock.now().getTime() / 1000);
    let token: string | undefined;
    let form: URLSearchParams | undefined;
    if (method === 'POST') {
      const problem = postProblem(headers, request.body, allowedOrigins);
      if (problem !== undefined) return refused(problem.status, problem.reason, { title: problem.title, message: `${problem.message} Nothing was decided.`, tone: 'critical' });
      form = new URLSearchParams(request.body);
      for (const field of ['token', 'decision', 'comment']) {
        if (form.getAll(field).length > 1) return refused(400, 'duplicate-field', { title: 'Request refused', message: `The form sent "${field}" twice. Nothing was decided.`, tone: 'critical' });
      }
      token = form.get('token') ?? undefined;
    } else {
      token = request.query.token;
    }
    if (token === undefined || token === '') {
      return refused(400, 'no-token', { title: 'Approval link incomplete', message: 'This page needs the approval link from your message, complete. Nothing was decided.', tone: 'warning' });
    }

    const verified = verifyApprovalLink(token, toKeySet(await deps.keys.keys()), now);
    if (!verified.ok) return refused(refusalStatus(verified.refusal), verified.refusal.reason, refusalPage(verified.refusal));
    const claims = verified.claims;
    const who = { approvalId: claims.approvalId, approver: claims.approver };

    const approval = await deps.store.get(claims.approvalId);
    if (approval === undefined) {
      return refused(404, 'unknown-approval', { title: 'Approval not found', message: 'This approval no longer exists: it ended long ago, or the link belongs to another deployment. Nothing was decided.', tone: 'warning' }, who);
    }
    if (approval.finding.id !== claims.incidentId || !approval.approvers.includes(claims.approver)) {
      return refused(403, 'foreign-link', { title: 'Link refused', message: 'This link does not belong to this approval. Nothing was decided.', tone: 'critical' }, who);
    }
    if (approval.decision !== undefined) {
      const refusal = alreadyDecided(approval, claims);
      return refused(409, refusal.reason, refusalPage(refusal), who);
    }
    const approvalExpiry = Math.floor(Date.parse(approval.expiresAt) / 1000);
    if (!(now < approvalExpiry)) {
      return refused(410, 'expired', { title: 'Approval expired', message: `This approval expired at ${approval.expiresAt}. Nothing was decided; the incident was escalated instead.`, tone: 'warning' }, who);
    }

    if (method !== 'POST' || form === undefined) {
      const view = readApprovalView(approval.view);
      log({ event: 'page-shown', status: 200, sourceIp, ...who });
      const body = renderApprovalPage({ finding: approval.finding, executionName: approval.executionName, approver: claims.approver, expiresAt: Math.min(claims.expiresAt, approvalExpiry), now, view, token, formAction: path });
      return respond(200, body, method);
    }

    let decision: ApprovalDecision;
    try {
      decision = makeDecision({ decision: form.get('decision') ?? undefined, comment: form.get('comment') ?? undefined }, { approver: claims.approver, now, sourceIp });
    } catch (e) {
      if (!(e instanceof DecisionError)) throw e;
      return refused(400, 'bad-decision', { title: 'Request refused', message: `${e.message}. Choose Approve or Reject on the approval page. Nothing was decided.`, tone: 'critical' }, who);
    }
    const first = consumeApproval(null, claims, decision, now);
    if (!first.ok) return refused(409, first.refusal.reason, refusalPage(first.refusal), who);

    if (!(await deps.store.decide(claims.approvalId, decision))) {
      const latest = await deps.store.get(claims.approvalId);
      const refusal = latest === undefined ? { reason: 'already-decided' as const, message: 'This approval was already decided. Nothing more was sent.' } : alreadyDecided(latest, claims);
      return refused(409, refusal.reason, refusalPage(refusal), who);
    }

    try {
      await deps.callback.succeed(approval.taskToken, decision);
    } catch (e) {
      if (e instanceof TaskTokenInvalidError) {
        log({ event: 'delivery-failed', status: 410, reason: 'task-token-invalid', sourceIp, decision: decision.decision, ...who });
        return respond(
          410,
          renderResultPage({ title: 'Too late: the incident no longer waits', message: 'The workflow stopped waiting for a decision (it timed out or was stopped) before yours arrived. Your decision is recorded here but changed nothing.', tone: 'warning' }),
          method,
        );
      }
      log({ event: 'delivery-failed', status: 502, reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e), sourceIp, decision: decision.decision, ...who });
      return respond(
        502,
        renderResultPage({ title: 'Decision not delivered', message: 'Your decision was recorded, but it could not be delivered to the incident workflow. Tell the on-call responder; opening the link again will not resend it.', tone: 'critical' }),
        method,
      );
    }

    log({ event: 'decided', status: 200, sourceIp, decision: decision.decision, ...who });
    const approved = decision.decision === 'approve';
    return respond(
      200,
      renderResultPage({
        title: approved ? 'Approved: containment starts now' : 'Rejected: nothing will be blocked',
        message: approved ? `The source ${approval.finding.source} will be blocked as proposed. You will not need to do anything else.` : `The source ${approval.finding.source} will not be blocked. The incident is recorded as rejected.`,
        tone: approved ? 'ok' : 'warning',
        details: [
          ['Decided by', decision.approver],
          ['At', `${decision.at}`],
          ['Comment', decision.comment ?? '(none)'],
          ['From address', decision.sourceIp ?? '(unknown)'],
        ],
      }),
      method,
    );
  };
}

/** The Lambda function URL event as a framework-neutral request. */
export function fromFunctionUrlEvent(event: LambdaFunctionURLEvent): HttpRequest {
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const query: Record<string, string> = {};
  // From the raw query: the parsed one joins repeated parameters with commas.
  for (const [k, v] of new URLSearchParams(event.rawQueryString ?? '')) if (!(k in query)) query[k] = v;
  const headers: Record<string, string | undefined> = { ...event.headers };
  if (event.cookies !== undefined) headers.cookie = event.cookies.join('; ');
  return { method: event.requestContext.http.method, path: event.rawPath, query, headers, body, sourceIp: event.requestContext.http.sourceIp ?? null };
}

export function toFunctionUrlResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body, isBase64Encoded: false };
}

/** Why a POST cannot be a genuine form submission from the approval page; undefined when it can. */
function postProblem(headers: Readonly<Record<string, string | undefined>>, body: string, allowedOrigins: ReadonlySet<string>): { status: number; reason: string; title: string; message: string } | undefined {
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { status: 415, reason: 'content-type', title: 'Request refused', message: 'Decisions are sent by the form on the approval page.' };
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return { status: 413, reason: 'body-too-large', title: 'Request refused', message: 'The form sent more than a decision and a comment.' };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, reason: 'cross-site', title: 'Request refused', message: 'Decisions are accepted only from the approval page itself.' };
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = origin === 'null' ? undefined : new URL(origin);
  } catch {
    parsed = undefined;
  }
  const host = headers.host;
  if (parsed !== undefined && ((host !== undefined && parsed.host === host.toLowerCase()) || allowedOrigins.has(parsed.origin))) return undefined;
  return { status: 403, reason: 'cross-origin', title: 'Request refused', message: 'Decisions are accepted only from the approval page itself.' };
}

/** The refusal for a link whose approval is already decided: same approver means the same link used again. */
function alreadyDecided(approval: PendingApproval, claims: ApprovalClaims): ApprovalRefusal {
  const d = approval.decision;
  if (d === undefined) return { reason: 'already-decided', message: 'This approval was already decided. Nothing more was sent.' };
  const usedAt = Math.floor(Date.parse(d.at) / 1000);
  // One link per approver, and the store keeps no nonce: the approver's own earlier decision counts as this link's.
  const stored: ApprovalUseRecord = { approvalId: claims.approvalId, nonce: d.approver === claims.approver ? claims.nonce : '', approver: d.approver, decision: d.decision, usedAt, expiresAt: claims.expiresAt };
  const result = consumeApproval(stored, claims, { ...d }, usedAt);
  return result.ok ? { reason: 'already-decided', message: 'This approval was already decided. Nothing more was sent.' } : result.refusal;
}

function refusalStatus(r: ApprovalRefusal): number {
  switch (r.reason) {
    case 'malformed':
      return 400;
    case 'expired':
      return 410;
    case 'already-used':
    case 'already-decided':
      return 409;
    case 'forged':
    case 'unknown-key':
      return 403;
  }
}

function refusalPage(r: ApprovalRefusal): ResultPageModel {
  const titles: Record<ApprovalRefusal['reason'], string> = {
    malformed: 'Approval link damaged',
    'unknown-key': 'Approval link no longer accepted',
    forged: 'Approval link not genuine',
    expired: 'Approval link expired',
    'already-used': 'Already decided',
    'already-decided': 'Already decided',
  };
  const tone = r.reason === 'forged' || r.reason === 'malformed' ? 'critical' : 'warning';
  // Every refusal says plainly that nothing happened, whatever core/approval's wording.
  const message = /Nothing (more )?was (decided|sent)/.test(r.message) ? r.message : `${r.message} Nothing was decided.`;
  return { title: titles[r.reason], message, tone };
}

function respond(status: number, body: string, method: string): HttpResponse {
  return { status, headers: { ...SECURITY_HEADERS }, body: method === 'HEAD' ? '' : body };
}

function lowerCaseKeys(headers: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
