import * as path from 'node:path';
import type { ApprovalStore, PendingApproval } from '../../handlers/ports';
import type { Decision } from '../../workflows/contract';
import { StateFileError, UnsafeNameError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

/** What approvalIdFor makes: base64url, which may start with `-` (hence the file name prefix). */
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class ApprovalStoreError extends Error {
  override readonly name = 'ApprovalStoreError';
}

/** The approval does not exist (a forged or mistyped link). */
export class ApprovalNotFoundError extends Error {
  override readonly name = 'ApprovalNotFoundError';
}

/**
 * Pending approvals as JSON files `<dir>/approval-<approvalId>.json` (the prefix because an id is
 * base64url and may start with `-`). `decide` records a decision once: the
 * check and the write run under a mutex per approval, so of two clicks (or two approvers) exactly
 * one decides and the other gets false.
 */
export class FileApprovalStore implements ApprovalStore {
  private readonly mutex = new KeyedMutex();

  constructor(readonly dir: string) {}

  fileOf(approvalId: string): string {
    if (!APPROVAL_ID.test(approvalId)) throw new UnsafeNameError(`approval id ${JSON.stringify(approvalId)} is not usable as a file name (base64url: letters, digits, _ and -, 1 to 128 characters)`);
    return path.join(this.dir, `approval-${approvalId}.json`);
  }

  async save(approval: PendingApproval): Promise<void> {
    const file = this.fileOf(approval.approvalId);
    await this.mutex.run(approval.approvalId, async () => {
      const current = await this.load(file);
      if (current?.decision !== undefined) throw new ApprovalStoreError(`approval ${approval.approvalId} was already decided (${current.decision.decision} by ${current.decision.approver}); a new request needs a new id`);
      await writeJsonAtomic(file, approval);
    });
  }

  async get(approvalId: string): Promise<PendingApproval | undefined> {
    const file = this.fileOf(approvalId);
    return this.mutex.run(approvalId, () => this.load(file));
  }

  async decide(approvalId: string, decision: Decision): Promise<boolean> {
    if (decision.decision !== 'approve' && decision.decision !== 'reject') throw new ApprovalStoreError(`decision: expected "approve" or "reject", got ${JSON.stringify(decision.decision)}`);
    if (Number.isNaN(Date.parse(decision.at))) throw new ApprovalStoreError(`decision.at: expected an ISO 8601 time, got ${JSON.stringify(decision.at)}`);
    const file = this.fileOf(approvalId);
    return this.mutex.run(approvalId, async () => {
      const current = await this.load(file);
      if (current === undefined) throw new ApprovalNotFoundError(`no approval ${approvalId}`);
      if (current.decision !== undefined) return false;
      await writeJsonAtomic(file, { ...current, decision: { ...decision }, decidedAt: decision.at });
      return true;
    });
  }

  private async load(file: string): Promise<PendingApproval | undefined> {
    const doc = await readJsonIfExists(file);
    if (doc === undefined) return undefined;
    if (!isRecord(doc) || typeof doc.approvalId !== 'string' || typeof doc.taskToken !== 'string' || typeof doc.executionName !== 'string' || typeof doc.expiresAt !== 'string') {
      throw new StateFileError(file, 'expected a pending approval {approvalId, taskToken, executionName, finding, view, approvers, expiresAt, createdAt}');
    }
    if (doc.decision !== undefined && (!isRecord(doc.decision) || (doc.decision.decision !== 'approve' && doc.decision.decision !== 'reject'))) {
      throw new StateFileError(file, 'decision: expected {decision: "approve" | "reject", approver, at, comment, sourceIp}');
    }
    return doc as unknown as PendingApproval;
  }
}
