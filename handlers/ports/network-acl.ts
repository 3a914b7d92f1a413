/**
 * Ports for network ACL containment: the ACLs themselves (EC2 on AWS, a JSON file locally), a
 * lease that serializes flowir's writers per ACL, and the registry of the entries flowir placed.
 *
 * EC2 calls behind {@link NetworkAclPort} (EC2 API Reference):
 * - DescribeNetworkAcls (filters `network-acl-id`, `association.subnet-id`; NextToken paging),
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkAcls.html
 * - CreateNetworkAclEntry, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html
 * - DeleteNetworkAclEntry (NetworkAclId, RuleNumber, Egress, all required),
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNetworkAclEntry.html
 * - DescribeNetworkInterfaces (SubnetId of each interface),
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html
 * Error codes (EC2 API Reference, Error codes,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): NetworkAclEntryAlreadyExists,
 * NetworkAclEntryLimitExceeded, InvalidNetworkAclEntry.NotFound, InvalidNetworkAclID.NotFound.
 * EC2 models none of them; SDK v3 raises them as EC2ServiceException with `name` set to the code.
 */
import type { NetworkAclEntry } from '../../core/containment/network-acl';

export type { NetworkAclEntry, NetworkAclOwnedEntry } from '../../core/containment/network-acl';

/** The rule number is taken in that direction (EC2 `NetworkAclEntryAlreadyExists`). */
export class NetworkAclEntryExistsError extends Error {
  override readonly name = 'NetworkAclEntryExistsError';
}

/** The ACL holds its quota of rules for that direction and IP version (EC2 `NetworkAclEntryLimitExceeded`). */
export class NetworkAclLimitError extends Error {
  override readonly name = 'NetworkAclLimitError';
}

/** No entry with that rule number and direction (EC2 `InvalidNetworkAclEntry.NotFound`). */
export class NetworkAclEntryNotFoundError extends Error {
  override readonly name = 'NetworkAclEntryNotFoundError';
}

/** No such network ACL (EC2 `InvalidNetworkAclID.NotFound`). */
export class NetworkAclNotFoundError extends Error {
  override readonly name = 'NetworkAclNotFoundError';
}

/** A network ACL and the subnets (of the interfaces asked about) associated with it. */
export interface NetworkAclAssociation {
  readonly networkAclId: string;
  readonly vpcId: string | null;
  /** Subnets of the interfaces asked about that use this ACL, sorted. */
  readonly subnetIds: readonly string[];
  /** The interfaces asked about in those subnets, sorted. */
  readonly interfaceIds: readonly string[];
}

/**
 * Network ACL entries, as EC2 keeps them: entries are created or deleted, never modified; a rule
 * number is unique per ACL and direction; the quota is per direction and IP version.
 */
export interface NetworkAclPort {
  /** Every entry of the ACL, both directions. Throws NetworkAclNotFoundError. */
  describe(networkAclId: string): Promise<NetworkAclEntry[]>;
  /** Create one entry (`cidr` goes in CidrBlock or Ipv6CidrBlock by its version). Throws NetworkAclEntryExistsError, NetworkAclLimitError, NetworkAclNotFoundError. */
  createEntry(networkAclId: string, entry: NetworkAclEntry): Promise<void>;
  /** Delete the entry with this number in this direction. Throws NetworkAclEntryNotFoundError, NetworkAclNotFoundError. */
  deleteEntry(networkAclId: string, ruleNumber: number, egress: boolean): Promise<void>;
  /**
   * The ACLs associated with the subnets of these interfaces (DescribeNetworkInterfaces → SubnetId →
   * DescribeNetworkAcls filtered on `association.subnet-id`), sorted by id. Interfaces that no longer
   * exist are simply absent, as they are from the inventory.
   */
  aclsForInterfaces(interfaceIds: readonly string[]): Promise<NetworkAclAssociation[]>;
}

export type AclLeaseGrant = { readonly acquired: true; readonly expiresAt: Date } | { readonly acquired: false; readonly heldBy: string | null; readonly expiresAt: Date | null };

/**
 * One writer per network ACL at a time. Network ACL entries have no lock token, so flowir's
 * read-plan-create runs under a lease: DynamoDB conditional PutItem on AWS, a file behind a
 * process-wide mutex locally. A lease ends at release or `ttlSeconds` after it was taken, so a
 * holder that died frees the ACL by itself. EC2 still refuses a taken rule number and a full ACL,
 * so a holder that overran its lease costs a retry, not a duplicate or a quota overrun.
 */
export interface AclLease {
  /** Take the ACL's lease for `owner` (unique per attempt) if it is free or expired. Never waits. */
  acquire(networkAclId: string, owner: string, ttlSeconds: number): Promise<AclLeaseGrant>;
  /** Give the lease back if `owner` still holds it; otherwise nothing. */
  release(networkAclId: string, owner: string): Promise<void>;
}

/** One execution's hold on a flowir deny entry: the registry's record of it. */
export interface NetworkAclHolding {
  readonly networkAclId: string;
  readonly ruleNumber: number;
  readonly cidr: string;
  readonly executionName: string;
  /** When the block ends (ISO 8601). */
  readonly expiresAt: string;
}

/**
 * Where flowir records the entries it placed (the block registry, once wired): one record per
 * (ACL, CIDR, execution), so two incidents on one source share one entry and it is deleted when the
 * last one ends. The updater reads and writes it under the ACL's lease, so the next holder sees
 * every entry the last one made.
 */
export interface NetworkAclLedger {
  /** Every holding on this ACL, whichever execution made it. */
  holdings(networkAclId: string): Promise<readonly NetworkAclHolding[]>;
  /** Insert or replace the holding of (networkAclId, cidr, executionName). */
  record(holding: NetworkAclHolding): Promise<void>;
  /** Remove the holding of (networkAclId, cidr, executionName); absent is fine. */
  forget(networkAclId: string, cidr: string, executionName: string): Promise<void>;
}

/**
 * The ledger as the block registry keeps it: besides the updater's per-ACL reads, every holding,
 * for the release of an execution's entries and the sweeper's expiry (a handful of items: at most
 * the ACL quota per ACL).
 */
export interface NetworkAclHoldings extends NetworkAclLedger {
  /** Every holding on every ACL. */
  all(): Promise<readonly NetworkAclHolding[]>;
}
