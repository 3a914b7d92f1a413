/**
 * Local stand-ins for every handler port, backed by files under the state dir (`./.flowir` by
 * default), so the handlers run unchanged in `flowir run`.
 */
import { FlowLogFormat } from '../../core/flowlog/format';
import { SAMPLE_VPC } from '../../core/sample/generate';
import type { AclLease, NetworkAclHoldings, NetworkAclPort } from '../../handlers/ports/network-acl';
import { FileAclLease } from './acl-lease';
import { FileNetworkAclLedger } from './acl-ledger';
import { FileNetworkAclPort, type VpcLayout } from './network-acl';
import type { ApprovalStore, BlockBudget, BlockRegistry, FlowRecordSource, IpSetPort, NetworkInventory, NotifierPort, ObjectStore, SigningKeyProvider, SuppressionStore, TicketPort } from '../../handlers/ports';
import { FileApprovalStore } from './approval-store';
import { FileBlockBudget } from './block-budget';
import { FileBlockRegistry } from './block-registry';
import { SimulatedClock } from './clock';
import { InputFlowRecordSource } from './flow-records';
import { FileNetworkInventory } from './inventory';
import { FileIpSetPort } from './ip-set';
import { FileObjectStore } from './object-store';
import { OutboxNotifier } from './outbox';
import { FileSigningKeyProvider } from './signing-keys';
import { StateDir } from './state-dir';
import { FileSuppressionStore } from './suppression-store';
import { LocalTaskCallbacks } from './task-callbacks';
import { FileTicketPort } from './tickets';

export * from './acl-lease';
export * from './acl-ledger';
export * from './approval-store';
export * from './block-budget';
export * from './block-registry';
export * from './state-lock';
export * from './clock';
export * from './files';
export * from './flow-records';
export * from './inventory';
export * from './ip-set';
export * from './mutex';
export * from './network-acl';
export * from './object-store';
export * from './outbox';
export * from './signing-keys';
export * from './state-dir';
export * from './suppression-store';
export * from './task-callbacks';
export * from './tickets';

export interface LocalAdapterOptions {
  /** The state dir (default `./.flowir`). */
  readonly stateDir?: string;
  /** The flow-log inputs given to `flowir run` (for the evidence records). */
  readonly inputs: readonly string[];
  /** Layout of input lines before any header (the config's format). */
  readonly defaultFormat?: FlowLogFormat;
  /** Shared by every adapter that stamps times; a new simulated clock by default. */
  readonly clock?: SimulatedClock;
  /** The VPC the network ACL stand-in is seeded from on first use (default {@link sampleVpcLayout}). */
  readonly vpcLayout?: VpcLayout;
}

/**
 * The sample's VPC (core/sample): three subnets on the VPC's default network ACL, with EC2's
 * default rules. Version 2 flow logs do not name an interface's subnet and a local run has no
 * DescribeNetworkInterfaces, so an interface the layout does not list is taken to be in the first
 * subnet; every subnet uses the default ACL, so which one does not change the ACL denied in.
 */
export function sampleVpcLayout(): VpcLayout {
  return { vpcId: SAMPLE_VPC.vpcId, ipv6: SAMPLE_VPC.ipv6, subnets: SAMPLE_VPC.subnets.map((subnetId) => ({ subnetId })), unlistedInterfacesSubnetId: SAMPLE_VPC.subnets[0] };
}

/** One instance of each local port over one state dir, sharing one simulated clock. */
export interface LocalAdapters {
  readonly stateDir: StateDir;
  readonly clock: SimulatedClock;
  readonly evidence: ObjectStore & FileObjectStore;
  readonly ipSets: IpSetPort & FileIpSetPort;
  readonly blocks: BlockRegistry & FileBlockRegistry;
  readonly budget: BlockBudget & FileBlockBudget;
  readonly suppression: SuppressionStore & FileSuppressionStore;
  readonly approvals: ApprovalStore & FileApprovalStore;
  readonly tickets: TicketPort & FileTicketPort;
  readonly notifier: NotifierPort & OutboxNotifier;
  readonly taskCallbacks: LocalTaskCallbacks;
  readonly flowRecords: FlowRecordSource & InputFlowRecordSource;
  readonly inventory: NetworkInventory & FileNetworkInventory;
  readonly signingKeys: SigningKeyProvider & FileSigningKeyProvider;
  readonly networkAcls: NetworkAclPort & FileNetworkAclPort;
  readonly aclLease: AclLease & FileAclLease;
  readonly aclLedger: NetworkAclHoldings & FileNetworkAclLedger;
}

export function createLocalAdapters(options: LocalAdapterOptions): LocalAdapters {
  const stateDir = new StateDir(options.stateDir);
  const clock = options.clock ?? new SimulatedClock();
  return {
    stateDir,
    clock,
    evidence: new FileObjectStore(stateDir.evidence),
    ipSets: new FileIpSetPort(stateDir.waf),
    blocks: new FileBlockRegistry(stateDir.blocks, clock),
    budget: new FileBlockBudget(stateDir.blockBudget),
    suppression: new FileSuppressionStore(stateDir.suppression),
    approvals: new FileApprovalStore(stateDir.approvals),
    tickets: new FileTicketPort(stateDir.tickets, clock),
    notifier: new OutboxNotifier(stateDir.outbox, clock),
    taskCallbacks: new LocalTaskCallbacks(),
    flowRecords: new InputFlowRecordSource(options.inputs, options.defaultFormat),
    inventory: new FileNetworkInventory(stateDir.inventory),
    signingKeys: new FileSigningKeyProvider(stateDir.keys),
    networkAcls: new FileNetworkAclPort(stateDir.networkAcls, { layout: options.vpcLayout ?? sampleVpcLayout() }),
    // On real time: every execution shares the lease and has its own simulated clock, so the updaters check it with leaseClock = the real clock.
    aclLease: new FileAclLease(stateDir.aclLeases),
    aclLedger: new FileNetworkAclLedger(stateDir.aclLedger),
  };
}
