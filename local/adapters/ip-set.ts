import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { WAF_IP_SET_LIMIT } from '../../core/containment/ip-set';
import { CidrError, parseAddress, parseCidr } from '../../core/flowlog/address';
import { IpSetLimitError, StaleLockTokenError, type IpSetPort, type IpSetRef, type IpSetSnapshot } from '../../handlers/ports';
import { StateFileError, UnsafeNameError, field, isRecord, isString, isStringArray, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

/** An address WAF would refuse (WAFInvalidParameterException): not a CIDR, the other IP version, /0, host bits set. */
export class InvalidIpSetAddressError extends Error {
  override readonly name = 'InvalidIpSetAddressError';
}

/** The file of one local IP set. */
export interface IpSetFile {
  readonly name: string;
  readonly id: string;
  readonly scope: IpSetRef['scope'];
  readonly version: 4 | 6;
  readonly addresses: string[];
  readonly lockToken: string;
}

const WAF_NAME = /^[\w-]{1,128}$/;

/**
 * WAF IP sets as JSON files `<dir>/<name>.json`, with WAF's rules: `update` replaces the whole list
 * and needs the lock token of the last read; every update (even with the same list) issues a new
 * token; a stale token is refused with StaleLockTokenError; more than 10,000 addresses with
 * IpSetLimitError; an address that is not a CIDR of the set's IP version with InvalidIpSetAddressError.
 * The compare-and-set runs under a mutex per set, so concurrent updates in this process behave as
 * WAF's: one wins, the others see a stale token. A set that has no file yet is empty.
 */
export class FileIpSetPort implements IpSetPort {
  private readonly mutex = new KeyedMutex();

  constructor(
    readonly dir: string,
    private readonly limit: number = WAF_IP_SET_LIMIT,
  ) {}

  fileOf(set: IpSetRef): string {
    if (!WAF_NAME.test(set.name)) throw new UnsafeNameError(`IP set name ${JSON.stringify(set.name)} is not a WAF name (1 to 128 of A-Z a-z 0-9 _ -)`);
    return path.join(this.dir, `${set.name}.json`);
  }

  async get(set: IpSetRef): Promise<IpSetSnapshot> {
    return this.mutex.run(set.name, async () => {
      const current = await this.load(set);
      return { addresses: [...current.addresses], lockToken: current.lockToken };
    });
  }

  async update(set: IpSetRef, addresses: readonly string[], lockToken: string): Promise<void> {
    checkAddresses(addresses, set.version, this.limit, set.name);
    await this.mutex.run(set.name, async () => {
      const current = await this.load(set);
      if (current.lockToken !== lockToken) {
        throw new StaleLockTokenError(`IP set ${set.name}: lock token ${lockToken} is stale (another update came first); read the set again`);
      }
      const next: IpSetFile = { ...current, addresses: [...addresses], lockToken: randomUUID() };
      await writeJsonAtomic(this.fileOf(set), next);
    });
  }

  /** Read the set's file, creating an empty set on first use. Runs under the set's mutex. */
  private async load(set: IpSetRef): Promise<IpSetFile> {
    const file = this.fileOf(set);
    const doc = await readJsonIfExists(file);
    if (doc === undefined) {
      const created: IpSetFile = { name: set.name, id: set.id, scope: set.scope, version: set.version, addresses: [], lockToken: randomUUID() };
      await writeJsonAtomic(file, created);
      return created;
    }
    if (!isRecord(doc)) throw new StateFileError(file, 'expected a JSON object {addresses, lockToken}');
    const addresses = field(file, doc, 'addresses', isStringArray, 'an array of CIDR strings');
    const lockToken = field(file, doc, 'lockToken', isString, 'a string');
    const version = doc.version ?? set.version;
    if (version !== set.version) throw new StateFileError(file, `holds an IPv${String(version)} set, but ${set.name} is used as IPv${set.version}`);
    return { name: set.name, id: set.id, scope: set.scope, version: set.version, addresses, lockToken };
  }
}

function checkAddresses(addresses: readonly string[], version: 4 | 6, limit: number, setName: string): void {
  if (addresses.length > limit) {
    throw new IpSetLimitError(`IP set ${setName}: ${addresses.length} addresses exceed the limit of ${limit}`);
  }
  addresses.forEach((text, i) => {
    const where = `IP set ${setName}: addresses[${i}] ${JSON.stringify(text)}`;
    const slash = text.indexOf('/');
    if (slash === -1) throw new InvalidIpSetAddressError(`${where} has no prefix length (WAF needs CIDR notation, e.g. /32 or /128)`);
    let cidr;
    try {
      cidr = parseCidr(text);
    } catch (e) {
      throw new InvalidIpSetAddressError(`${where} is not a CIDR${e instanceof CidrError ? ` (${e.message})` : ''}`);
    }
    if (cidr.version !== version) throw new InvalidIpSetAddressError(`${where} is IPv${cidr.version}, but the set holds IPv${version} addresses`);
    if (cidr.prefix === 0) throw new InvalidIpSetAddressError(`${where}: WAF does not accept /0`);
    const address = parseAddress(text.slice(0, slash));
    if (address === undefined || address.value !== cidr.network) throw new InvalidIpSetAddressError(`${where} has host bits set (the network is ${cidr.text})`);
  });
}
