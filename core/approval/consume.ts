import type { ApprovalDecision, DecisionKind } from './decision';
import type { ApprovalClaims, ApprovalRefusal } from './link';

/**
 * The store's record of a decided approval, keyed by `approvalId`: one decision per approval,
 * whichever decision-maker's link made it. Keep it until `expiresAt` (the links' expiry; use it as the TTL).
 */
export interface ApprovalUseRecord {
  readonly approvalId: string;
  readonly nonce: string;
  readonly approver: string;
  readonly decision: DecisionKind;
  readonly usedAt: number;
  readonly expiresAt: number;
}

export type ConsumeResult =
  | { readonly ok: true; readonly record: ApprovalUseRecord }
  | { readonly ok: false; readonly refusal: ApprovalRefusal & { readonly decidedBy: string; readonly decision: DecisionKind; readonly decidedAt: number } };

export class ConsumeError extends Error {
  override readonly name = 'ConsumeError';
}

/**
 * Decide whether a verified link may be used now, given what the store holds for its approval.
 * On `ok`, write the record with a condition that none exists yet (a conditional put); if that
 * write fails, read it back and call this again: the refusal then says who decided first.
 * Only after the write succeeds is the decision sent to Step Functions.
 */
export function consumeApproval(stored: ApprovalUseRecord | null | undefined, claims: ApprovalClaims, decision: ApprovalDecision, now: number): ConsumeResult {
  if (stored != null) {
    if (stored.approvalId !== claims.approvalId) throw new ConsumeError(`stored record is for approval "${stored.approvalId}", not "${claims.approvalId}"`);
    const when = new Date(stored.usedAt * 1000).toISOString().replace('.000Z', 'Z');
    const sameLink = stored.nonce === claims.nonce;
    return {
      ok: false,
      refusal: {
        reason: sameLink ? 'already-used' : 'already-decided',
        message: sameLink
          ? `This approval link was already used: "${stored.decision}" at ${when}. Nothing more was sent.`
          : `This incident was already decided by ${stored.approver}: "${stored.decision}" at ${when}. Nothing more was sent.`,
        decidedBy: stored.approver,
        decision: stored.decision,
        decidedAt: stored.usedAt,
      },
    };
  }
  if (decision.approver !== claims.approver) throw new ConsumeError(`the decision is by "${decision.approver}" but the link was issued to "${claims.approver}"`);
  return { ok: true, record: { approvalId: claims.approvalId, nonce: claims.nonce, approver: claims.approver, decision: decision.decision, usedAt: now, expiresAt: claims.expiresAt } };
}
