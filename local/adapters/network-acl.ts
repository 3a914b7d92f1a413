/**
 * EC2 network ACLs as one JSON file under the state dir, with the EC2 rules containment depends
 * on, so a run that would fail on AWS fails here too:
 * - rule numbers are whole numbers from 1 to 32766, unique per ACL and direction
 *   (NetworkAclEntryExistsError, as `NetworkAclEntryAlreadyExists`); 32767 (IPv4) and 32768 (IPv6)
 *   are the default deny rules, which cannot be created or deleted;
 * - at most `quota` rules per ACL, direction and IP version, the default deny included
 *   (NetworkAclLimitError, as `NetworkAclEntryLimitExceeded`); 20 unless raised (up to 40):
 *   Amazon VPC quotas, "Rules per network ACL", https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html;
 * - entries are created or deleted, never modified (there is no update); a CIDR is stored in its
 *   canonical form, as EC2 does ("if you specify 100.68.0.18/18, we create a rule with a
 *   100.68.0.0/18 CIDR range", https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html);
 * - deleting an entry that is not there is refused (NetworkAclEntryNotFoundError, as
 *   `InvalidNetworkAclEntry.NotFound`); an unknown ACL is NetworkAclNotFoundError
 *   (`InvalidNetworkAclID.NotFound`). Error codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 *
 * The file is seeded from a VPC layout on first use: the VPC's default ACL has EC2's default rules
 * (inbound and outbound: 100 allow all IPv4, and with IPv6 101 allow all IPv6; the deny-all rules
 * 32767 for IPv4 and 32768 for IPv6), and every subnet not given an ACL uses it
 * (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html). Other ACLs start
 * as CreateNetworkAcl makes them, with only the deny-all rules, plus the entries the layout gives.
 *
 * Every call reads, checks and writes the file under a process-wide lock on it, so concurrent
 * handlers in one run behave as concurrent EC2 callers: one of two creates of a rule number wins.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { NACL_DEFAULT_QUOTA, NACL_MAX_QUOTA, NACL_MAX_RULE_NUMBER } from '../../core/containment/network-acl';
import { CidrError, parseCidr } from '../../core/flowlog/address';
import {
  NetworkAclEntryExistsError,
  NetworkAclEntryNotFoundError,
  NetworkAclLimitError,
  NetworkAclNotFoundError,
  type NetworkAclAssociation,
  type NetworkAclEntry,
  type NetworkAclPort,
} from '../../handlers/ports/network-acl';
import { StateFileError, isRecord, readJsonIfExists, writeJsonAtomic } from './files';
import { KeyedMutex } from './mutex';

/** A request EC2 would refuse as malformed (`InvalidParameterValue`): a rule number out of range, a bad CIDR or protocol. */
export class NetworkAclRequestError extends Error {
  override readonly name = 'NetworkAclRequestError';
  readonly code = 'InvalidParameterValue';
}

/** The VPC the stand-in starts from. */
export interface VpcLayout {
  readonly vpcId: string;
  /** The VPC has an IPv6 CIDR block, so its default ACL has the IPv6 rules too (default false). */
  readonly ipv6?: boolean;
  /** The default ACL's id (default: derived from the VPC id). */
  readonly defaultNetworkAclId?: string;
  /** Subnets and the ACL each uses (default: the VPC's default ACL). */
  readonly subnets: ReadonlyArray<{ readonly subnetId: string; readonly networkAclId?: string }>;
  /** Network interfaces and their subnets. */
  readonly interfaces?: ReadonlyArray<{ readonly interfaceId: string; readonly subnetId: string }>;
  /**
   * The subnet of an interface the layout does not list (default: none, so it has no ACL, as EC2
   * describes only interfaces it knows). For local runs on flow logs alone: version 2 records do
   * not name an interface's subnet and no DescribeNetworkInterfaces answers, so the run says where
   * the interfaces it meets are.
   */
  readonly unlistedInterfacesSubnetId?: string;
  /** ACLs other than the default, with entries besides the deny-all rules (checked as CreateNetworkAclEntry would). */
  readonly networkAcls?: ReadonlyArray<{ readonly networkAclId: string; readonly entries?: readonly NetworkAclEntry[] }>;
}

/** One ACL in the file. */
export interface AclRecord {
  networkAclId: string;
  vpcId: string;
  isDefault: boolean;
  subnetIds: string[];
  entries: NetworkAclEntry[];
}

/** The file's content. */
export interface NetworkAclState {
  vpcId: string;
  networkAcls: AclRecord[];
  interfaces: Array<{ interfaceId: string; subnetId: string }>;
  /** See {@link VpcLayout.unlistedInterfacesSubnetId}. */
  unlistedInterfacesSubnetId?: string;
}

const locks = new KeyedMutex();
const DEFAULT_DENY_V4 = 32767;
const DEFAULT_DENY_V6 = 32768;

/** The default ACL id the stand-in gives a VPC: `acl-0` and 16 hex digits derived from the VPC id. */
export function defaultNetworkAclIdOf(vpcId: string): string {
  return `acl-0${createHash('sha256').update(vpcId).digest('hex').slice(0, 16)}`;
}

function denyAll(ipv6: boolean): NetworkAclEntry[] {
  const rules: NetworkAclEntry[] = [];
  for (const egress of [false, true]) {
    rules.push({ ruleNumber: DEFAULT_DENY_V4, egress, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' });
    if (ipv6) rules.push({ ruleNumber: DEFAULT_DENY_V6, egress, ruleAction: 'deny', protocol: '-1', cidr: '::/0' });
  }
  return rules;
}

function defaultRules(ipv6: boolean): NetworkAclEntry[] {
  const rules: NetworkAclEntry[] = [];
  for (const egress of [false, true]) {
    rules.push({ ruleNumber: 100, egress, ruleAction: 'allow', protocol: '-1', cidr: '0.0.0.0/0' });
    if (ipv6) rules.push({ ruleNumber: 101, egress, ruleAction: 'allow', protocol: '-1', cidr: '::/0' });
  }
  return [...rules, ...denyAll(ipv6)];
}

/** The stand-in's state for a VPC layout (exported for tests and for the run's seed step). */
export function networkAclStateFromLayout(layout: VpcLayout, quota: number = NACL_DEFAULT_QUOTA): NetworkAclState {
  const ipv6 = layout.ipv6 === true;
  const defaultId = layout.defaultNetworkAclId ?? defaultNetworkAclIdOf(layout.vpcId);
  const acls = new Map<string, AclRecord>([[defaultId, { networkAclId: defaultId, vpcId: layout.vpcId, isDefault: true, subnetIds: [], entries: defaultRules(ipv6) }]]);
  for (const a of layout.networkAcls ?? []) {
    if (acls.has(a.networkAclId)) throw new NetworkAclRequestError(`layout: network ACL ${a.networkAclId} is listed twice`);
    const record: AclRecord = { networkAclId: a.networkAclId, vpcId: layout.vpcId, isDefault: false, subnetIds: [], entries: denyAll(ipv6) };
    for (const e of a.entries ?? []) addEntry(record, e, quota);
    acls.set(a.networkAclId, record);
  }
  const subnets = new Set<string>();
  for (const s of layout.subnets) {
    if (subnets.has(s.subnetId)) throw new NetworkAclRequestError(`layout: subnet ${s.subnetId} is listed twice (a subnet has one network ACL)`);
    subnets.add(s.subnetId);
    const acl = acls.get(s.networkAclId ?? defaultId);
    if (acl === undefined) throw new NetworkAclNotFoundError(`layout: subnet ${s.subnetId} names network ACL ${String(s.networkAclId)}, which the layout does not list`);
    acl.subnetIds.push(s.subnetId);
  }
  const interfaces = (layout.interfaces ?? []).map((i) => {
    if (!subnets.has(i.subnetId)) throw new NetworkAclRequestError(`layout: interface ${i.interfaceId} is in subnet ${i.subnetId}, which the layout does not list`);
    return { interfaceId: i.interfaceId, subnetId: i.subnetId };
  });
  const unlisted = layout.unlistedInterfacesSubnetId;
  if (unlisted !== undefined && !subnets.has(unlisted)) throw new NetworkAclRequestError(`layout: unlistedInterfacesSubnetId ${unlisted} is not a subnet the layout lists`);
  return { vpcId: layout.vpcId, networkAcls: [...acls.values()], interfaces, ...(unlisted === undefined ? {} : { unlistedInterfacesSubnetId: unlisted }) };
}

function canonical(entry: NetworkAclEntry, acl: string): NetworkAclEntry {
  const where = `network ACL ${acl} rule ${String(entry.ruleNumber)}`;
  if (!Number.isInteger(entry.ruleNumber) || entry.ruleNumber < 1 || entry.ruleNumber > NACL_MAX_RULE_NUMBER) {
    throw new NetworkAclRequestError(`${where}: the rule number must be from 1 to ${NACL_MAX_RULE_NUMBER} (32767 and up are reserved)`);
  }
  if (entry.ruleAction !== 'allow' && entry.ruleAction !== 'deny') throw new NetworkAclRequestError(`${where}: RuleAction must be allow or deny`);
  if (!/^(-1|\d{1,3})$/.test(entry.protocol) || Number(entry.protocol) > 255) throw new NetworkAclRequestError(`${where}: Protocol must be -1 (all) or a protocol number 0 to 255, got ${JSON.stringify(entry.protocol)}`);
  if (!entry.cidr.includes('/')) throw new NetworkAclRequestError(`${where}: ${JSON.stringify(entry.cidr)} is not in CIDR notation`);
  let cidr;
  try {
    cidr = parseCidr(entry.cidr);
  } catch (e) {
    throw new NetworkAclRequestError(`${where}: ${e instanceof CidrError ? e.message : String(e)}`);
  }
  return { ruleNumber: entry.ruleNumber, egress: entry.egress === true, ruleAction: entry.ruleAction, protocol: entry.protocol, cidr: cidr.text };
}

function versionOf(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}

function addEntry(acl: AclRecord, raw: NetworkAclEntry, quota: number): void {
  const entry = canonical(raw, acl.networkAclId);
  if (acl.entries.some((e) => e.egress === entry.egress && e.ruleNumber === entry.ruleNumber)) {
    throw new NetworkAclEntryExistsError(`The network acl entry identified by ${entry.ruleNumber} already exists (${acl.networkAclId}, ${entry.egress ? 'egress' : 'ingress'})`);
  }
  const version = versionOf(entry.cidr);
  const count = acl.entries.filter((e) => e.egress === entry.egress && versionOf(e.cidr) === version).length;
  if (count >= quota) {
    throw new NetworkAclLimitError(`network ACL ${acl.networkAclId} already has ${count} ${entry.egress ? 'egress' : 'ingress'} IPv${version} rules, its quota of ${quota} (NetworkAclEntryLimitExceeded)`);
  }
  acl.entries.push(entry);
}

export interface FileNetworkAclOptions {
  /** Seeds the file when it does not exist yet; without it, an absent file means no ACLs. */
  readonly layout?: VpcLayout;
  /** The account's "Rules per network ACL" quota (default 20, at most 40). */
  readonly quota?: number;
}

export class FileNetworkAclPort implements NetworkAclPort {
  private readonly quota: number;

  constructor(
    readonly file: string,
    private readonly options: FileNetworkAclOptions = {},
  ) {
    this.quota = options.quota ?? NACL_DEFAULT_QUOTA;
    if (!Number.isInteger(this.quota) || this.quota < 1 || this.quota > NACL_MAX_QUOTA) throw new RangeError(`quota: expected a whole number from 1 to ${NACL_MAX_QUOTA}, got ${String(options.quota)}`);
  }

  async describe(networkAclId: string): Promise<NetworkAclEntry[]> {
    return this.locked(async (state) => {
      const acl = find(state, networkAclId);
      return { value: sortEntries(acl.entries).map((e) => ({ ...e })), write: false };
    });
  }

  async createEntry(networkAclId: string, entry: NetworkAclEntry): Promise<void> {
    await this.locked(async (state) => {
      addEntry(find(state, networkAclId), entry, this.quota);
      return { value: undefined, write: true };
    });
  }

  async deleteEntry(networkAclId: string, ruleNumber: number, egress: boolean): Promise<void> {
    await this.locked(async (state) => {
      const acl = find(state, networkAclId);
      if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > NACL_MAX_RULE_NUMBER) {
        throw new NetworkAclRequestError(`network ACL ${networkAclId}: rule number ${String(ruleNumber)} cannot be deleted (1 to ${NACL_MAX_RULE_NUMBER}; the default deny rules stay)`);
      }
      const i = acl.entries.findIndex((e) => e.egress === egress && e.ruleNumber === ruleNumber);
      if (i === -1) throw new NetworkAclEntryNotFoundError(`network ACL ${networkAclId} has no ${egress ? 'egress' : 'ingress'} entry with rule number ${ruleNumber} (InvalidNetworkAclEntry.NotFound)`);
      acl.entries.splice(i, 1);
      return { value: undefined, write: true };
    });
  }

  async aclsForInterfaces(interfaceIds: readonly string[]): Promise<NetworkAclAssociation[]> {
    return this.locked(async (state) => {
      const wanted = new Set(interfaceIds);
      const listed = new Set(state.interfaces.map((i) => i.interfaceId));
      const unlisted = state.unlistedInterfacesSubnetId;
      const known = [...state.interfaces, ...(unlisted === undefined ? [] : [...wanted].filter((id) => !listed.has(id)).map((interfaceId) => ({ interfaceId, subnetId: unlisted })))];
      const out: NetworkAclAssociation[] = [];
      for (const acl of state.networkAcls) {
        const interfaces = known.filter((i) => wanted.has(i.interfaceId) && acl.subnetIds.includes(i.subnetId));
        if (interfaces.length === 0) continue;
        out.push({
          networkAclId: acl.networkAclId,
          vpcId: acl.vpcId,
          subnetIds: [...new Set(interfaces.map((i) => i.subnetId))].sort(),
          interfaceIds: interfaces.map((i) => i.interfaceId).sort(),
        });
      }
      return { value: out.sort((a, b) => (a.networkAclId < b.networkAclId ? -1 : 1)), write: false };
    });
  }

  private locked<T>(work: (state: NetworkAclState) => Promise<{ value: T; write: boolean }>): Promise<T> {
    return locks.run(path.resolve(this.file), async () => {
      const state = await this.load();
      const { value, write } = await work(state);
      if (write) await writeJsonAtomic(this.file, state);
      return value;
    });
  }

  private async load(): Promise<NetworkAclState> {
    const doc = await readJsonIfExists(this.file);
    if (doc === undefined) {
      if (this.options.layout === undefined) return { vpcId: '', networkAcls: [], interfaces: [] };
      const seeded = networkAclStateFromLayout(this.options.layout, this.quota);
      await writeJsonAtomic(this.file, seeded);
      return seeded;
    }
    return parseState(this.file, doc);
  }
}

function find(state: NetworkAclState, networkAclId: string): AclRecord {
  const acl = state.networkAcls.find((a) => a.networkAclId === networkAclId);
  if (acl === undefined) throw new NetworkAclNotFoundError(`The networkAcl ID '${networkAclId}' does not exist (InvalidNetworkAclID.NotFound)`);
  return acl;
}

/** As EC2 lists them: per direction (ingress first), by rule number. */
function sortEntries(entries: readonly NetworkAclEntry[]): NetworkAclEntry[] {
  return [...entries].sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber);
}

function parseState(file: string, doc: unknown): NetworkAclState {
  const fail = (where: string, expected: string): never => {
    throw new StateFileError(file, `${where}: expected ${expected}`);
  };
  if (!isRecord(doc) || typeof doc.vpcId !== 'string' || !Array.isArray(doc.networkAcls) || !Array.isArray(doc.interfaces)) return fail('(top)', '{"vpcId", "networkAcls": [...], "interfaces": [...]}');
  const networkAcls = doc.networkAcls.map((raw: unknown, i: number): AclRecord => {
    const at = `networkAcls[${i}]`;
    if (!isRecord(raw) || typeof raw.networkAclId !== 'string' || typeof raw.vpcId !== 'string' || typeof raw.isDefault !== 'boolean' || !Array.isArray(raw.subnetIds) || !Array.isArray(raw.entries)) {
      return fail(at, '{networkAclId, vpcId, isDefault, subnetIds, entries}');
    }
    const entries = raw.entries.map((e: unknown, j: number): NetworkAclEntry => {
      if (!isRecord(e) || typeof e.ruleNumber !== 'number' || typeof e.egress !== 'boolean' || (e.ruleAction !== 'allow' && e.ruleAction !== 'deny') || typeof e.protocol !== 'string' || typeof e.cidr !== 'string') {
        return fail(`${at}.entries[${j}]`, '{ruleNumber, egress, ruleAction (allow or deny), protocol, cidr}');
      }
      return { ruleNumber: e.ruleNumber, egress: e.egress, ruleAction: e.ruleAction, protocol: e.protocol, cidr: e.cidr };
    });
    return { networkAclId: raw.networkAclId, vpcId: raw.vpcId, isDefault: raw.isDefault, subnetIds: raw.subnetIds.map(String), entries };
  });
  const interfaces = doc.interfaces.map((raw: unknown, i: number) => {
    if (!isRecord(raw) || typeof raw.interfaceId !== 'string' || typeof raw.subnetId !== 'string') return fail(`interfaces[${i}]`, '{interfaceId, subnetId}');
    return { interfaceId: raw.interfaceId, subnetId: raw.subnetId };
  });
  const unlisted = doc.unlistedInterfacesSubnetId;
  if (unlisted !== undefined && typeof unlisted !== 'string') return fail('unlistedInterfacesSubnetId', 'a subnet id');
  return { vpcId: doc.vpcId, networkAcls, interfaces, ...(typeof unlisted === 'string' ? { unlistedInterfacesSubnetId: unlisted } : {}) };
}
