/**
 * StartIncidents: one batch of new findings (ToFindings filed it in the evidence store) → one
 * incident execution per finding, named after it. A finding ends in an incident, or, when its
 * incident cannot be started, with its suppression claim released and the batch reported failed, so
 * the detection fails (and alarms) and the next run finds it again: never a silent loss.
 *
 * StartExecution is idempotent by name for a running execution with the same input, and refuses a
 * name in use otherwise (ExecutionAlreadyExists): a retried batch starts nothing twice.
 */
import { createHash } from 'node:crypto';
import type { FindingsBatch, NewFinding, StartIncidentsInput, StartIncidentsOutput } from '../workflows/contract';
import { IncidentAlreadyStartedError, type IncidentStarterPort, type ObjectStore, type SuppressionStore } from './ports';
import { mapPooled } from './pool';
import { describe, isJsonObject, requireObject, requireString, TaskInputError } from './task-input';

export interface StartIncidentsDeps {
  readonly store: ObjectStore;
  readonly starter: IncidentStarterPort;
  readonly suppressions: Pick<SuppressionStore, 'release'>;
  /**
   * StartExecution calls at once. StartExecution is throttled by a token bucket per account and region
   * (Step Functions service quotas, "Quotas related to API action throttling"); the SDK retries a
   * throttled call with backoff.
   * @default 10
   */
  readonly concurrency?: number;
}

/** The batch object is missing, or not what ToFindings wrote (its sha256 differs). */
export class FindingsBatchError extends Error {
  override readonly name = 'FindingsBatchError';
}

export function createStartIncidentsHandler(deps: StartIncidentsDeps): (input: StartIncidentsInput) => Promise<StartIncidentsOutput> {
  return async (input) => {
    const batch = requireObject(requireObject(input, 'input').batch, 'input.batch');
    const key = requireString(batch.key, 'input.batch.key');
    const sha256 = requireString(batch.sha256, 'input.batch.sha256');
    const findings = await readBatch(deps.store, key, sha256);

    type One = { kind: 'started'; executionName: string; executionArn: string } | { kind: 'already'; executionName: string } | { kind: 'not'; executionName: string; error: string; claimReleased: boolean };
    const results = await mapPooled<NewFinding, One>(findings, deps.concurrency ?? 10, async (nf) => {
      try {
        const { executionArn } = await deps.starter.start(nf.executionName, { finding: nf.finding });
        return { kind: 'started', executionName: nf.executionName, executionArn };
      } catch (e) {
        if (e instanceof IncidentAlreadyStartedError) return { kind: 'already', executionName: nf.executionName };
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        // Only this finding's own claim is deleted: one another execution took meanwhile stays.
        const claimReleased = await deps.suppressions.release(nf.suppressionKey, nf.executionName).then(
          () => true,
          () => false,
        );
        return { kind: 'not', executionName: nf.executionName, error, claimReleased };
      }
    });
    const started = results.flatMap((r) => (r.kind === 'started' ? [{ executionName: r.executionName, executionArn: r.executionArn }] : []));
    const alreadyStarted = results.flatMap((r) => (r.kind === 'already' ? [r.executionName] : []));
    const notStarted = results.flatMap((r) => (r.kind === 'not' ? [{ executionName: r.executionName, error: r.error, claimReleased: r.claimReleased }] : []));
    return {
      batch: key,
      started,
      alreadyStarted,
      notStarted,
      counts: { started: started.length, alreadyStarted: alreadyStarted.length, notStarted: notStarted.length },
      failed: notStarted.length > 0,
    };
  };
}

async function readBatch(store: ObjectStore, key: string, sha256: string): Promise<readonly NewFinding[]> {
  const body = await store.get(key);
  if (body === undefined) throw new FindingsBatchError(`${key}: no such batch in the evidence store`);
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== sha256) throw new FindingsBatchError(`${key}: sha256 ${actual} is not the ${sha256} ToFindings recorded`);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new FindingsBatchError(`${key}: not JSON`, { cause: e });
  }
  const findings = isJsonObject(doc) ? (doc as Partial<FindingsBatch>).findings : undefined;
  if (!Array.isArray(findings)) throw new TaskInputError(`${key}.findings`, `expected the batch's new findings, got ${describe(findings)}`);
  return findings.map((nf: unknown, i) => {
    const o = requireObject(nf, `${key}.findings[${i}]`);
    requireString(o.executionName, `${key}.findings[${i}].executionName`);
    requireString(o.suppressionKey, `${key}.findings[${i}].suppressionKey`);
    requireObject(o.finding, `${key}.findings[${i}].finding`);
    return o as unknown as NewFinding;
  });
}
