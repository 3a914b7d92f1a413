import type { SuppressionEntry, SuppressionStore } from '../../handlers/ports';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

export class SuppressionStoreError extends Error {
  override readonly name = 'SuppressionStoreError';
}

/**
 * A failed ConditionExpression: DynamoDB's ConditionalCheckFailedException, named as Step Functions
 * names service errors (`<Service>.<Error>`, concepts-error-handling.html). The exact prefix of the
 * optimized DynamoDB integration is unverified (docs/aws-facts.md §1); the workflow catches States.ALL.
 */
export class ConditionalCheckFailedError extends Error {
  override readonly name = 'DynamoDB.ConditionalCheckFailedException';
}

interface StoredSuppression {
  readonly entry: SuppressionEntry;
  /** Finding ids already counted in `repeats`, so a retried step does not count one twice. */
  readonly repeatFindings: string[];
}

/**
 * The suppression table (DynamoDB conditional writes on AWS) as one JSON file. `claim` writes the
 * entry only when no live entry holds the key (absent, or `expiresAt <= now`): of concurrent
 * claimers one wins and the others get the winner's entry. The winner claiming again (same finding
 * and execution: a retried step) still wins, as the AWS condition allows.
 */
export class FileSuppressionStore implements SuppressionStore {
  private readonly mutex = new KeyedMutex();

  constructor(readonly file: string) {}

  async claim(entry: SuppressionEntry, nowIso: string): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly existing: SuppressionEntry }> {
    const now = checkIso(nowIso, 'now');
    checkIso(entry.openedAt, 'entry.openedAt');
    checkIso(entry.expiresAt, 'entry.expiresAt');
    if (entry.key.length === 0) throw new SuppressionStoreError('entry.key: empty');
    return this.mutex.run('suppression', async () => {
      const all = await this.load();
      const held = all.get(entry.key);
      if (held !== undefined && Date.parse(held.entry.expiresAt) > now) {
        const sameClaimer = held.entry.findingId === entry.findingId && held.entry.executionName === entry.executionName;
        if (!sameClaimer) return { claimed: false as const, existing: held.entry };
        return { claimed: true as const };
      }
      all.set(entry.key, { entry: { ...entry }, repeatFindings: [] });
      await this.save(all);
      return { claimed: true as const };
    });
  }

  async recordRepeat(key: string, findingId: string): Promise<void> {
    await this.mutex.run('suppression', async () => {
      const all = await this.load();
      const held = all.get(key);
      if (held === undefined) throw new SuppressionStoreError(`no suppression entry for ${JSON.stringify(key)} to record finding ${findingId} on`);
      if (held.entry.findingId === findingId || held.repeatFindings.includes(findingId)) return;
      all.set(key, { entry: { ...held.entry, repeats: held.entry.repeats + 1 }, repeatFindings: [...held.repeatFindings, findingId] });
      await this.save(all);
    });
  }

  /**
   * Delete a key's entry if `executionName` holds it: what the detection workflow's ReleaseClaim
   * (DynamoDB DeleteItem, `ConditionExpression: executionName = :name`) does when an incident could
   * not be started. Held by another execution, or gone: refused, as DynamoDB refuses a failed condition.
   */
  async release(key: string, executionName: string): Promise<void> {
    await this.mutex.run('suppression', async () => {
      const all = await this.load();
      const held = all.get(key);
      if (held === undefined || held.entry.executionName !== executionName) throw new ConditionalCheckFailedError(`${key}: not held by ${executionName}`);
      all.delete(key);
      await this.save(all);
    });
  }

  /** The stored entry of a key (for tests and `flowir audit`). */
  async get(key: string): Promise<SuppressionEntry | undefined> {
    return this.mutex.run('suppression', async () => (await this.load()).get(key)?.entry);
  }

  private async save(all: Map<string, StoredSuppression>): Promise<void> {
    await writeJsonAtomic(this.file, { entries: Object.fromEntries(all) });
  }

  private async load(): Promise<Map<string, StoredSuppression>> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return new Map();
    if (!isRecord(doc) || !isRecord(doc.entries)) throw new StateFileError(this.file, 'expected {"entries": {key: {entry, repeatFindings}}}');
    const out = new Map<string, StoredSuppression>();
    for (const [key, value] of Object.entries(doc.entries)) {
      if (!isRecord(value) || !isRecord(value.entry) || typeof value.entry.expiresAt !== 'string' || typeof value.entry.repeats !== 'number' || !Array.isArray(value.repeatFindings)) {
        throw new StateFileError(this.file, `entries[${JSON.stringify(key)}]: expected {entry: {key, findingId, executionName, openedAt, expiresAt, repeats}, repeatFindings: []}`);
      }
      out.set(key, value as unknown as StoredSuppression);
    }
    return out;
  }
}

function checkIso(text: string, what: string): number {
  const t = typeof text === 'string' ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) throw new SuppressionStoreError(`${what}: expected an ISO 8601 time, got ${JSON.stringify(text)}`);
  return t;
}
