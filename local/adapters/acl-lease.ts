import * as path from 'node:path';
import { systemClock, type Clock } from '../../handlers/ports';
import type { AclLease, AclLeaseGrant } from '../../handlers/ports/network-acl';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

// One lock per lease file for the whole process: two adapter instances on one state dir share it.
const locks = new KeyedMutex();

interface Held {
  readonly owner: string;
  readonly expiresAt: string;
}

/**
 * The per-ACL lease as one JSON file (`{"leases": {"acl-0abc": {"owner", "expiresAt"}}}`), read,
 * checked and written under a process-wide lock on the file, as DynamoDB's conditional PutItem
 * (`attribute_not_exists(pk) OR expiresAt < :now`) does on AWS: of concurrent callers one takes a
 * free or expired lease, the others are told who holds it.
 */
export class FileAclLease implements AclLease {
  constructor(
    readonly file: string,
    private readonly clock: Clock = systemClock,
  ) {}

  acquire(networkAclId: string, owner: string, ttlSeconds: number): Promise<AclLeaseGrant> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds: expected a positive number, got ${String(ttlSeconds)}`);
    return locks.run(path.resolve(this.file), async () => {
      const leases = await this.load();
      const now = this.clock.now().getTime();
      const held = leases[networkAclId];
      if (held !== undefined && !(Date.parse(held.expiresAt) < now)) return { acquired: false, heldBy: held.owner, expiresAt: new Date(held.expiresAt) };
      const expiresAt = new Date(now + Math.round(ttlSeconds * 1000));
      leases[networkAclId] = { owner, expiresAt: expiresAt.toISOString() };
      await writeJsonAtomic(this.file, { leases });
      return { acquired: true, expiresAt };
    });
  }

  release(networkAclId: string, owner: string): Promise<void> {
    return locks.run(path.resolve(this.file), async () => {
      const leases = await this.load();
      if (leases[networkAclId]?.owner !== owner) return;
      delete leases[networkAclId];
      await writeJsonAtomic(this.file, { leases });
    });
  }

  private async load(): Promise<Record<string, Held>> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return {};
    if (!isRecord(doc) || !isRecord(doc.leases)) throw new StateFileError(this.file, 'expected {"leases": {"<network ACL id>": {"owner", "expiresAt"}}}');
    const out: Record<string, Held> = {};
    for (const [acl, v] of Object.entries(doc.leases)) {
      if (!isRecord(v) || typeof v.owner !== 'string' || typeof v.expiresAt !== 'string' || Number.isNaN(Date.parse(v.expiresAt))) throw new StateFileError(this.file, `leases[${JSON.stringify(acl)}]: expected {"owner", "expiresAt" (ISO 8601)}`);
      out[acl] = { owner: v.owner, expiresAt: v.expiresAt };
    }
    return out;
  }
}
