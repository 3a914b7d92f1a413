/**
 * The local approval server's answer to a genuine link whose approval no longer waits in this run.
 *
 * The endpoint (the same handler as on Lambda) knows an approval only from the store: decided,
 * expired by its clock, or pending. Locally the store outlives the run that asked (it is a folder
 * in the state dir), so an undecided approval may belong to a task that timed out a moment before
 * the stored expiry, to a run that was interrupted, or to an earlier run of the same state dir. The
 * endpoint would show that link a decision form whose answer can only bounce off a dead task token;
 * this guard shows instead, before any form, that the approval is closed and why (HTTP 410).
 */
import { verifyApprovalLink } from '../../core/approval/link';
import type { HttpRequest, HttpResponse } from '../../handlers/approval-endpoint';
import { SECURITY_HEADERS } from '../../handlers/approval-page/layout';
import { renderResultPage, type ResultPageModel } from '../../handlers/approval-page/render';
import { APPROVAL_PATH, toKeySet } from '../../handlers/request-approval';
import type { ApprovalStore, Clock, PendingApproval, SigningKeyProvider } from '../../handlers/ports';
import type { TokenState } from '../adapters/task-callbacks';

export interface ClosedApprovalDeps {
  readonly store: ApprovalStore;
  readonly keys: SigningKeyProvider;
  readonly clock: Clock;
  /** Where this run's task behind a token stands. */
  readonly tokenState: (taskToken: string) => TokenState;
  /** @default {@link APPROVAL_PATH} */
  readonly path?: string;
}

type Handler = (request: HttpRequest) => Promise<HttpResponse>;

/** Wrap the approval endpoint: links of approvals this run no longer waits for get a "closed" page; everything else goes to the endpoint. */
export function refuseClosedApprovals(endpoint: Handler, deps: ClosedApprovalDeps): Handler {
  const path = deps.path ?? APPROVAL_PATH;
  return async (request) => {
    const closed = request.path === path ? await closedApproval(request, deps) : null;
    if (closed === null) return endpoint(request);
    const state = deps.tokenState(closed.taskToken);
    return { status: 410, headers: { ...SECURITY_HEADERS }, body: request.method.toUpperCase() === 'HEAD' ? '' : renderResultPage(closedPage(closed, state)) };
  };
}

/**
 * The approval behind a genuine, unexpired link when it is undecided and its task no longer waits;
 * null in every other case (the endpoint then answers, refusals included).
 */
async function closedApproval(request: HttpRequest, deps: ClosedApprovalDeps): Promise<PendingApproval | null> {
  const token = linkToken(request);
  if (token === null) return null;
  const verified = verifyApprovalLink(token, toKeySet(await deps.keys.keys()), Math.floor(deps.clock.now().getTime() / 1000));
  if (!verified.ok) return null;
  const approval = await deps.store.get(verified.claims.approvalId);
  if (approval === undefined || approval.decision !== undefined) return null;
  if (approval.finding.id !== verified.claims.incidentId || !approval.approvers.includes(verified.claims.approver)) return null;
  const state = deps.tokenState(approval.taskToken);
  // Waiting: the endpoint shows the form. Answered: the store has the decision an instant later, and the endpoint says so.
  return state === 'waiting' || state === 'answered' ? null : approval;
}

/** The link token of a page view (query) or a decision (form body); null when there is none or it is ambiguous. */
function linkToken(request: HttpRequest): string | null {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return request.query.token ?? null;
  if (method !== 'POST') return null;
  const type = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (type.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') return null;
  const tokens = new URLSearchParams(request.body).getAll('token');
  return tokens.length === 1 ? (tokens[0] ?? null) : null;
}

function closedPage(a: PendingApproval, state: TokenState): ResultPageModel {
  const what = `${a.finding.detection} from ${a.finding.source}${a.finding.port !== null ? ` to port ${a.finding.port}` : ''}`;
  const details: Array<readonly [string, string]> = [
    ['Incident', what],
    ['Finding', a.finding.id],
    ['Execution', a.executionName],
    ['Asked at', a.createdAt],
  ];
  const nothing = 'This link cannot decide anything any more, and nothing was decided now.';
  switch (state) {
    case 'expired':
      return {
        title: 'Too late: the time to decide is over',
        message: `Nobody decided before the approval timed out, so nothing was blocked and the incident was escalated. ${nothing}`,
        tone: 'warning',
        details: [...details, ['Time to decide ended', a.expiresAt]],
      };
    case 'closed':
      return { title: 'This approval is closed', message: `The run that asked for it stopped before anyone decided (it was interrupted or has ended), so nothing was blocked. ${nothing}`, tone: 'warning', details };
    default:
      return {
        title: 'This approval is closed',
        message: `It was asked for by an earlier run of flowir on this state dir, which has ended: no incident waits for it now. ${nothing}`,
        tone: 'warning',
        details,
      };
  }
}
