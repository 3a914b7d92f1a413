import * as path from 'node:path';

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
  get blocks(): string {
    return path.join(this.root, 'blocks.json');
  }
  /** The suppression table (DynamoDB stand-in). */
  get suppression(): string {
    return path.join(this.root, 'suppression.json');
  }
  /** Optional network inventory (EC2 DescribeNetworkInterfaces / DescribeSecurityGroups stand-in). */
  get inventory(): string {
    return path.join(this.root, 'inventory.json');
  }
}
