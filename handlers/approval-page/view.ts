import type { ContainmentProposal } from '../../core/containment/actions';
import type { EvidenceOutput, PolicyOutput } from '../../workflows/contract';
import { readEvidence, readObject, readWholeNumber, TaskInputError } from '../containment/task-input';

/**
 * What the approval page shows beyond the finding, stored with the pending approval
 * (`PendingApproval.view`) when the approval is requested, so the page needs no other lookup.
 */
export interface ApprovalView {
  readonly evidence: EvidenceOutput;
  readonly proposal: {
    readonly actions: ReadonlyArray<{ readonly title: string; readonly does: string; readonly stops: readonly string[]; readonly doesNotStop: readonly string[]; readonly undo: string }>;
    readonly gaps: readonly string[];
    readonly blockDurationSeconds: number;
  };
  readonly guard: PolicyOutput['guard'];
}

export function approvalView(evidence: EvidenceOutput, proposal: ContainmentProposal, guard: PolicyOutput['guard']): ApprovalView {
  return {
    evidence,
    proposal: {
      actions: proposal.actions.map((a) => ({ title: a.title, does: a.does, stops: [...a.stops], doesNotStop: [...a.doesNotStop], undo: a.undo })),
      gaps: [...proposal.gaps],
      blockDurationSeconds: proposal.blockDurationSeconds,
    },
    guard,
  };
}

/** Read a stored view back, checking every field the page renders (a bad one is an error naming it, never a broken page). */
export function readApprovalView(doc: unknown, where = 'view'): ApprovalView {
  const v = readObject(doc, where);
  const evidence = readEvidence(v.evidence, `${where}.evidence`);
  const p = readObject(v.proposal, `${where}.proposal`);
  const texts = (value: unknown, at: string): string[] => {
    if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) throw new TaskInputError(at, 'expected a list of text');
    return value as string[];
  };
  const text = (value: unknown, at: string): string => {
    if (typeof value !== 'string') throw new TaskInputError(at, 'expected text');
    return value;
  };
  if (!Array.isArray(p.actions)) throw new TaskInputError(`${where}.proposal.actions`, 'expected a list');
  const actions = p.actions.map((item: unknown, i) => {
    const at = `${where}.proposal.actions[${i}]`;
    const a = readObject(item, at);
    return { title: text(a.title, `${at}.title`), does: text(a.does, `${at}.does`), stops: texts(a.stops, `${at}.stops`), doesNotStop: texts(a.doesNotStop, `${at}.doesNotStop`), undo: text(a.undo, `${at}.undo`) };
  });
  const g = readObject(v.guard, `${where}.guard`);
  if (typeof g.allowed !== 'boolean') throw new TaskInputError(`${where}.guard.allowed`, 'expected true or false');
  const nullableText = (value: unknown, at: string): string | null => (value === null ? null : text(value, at));
  return {
    evidence,
    proposal: { actions, gaps: texts(p.gaps, `${where}.proposal.gaps`), blockDurationSeconds: readWholeNumber(p.blockDurationSeconds, `${where}.proposal.blockDurationSeconds`, 1, Number.MAX_SAFE_INTEGER) },
    guard: { allowed: g.allowed, guardrail: nullableText(g.guardrail, `${where}.guard.guardrail`), reason: nullableText(g.reason, `${where}.guard.reason`) },
  };
}
