import { createHash } from 'node:crypto';
import { proposeContainment } from '../core/containment/actions';
import type { DetectionId } from '../core/detection/rules';
import type { ApprovalKeySet } from '../core/approval/keys';
import { signApprovalLink } from '../core/approval/link';
import { INCIDENT_CONFIG_LIMITS } from '../core/policy/incident-config';
import type { ApprovalRequestInput, PolicyOutput } from '../workflows/contract';
import { approvalView } from './approval-page/view';
import { readEvidence, readExecutionName, readFinding, readObject, readString, readWholeNumber, TaskInputError } from './containment/task-input';
import { durationText, evidenceLines, findingTitle, isoSeconds, measureText, windowText } from './containment/wording';
import type { ApprovalStore, Clock, NotifierPort, SigningKeyProvider } from './ports';

/** The page path the approval endpoint serves; links are `<base URL><path>?token=...`. */
export const APPROVAL_PATH = '/approval';
/** SendTaskSuccess accepts task tokens up to this length. */
const MAX_TASK_TOKEN_CHARS = 2048;

export interface RequestApprovalDeps {
  readonly store: ApprovalStore;
  readonly notifier: NotifierPort;
  readonly keys: SigningKeyProvider;
  readonly clock: Clock;
  /** Who may decide: each gets their own signed link. Checked by {@link checkApprovers}. */
  readonly approvers: readonly string[];
  /** Where the approval endpoint answers, e.g. the Lambda function URL or `http://127.0.0.1:8080`. Checked by {@link checkBaseUrl}. */
  readonly baseUrl: string;
  /**
   * Accept plain http on any host, for `flowir run --host` on a local network (which warns that the
   * pages are then reachable by anyone there). Never on Lambda, whose function URL is https.
   * @default false
   */
  readonly allowPlainHttp?: boolean;
  /** Detections whose containment adds a network ACL deny (the page says what each action stops). */
  readonly networkAclDeny: readonly DetectionId[];
}

/** The step's result; Step Functions does not use it (the task waits for its token), but it is logged. */
export interface RequestApprovalAck {
  readonly approvalId: string;
  readonly approvers: number;
  readonly expiresAt: string;
  /** The link-free summary on the critical topic. */
  readonly messageId: string;
  /** Each approver's own notice on the approval topic, in the order of the approvers. */
  readonly approverMessageIds: readonly string[];
}

/** The approval was asked for a block a guardrail already refuses (the workflow should not get here). */
export class ApprovalRequestError extends Error {
  override readonly name = 'ApprovalRequestError';
}

/** Configuration that cannot work (no approver, a bad base URL), found before any approval is asked for. */
export class ApprovalConfigError extends Error {
  override readonly name = 'ApprovalConfigError';
}

/**
 * The `RequestApproval` step (`.waitForTaskToken`): keep the task token server-side under an
 * approval id, sign one link per approver (approval id, incident, approver, expiry; never the
 * token), and send each approver, in a notice of their own on the approval topic, the finding, the
 * evidence, what containment would and would not stop, and their link only: a link decides as the
 * approver it names, so no one may receive another's. The critical topic gets the same account
 * without links. The decision comes back through the approval endpoint.
 *
 * The approval id is derived from the task token, so a retried invocation stores the same approval
 * (first one kept) instead of opening a second that could be decided differently.
 */
export function createRequestApprovalHandler(deps: RequestApprovalDeps): (input: ApprovalRequestInput) => Promise<RequestApprovalAck> {
  const approvers = checkApprovers(deps.approvers);
  const baseUrl = checkBaseUrl(deps.baseUrl, { allowPlainHttp: deps.allowPlainHttp === true });
  return async (raw) => {
    const input = readObject(raw, 'input');
    const taskToken = readString(input.taskToken, 'taskToken', { maxLength: MAX_TASK_TOKEN_CHARS });
    const executionName = readExecutionName(input.executionName);
    const { doc: finding } = readFinding(input.finding);
    const evidence = readEvidence(input.evidence);
    const policy = readPolicy(input.policy);
    if (!policy.guard.allowed) throw new ApprovalRequestError(`guardrail ${policy.guard.guardrail ?? '?'} already refuses to block ${finding.source}: ${policy.guard.reason ?? ''}; no approval requested`);

    const now = deps.clock.now();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + policy.approvalTimeoutSeconds;
    const approvalId = approvalIdFor(taskToken);
    const proposal = proposeContainment(finding, { networkAclDeny: deps.networkAclDeny, blockDurationSeconds: policy.blockSeconds });
    await deps.store.save({
      approvalId,
      taskToken,
      executionName,
      finding,
      view: approvalView(evidence, proposal, policy.guard) as unknown as Record<string, unknown>,
      approvers,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      createdAt: now.toISOString(),
    });

    const keySet = toKeySet(await deps.keys.keys());
    const title = findingTitle(finding);
    const about = [
      `Measured:   ${measureText(finding)}`,
      `Window:     ${windowText(finding.window)}`,
      `Finding:    ${finding.id}`,
      `Execution:  ${executionName}`,
      '',
      'Evidence:',
      ...evidenceLines(evidence).map((l) => `  ${l}`),
      '',
      `Proposed containment, for ${durationText(policy.blockSeconds)}:`,
      ...proposal.actions.flatMap((a) => [`  - ${a.title}.`, `    Stops: ${a.stops.length > 0 ? a.stops.join('; ') : 'nothing by itself'}.`, `    Does not stop: ${a.doesNotStop.join('; ')}.`]),
      ...proposal.gaps.map((g) => `  Note: ${g}`),
    ];
    const common = { approvalId, executionName, finding, expiresAt: isoSeconds(expiresAt) };

    // A link decides as the approver it names, so it goes to that approver alone: one notice each,
    // on the approval topic, where only the subscription filtered on their address receives it.
    const approverMessageIds: string[] = [];
    for (const approver of approvers) {
      const url = `${baseUrl}${APPROVAL_PATH}?token=${signApprovalLink({ approvalId, incidentId: finding.id, approver, issuedAt, expiresAt }, keySet)}`;
      const text = [
        `flowir proposes to contain: ${title}.`,
        `Please approve or reject before ${isoSeconds(expiresAt)} (${durationText(policy.approvalTimeoutSeconds)}). Without a decision nothing is blocked and the incident is escalated.`,
        '',
        ...about,
        '',
        `Your decision link, ${approver} (it opens a page that shows the evidence and asks you to confirm; nothing is decided by opening it). It is yours alone: whoever uses it decides as you, so do not forward it.`,
        `  ${url}`,
        '',
      ].join('\n');
      const { messageId } = await deps.notifier.publish({
        topic: 'approval',
        approver,
        subject: `[flowir] APPROVAL NEEDED: ${title}`,
        text,
        data: { kind: 'approval', ...common, links: [{ approver, url }] },
      });
      approverMessageIds.push(messageId);
    }

    // Everyone on the critical topic learns that a decision is asked for, and from whom; no link.
    const { messageId } = await deps.notifier.publish({
      topic: 'critical',
      subject: `[flowir] Approval requested: ${title}`,
      text: [
        `flowir proposes to contain: ${title}, and asked ${approvers.join(', ')} to approve or reject before ${isoSeconds(expiresAt)} (${durationText(policy.approvalTimeoutSeconds)}). Without a decision nothing is blocked and the incident is escalated.`,
        'Each approver received their own decision link in a separate message; links are not sent to this topic.',
        '',
        ...about,
        '',
      ].join('\n'),
      data: { kind: 'approval-requested', ...common, approvers },
    });
    return { approvalId, approvers: approvers.length, expiresAt: isoSeconds(expiresAt), messageId, approverMessageIds };
  };
}

/** Opaque, stable for a task token, and reveals nothing of it. */
export function approvalIdFor(taskToken: string): string {
  return createHash('sha256').update(`flowir-approval\n${taskToken}`, 'utf8').digest('base64url').slice(0, 32);
}

/** The provider's keys as core/approval's key set. */
export function toKeySet(keys: Awaited<ReturnType<SigningKeyProvider['keys']>>): ApprovalKeySet {
  const map = new Map<string, Uint8Array>(keys.all.map((k) => [k.id, k.secret]));
  map.set(keys.current.id, keys.current.secret);
  return { currentKeyId: keys.current.id, keys: map };
}

/** At least one approver; names (usually e-mail addresses) of 1 to 256 characters without control characters, each once (ignoring case). */
export function checkApprovers(approvers: readonly string[]): string[] {
  const list = approvers.map((a) => a.trim());
  if (list.length === 0) throw new ApprovalConfigError('no approvers configured: nobody could approve a containment');
  for (const a of list) {
    if (a.length === 0 || a.length > 256 || /[\p{Cc}\p{Cf}]/u.test(a)) throw new ApprovalConfigError(`approver ${JSON.stringify(a)}: expected 1 to 256 characters without control characters`);
  }
  // Case-insensitively: an address in two spellings is one mailbox, which would get two links, each deciding as someone else.
  if (new Set(list.map((a) => a.toLowerCase())).size !== list.length) throw new ApprovalConfigError(`approvers list someone twice: ${list.join(', ')}`);
  return list;
}

/** An https URL (http only for loopback, the local runtime) without query or fragment; returned without a trailing slash. */
export function checkBaseUrl(text: string, options: { readonly allowPlainHttp?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApprovalConfigError(`approval base URL ${JSON.stringify(text)} is not a URL`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (loopback || options.allowPlainHttp === true))) throw new ApprovalConfigError(`approval base URL ${text}: links must use https (http only on 127.0.0.1 or localhost)`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new ApprovalConfigError(`approval base URL ${text}: no query, fragment or credentials`);
  return url.href.replace(/\/+$/, '');
}

function readPolicy(doc: unknown): PolicyOutput {
  const p = readObject(doc, 'policy');
  const g = readObject(p.guard, 'policy.guard');
  if (typeof g.allowed !== 'boolean') throw new TaskInputError('policy.guard.allowed', 'expected true or false');
  const t = INCIDENT_CONFIG_LIMITS.approvalTimeoutSeconds;
  const b = INCIDENT_CONFIG_LIMITS.blockDurationSeconds;
  return {
    policy: p.policy as PolicyOutput['policy'],
    guard: { allowed: g.allowed, guardrail: typeof g.guardrail === 'string' ? g.guardrail : null, reason: typeof g.reason === 'string' ? g.reason : null },
    approvalTimeoutSeconds: readWholeNumber(p.approvalTimeoutSeconds, 'policy.approvalTimeoutSeconds', t.min, t.max),
    blockSeconds: readWholeNumber(p.blockSeconds, 'policy.blockSeconds', b.min, b.max),
  };
}
