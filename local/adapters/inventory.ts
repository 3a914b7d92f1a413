import type { InterfaceInfo, NetworkInventory } from '../../handlers/ports';
import { StateFileError, isRecord, isStringArray, readJsonIfExists } from './files';

/** Where the inventory's answers come from, for the evidence and the approval page to say. */
export interface InventorySource {
  readonly kind: 'file' | 'records';
  readonly note: string;
}

/**
 * The network inventory (EC2 DescribeNetworkInterfaces / DescribeSecurityGroups on AWS) from an
 * optional JSON file:
 * `{"interfaces": [{"interfaceId", "privateAddresses": [], "securityGroups": [{"id", "name", "inboundRules": []}]}]}`.
 * Interfaces the file does not list are left out, as EC2 describes only interfaces it knows.
 * Without the file, each interface id asked about (taken from the flow records) is returned with
 * no addresses and no security groups, and {@link source} says so.
 */
export class FileNetworkInventory implements NetworkInventory {
  constructor(readonly file: string) {}

  async interfaces(interfaceIds: readonly string[]): Promise<InterfaceInfo[]> {
    const known = await this.load();
    const ids = [...new Set(interfaceIds)];
    if (known === undefined) return ids.map((interfaceId) => ({ interfaceId, privateAddresses: [], securityGroups: [] }));
    return ids.flatMap((id) => {
      const info = known.get(id);
      return info === undefined ? [] : [info];
    });
  }

  async source(): Promise<InventorySource> {
    const known = await this.load();
    return known === undefined
      ? { kind: 'records', note: `no network inventory at ${this.file}: interfaces are the interface-ids of the flow records; their security groups are unknown` }
      : { kind: 'file', note: `network inventory from ${this.file} (${known.size} interfaces)` };
  }

  private async load(): Promise<Map<string, InterfaceInfo> | undefined> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) return undefined;
    const fail = (where: string, expected: string): never => {
      throw new StateFileError(this.file, `${where}: expected ${expected}`);
    };
    if (!isRecord(doc) || !Array.isArray(doc.interfaces)) return fail('interfaces', 'an array of {interfaceId, privateAddresses, securityGroups}');
    const out = new Map<string, InterfaceInfo>();
    doc.interfaces.forEach((raw: unknown, i: number) => {
      const at = `interfaces[${i}]`;
      if (!isRecord(raw)) return fail(at, 'an object');
      if (typeof raw.interfaceId !== 'string' || raw.interfaceId.length === 0) return fail(`${at}.interfaceId`, 'a non-empty string (eni-...)');
      const privateAddresses = raw.privateAddresses ?? [];
      if (!isStringArray(privateAddresses)) return fail(`${at}.privateAddresses`, 'an array of strings');
      const groups = raw.securityGroups ?? [];
      if (!Array.isArray(groups)) return fail(`${at}.securityGroups`, 'an array of {id, name, inboundRules}');
      const securityGroups = groups.map((g: unknown, j: number) => {
        const gat = `${at}.securityGroups[${j}]`;
        if (!isRecord(g) || typeof g.id !== 'string') return fail(`${gat}.id`, 'a string (sg-...)');
        const inboundRules = g.inboundRules ?? [];
        if (!isStringArray(inboundRules)) return fail(`${gat}.inboundRules`, 'an array of strings');
        return { id: g.id, name: typeof g.name === 'string' ? g.name : g.id, inboundRules };
      });
      if (out.has(raw.interfaceId)) return fail(`${at}.interfaceId`, `a unique id (${raw.interfaceId} appears twice)`);
      out.set(raw.interfaceId, { interfaceId: raw.interfaceId, privateAddresses, securityGroups });
    });
    return out;
  }
}
