import { BUDGET_PARTITION, DynamoBlockBudget } from '../../../handlers/aws/block-budget';
import { DynamoBlockRegistry } from '../../../handlers/aws/block-registry';
import { WafIpSetPort } from '../../../handlers/aws/ip-set';
import { createBlockHandler } from '../../../handlers/block';
import type { LockRetryPolicy } from '../../../handlers/containment/ip-set-update';
import type { GuardrailSettings } from '../../../handlers/containment/settings';
import { createReleaseHandler } from '../../../handlers/release';
import { createSweepHandler } from '../../../handlers/sweep-expired';
import type { BlockRegistry } from '../../../handlers/ports';
import { fakeBlockTable } from './fake-documents';
import { fakeWaf, IPV4_SET, IPV6_SET } from './fake-waf';
import { ManualClock, NO_WAIT_RETRY, T0 } from './fixtures';

export const DEFAULT_GUARDRAILS: GuardrailSettings = { neverBlock: ['198.51.100.0/28'], vpcCidrs: ['10.0.0.0/16', '2600:1f18:abc::/56'], allowPrivate: false, maxBlocksPerHour: 20 };

/**
 * Block, release and sweep handlers wired to the AWS adapters, over a fake WAF and a fake DynamoDB
 * block table: what runs on Lambda, minus the network.
 */
export function containmentWorld(options: { readonly guardrails?: Partial<GuardrailSettings>; readonly wafLimit?: number; readonly pageSize?: number; readonly retry?: LockRetryPolicy; readonly registry?: (real: BlockRegistry) => BlockRegistry } = {}) {
  const waf = fakeWaf([IPV4_SET, IPV6_SET], options.wafLimit === undefined ? {} : { limit: options.wafLimit });
  const table = fakeBlockTable('flowir-test-blocks', options.pageSize === undefined ? {} : { pageSize: options.pageSize });
  const realRegistry = new DynamoBlockRegistry(table.client, 'flowir-test-blocks');
  const registry = options.registry ? options.registry(realRegistry) : realRegistry;
  const ipSet = new WafIpSetPort(waf.client);
  const clock = new ManualClock(T0);
  const retry = options.retry ?? NO_WAIT_RETRY;
  const guardrails = { ...DEFAULT_GUARDRAILS, ...options.guardrails };
  return {
    waf,
    // The block records; the hourly cap's counters, kept in the same table, apart.
    table: { ...table, items: () => table.items().filter((i) => i.cidr !== BUDGET_PARTITION) },
    budgetCounters: () => Object.fromEntries(table.items().filter((i) => i.cidr === BUDGET_PARTITION).map((i) => [String(i.executionName), i.blocks])),
    registry,
    realRegistry,
    ipSet,
    clock,
    block: createBlockHandler({ ipSets: { IPV4: IPV4_SET, IPV6: IPV6_SET }, ipSet, registry, budget: new DynamoBlockBudget(table.client, 'flowir-test-blocks'), guardrails, clock, retry }),
    release: createReleaseHandler({ ipSet, registry, clock, retry }),
    sweep: createSweepHandler({ ipSet, registry, clock, retry }),
    v4: (): string[] => [...waf.set(IPV4_SET).addresses].sort(),
    v6: (): string[] => [...waf.set(IPV6_SET).addresses].sort(),
  };
}
