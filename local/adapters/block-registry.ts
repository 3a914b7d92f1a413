import { systemClock, type BlockRecord, type BlockRegistry, type Clock } from '../../handlers/ports';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

/** A block as stored: removed blocks stay, marked, so that "blocks placed in the last hour" still counts them. */
interface StoredBlock extends BlockRecord {
  readonly removedAt?: string;
}

export class BlockRecordError extends Error {
  override readonly name = 'BlockRecordError';
}

/**
 * The block registry (a DynamoDB table on AWS) as one JSON file, keyed by (cidr, executionName).
 * `put` of the same key replaces the record (a retried step writes it again); `remove` keeps the
 * record with `removedAt` (from the given clock: the simulated one in `flowir run`) so that
 * `countSince` sees every block placed, released or not.
 */
export class FileBlockRegistry implements BlockRegistry {
  private readonly mutex = new KeyedMutex();

  constructor(
    readonly file: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async put(block: BlockRecord): Promise<void> {
    checkIso(block.blockedAt, 'blockedAt');
    checkIso(block.expiresAt, 'expiresAt');
    await this.change((blocks) => [...blocks.filter((b) => !sameKey(b, block)), { ...block }]);
  }

  async byExecution(executionName: string): Promise<BlockRecord[]> {
    return (await this.live()).filter((b) => b.executionName === executionName);
  }

  async byCidr(cidr: string): Promise<BlockRecord[]> {
    return (await this.live()).filter((b) => b.cidr === cidr);
  }

  async expired(nowIso: string): Promise<BlockRecord[]> {
    const now = checkIso(nowIso, 'now');
    return (await this.live()).filter((b) => Date.parse(b.expiresAt) <= now);
  }

  async remove(cidr: string, executionName: string): Promise<void> {
    const at = this.clock.now().toISOString();
    await this.change((blocks) => blocks.map((b) => (b.cidr === cidr && b.executionName === executionName && b.removedAt === undefined ? { ...b, removedAt: at } : b)));
  }

  async countSince(sinceIso: string): Promise<number> {
    const since = checkIso(sinceIso, 'since');
    return (await this.mutex.run('blocks', () => this.load())).filter((b) => Date.parse(b.blockedAt) >= since).length;
  }

  private async live(): Promise<BlockRecord[]> {
    const all = await this.mutex.run('blocks', () => this.load());
    return all.filter((b) => b.removedAt === undefined).map(({ removedAt: _removed, ...record }) => record);
  }

  private async change(edit: (blocks: StoredBlock[]) => StoredBlock[]): Promise<void> {
    await this.mutex.run('blocks', async () => {
      const next = edit(await this.load());
      await writeJsonAtomic(this.file, { blocks: next });
    });
  }

  private async load(): Promise<StoredBlock[]> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return [];
    if (!isRecord(doc) || !Array.isArray(doc.blocks)) throw new StateFileError(this.file, 'expected {"blocks": [...]}');
    return doc.blocks.map((b, i) => {
      if (!isRecord(b) || typeof b.cidr !== 'string' || typeof b.executionName !== 'string' || typeof b.blockedAt !== 'string' || typeof b.expiresAt !== 'string' || !isRecord(b.ipSet)) {
        throw new StateFileError(this.file, `blocks[${i}]: expected {cidr, ipSet, executionName, findingId, blockedAt, expiresAt}`);
      }
      return b as unknown as StoredBlock;
    });
  }
}

function sameKey(a: BlockRecord, b: BlockRecord): boolean {
  return a.cidr === b.cidr && a.executionName === b.executionName;
}

function checkIso(text: string, what: string): number {
  const t = Date.parse(text);
  if (typeof text !== 'string' || Number.isNaN(t)) throw new BlockRecordError(`${what}: expected an ISO 8601 time, got ${JSON.stringify(text)}`);
  return t;
}
