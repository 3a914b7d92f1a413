import * as path from 'node:path';
import { parseCidr } from '../../core/flowlog/address';
import type { NetworkAclHolding, NetworkAclHoldings } from '../../handlers/ports/network-acl';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

// One lock per ledger file for the whole process: two adapter instances on one state dir share it.
const locks = new KeyedMutex();

/**
 * flowir's network ACL ledger (the block registry's `#nacl-ledger` partition on AWS) as one JSON
 * file, `{"holdings": [{networkAclId, ruleNumber, cidr, executionName, expiresAt}]}`, one holding
 * per (ACL, CIDR, execution), read and written under a process-wide lock on the file.
 */
export class FileNetworkAclLedger implements NetworkAclHoldings {
  constructor(readonly file: string) {}

  async holdings(networkAclId: string): Promise<readonly NetworkAclHolding[]> {
    return (await this.locked(async (all) => ({ value: all, write: false }))).filter((h) => h.networkAclId === networkAclId);
  }

  all(): Promise<readonly NetworkAclHolding[]> {
    return this.locked(async (all) => ({ value: all, write: false }));
  }

  async record(holding: NetworkAclHolding): Promise<void> {
    const h: NetworkAclHolding = { ...holding, cidr: parseCidr(holding.cidr).text, expiresAt: new Date(Date.parse(holding.expiresAt)).toISOString() };
    await this.locked(async (all) => ({ value: undefined, write: true, next: [...all.filter((o) => !same(o, h.networkAclId, h.cidr, h.executionName)), h] }));
  }

  async forget(networkAclId: string, cidr: string, executionName: string): Promise<void> {
    const c = parseCidr(cidr).text;
    await this.locked(async (all) => ({ value: undefined, write: all.some((o) => same(o, networkAclId, c, executionName)), next: all.filter((o) => !same(o, networkAclId, c, executionName)) }));
  }

  private locked<T>(work: (all: NetworkAclHolding[]) => Promise<{ value: T; write: boolean; next?: NetworkAclHolding[] }>): Promise<T> {
    return locks.run(path.resolve(this.file), async () => {
      const all = await this.load();
      const { value, write, next } = await work(all);
      if (write) await writeJsonAtomic(this.file, { holdings: next ?? all });
      return value;
    });
  }

  private async load(): Promise<NetworkAclHolding[]> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return [];
    if (!isRecord(doc) || !Array.isArray(doc.holdings)) throw new StateFileError(this.file, 'expected {"holdings": [...]}');
    return doc.holdings.map((h: unknown, i: number): NetworkAclHolding => {
      if (!isRecord(h) || typeof h.networkAclId !== 'string' || typeof h.ruleNumber !== 'number' || typeof h.cidr !== 'string' || typeof h.executionName !== 'string' || typeof h.expiresAt !== 'string' || Number.isNaN(Date.parse(h.expiresAt))) {
        throw new StateFileError(this.file, `holdings[${i}]: expected {networkAclId, ruleNumber, cidr, executionName, expiresAt (ISO 8601)}`);
      }
      return { networkAclId: h.networkAclId, ruleNumber: h.ruleNumber, cidr: h.cidr, executionName: h.executionName, expiresAt: h.expiresAt };
    });
  }
}

function same(h: NetworkAclHolding, networkAclId: string, cidr: string, executionName: string): boolean {
  return h.networkAclId === networkAclId && h.cidr === cidr && h.executionName === executionName;
}
