import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../core/detection/config';

/** Default state dir of `flowir run` and `flowir audit` (DESIGN §7). */
export const DEFAULT_STATE_DIR = './.flowir';

/**
 * Where each local stand-in keeps its files under the state dir. One place, so the runtime, the
 * adapters and `flowir audit` agree on the layout.
 */
export class StateDir {
  readonly root: string;

  constructor(root: string = DEFAULT_STATE_DIR) {
    this.root = path.resolve(root);
  }

  /** The evidence bucket: object keys are paths below it. */
  get evidence(): string {
    return path.join(this.root, 'evidence');
  }
  /** WAF IP sets: `<name>.json`. */
  get waf(): string {
    return path.join(this.root, 'waf');
  }
  get tickets(): string {
    return path.join(this.root, 'tickets');
  }
  /** SNS stand-in: one JSON file per notice, named to sort in send order. */
  get outbox(): string {
    return path.join(this.root, 'outbox');
  }
  get approvals(): string {
    return path.join(this.root, 'approvals');
  }
  get keys(): string {
    return path.join(this.root, 'keys');
  }
  /** Execution histories: `<stateMachine>/<execution>.json`. */
  get executions(): string {
    return path.join(this.root, 'executions');
  }
  /** The block registry (DynamoDB stand-in). */
  /** The hourly block cap's counters. */
  get blockBudget(): string {
    return path.join(this.root, 'block-budget.json');
  }

  get blocks(): string {
    return path.join(this.root, 'blocks.json');
  }
  /** The suppression table (DynamoDB stand-in). */
  get suppression(): string {
    return path.join(this.root, 'suppression.json');
  }
  /** EC2 network ACLs (stand-in seeded from the VPC layout). */
  get networkAcls(): string {
    return path.join(this.root, 'network-acls.json');
  }
  /** The per-ACL leases (DynamoDB stand-in). */
  get aclLeases(): string {
    return path.join(this.root, 'acl-leases.json');
  }
  /** flowir's network ACL ledger (the block registry's `#nacl-ledger` partition on AWS). */
  get aclLedger(): string {
    return path.join(this.root, 'acl-ledger.json');
  }
  /** Optional network inventory (EC2 DescribeNetworkInterfaces / DescribeSecurityGroups stand-in). */
  get inventory(): string {
    return path.join(this.root, 'inventory.json');
  }
}

/**
 * The state dir cannot be used: it is a file, or cannot be made or written. A ConfigError, as the
 * state dir is part of what a run is set up with: the CLI reports it as bad usage (exit 1, the
 * message alone), not as a failed execution.
 */
export class StateDirError extends ConfigError {
  constructor(
    readonly root: string,
    message: string,
  ) {
    super(`state dir ${root}`, '', message);
  }
}

/**
 * The state dir, made if missing, once it is known to be a folder this process can write: checked
 * before a run starts, since every stand-in writes under it and would otherwise fail one by one,
 * inside the executions, as failed steps rather than as the one mistake it is.
 */
export async function openStateDir(root: string = DEFAULT_STATE_DIR): Promise<StateDir> {
  const dir = new StateDir(root);
  const at = dir.root;
  const reason = (e: unknown): string => (e as Error).message;
  let stat;
  try {
    stat = await fs.stat(at);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a folder on the way is a file, which mkdir reports the same way.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new StateDirError(at, `cannot be read (${reason(e)})`);
  }
  if (stat !== undefined && !stat.isDirectory()) throw new StateDirError(at, 'is a file, not a folder; --state-dir names the folder where a run keeps its evidence, histories and blocks (made if missing)');
  if (stat === undefined) {
    try {
      await fs.mkdir(at, { recursive: true });
    } catch (e) {
      throw new StateDirError(at, `cannot be created (${reason(e)})`);
    }
  }
  try {
    // X as well as W: files are made inside it, which takes both.
    await fs.access(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new StateDirError(at, `is not writable (${reason(e)})`);
  }
  return dir;
}
