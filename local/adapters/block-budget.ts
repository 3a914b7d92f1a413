import * as path from 'node:path';
import { budgetHour, type BlockBudget } from '../../handlers/ports';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

// One lock per counter file for the whole process: two adapter instances on one state dir share it.
const locks = new KeyedMutex();

/**
 * The hourly block cap as one JSON file (`{"hours": {"2026-12-04T21": 3}}`), read, checked and
 * written under a process-wide lock on the file, as DynamoDB's conditional UpdateItem does on AWS.
 */
export class FileBlockBudget implements BlockBudget {
  constructor(readonly file: string) {}

  take(at: Date, max: number): ReturnType<BlockBudget['take']> {
    return locks.run(path.resolve(this.file), async () => {
      const hours = await this.load();
      const hour = budgetHour(at);
      const used = hours[hour] ?? 0;
      if (used >= max) return { taken: false, used };
      hours[hour] = used + 1;
      await writeJsonAtomic(this.file, { hours });
      return { taken: true, used: used + 1 };
    });
  }

  private async load(): Promise<Record<string, number>> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return {};
    if (!isRecord(doc) || !isRecord(doc.hours)) throw new StateFileError(this.file, 'expected {"hours": {"<yyyy-mm-ddThh>": count}}');
    const out: Record<string, number> = {};
    for (const [hour, n] of Object.entries(doc.hours)) {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(hour) || typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new StateFileError(this.file, `hours[${JSON.stringify(hour)}]: expected a count for a yyyy-mm-ddThh hour`);
      out[hour] = n;
    }
    return out;
  }
}
