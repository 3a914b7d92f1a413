import { GetIPSetCommand, UpdateIPSetCommand, WAFLimitsExceededException, WAFOptimisticLockException, type WAFV2Client } from '@aws-sdk/client-wafv2';
import { IpSetLimitError, StaleLockTokenError, type IpSetPort, type IpSetRef, type IpSetSnapshot } from '../ports';

/** GetIPSet answered without the set or its lock token. */
export class IpSetResponseError extends Error {
  override readonly name = 'IpSetResponseError';
}

/**
 * WAFV2 IP sets. `UpdateIPSet` replaces every mutable field, the description included, so the
 * description read with the lock token is written back with the new addresses.
 */
export class WafIpSetPort implements IpSetPort {
  private readonly descriptions = new Map<string, string | undefined>();

  constructor(private readonly client: WAFV2Client) {}

  async get(set: IpSetRef): Promise<IpSetSnapshot> {
    const out = await this.client.send(new GetIPSetCommand({ Name: set.name, Id: set.id, Scope: set.scope }));
    if (out.IPSet === undefined || out.LockToken === undefined) throw new IpSetResponseError(`GetIPSet ${set.name} (${set.id}) returned no IP set or lock token`);
    this.descriptions.set(set.id, out.IPSet.Description);
    return { addresses: out.IPSet.Addresses ?? [], lockToken: out.LockToken };
  }

  async update(set: IpSetRef, addresses: readonly string[], lockToken: string): Promise<void> {
    const description = this.descriptions.get(set.id);
    try {
      await this.client.send(
        new UpdateIPSetCommand({ Name: set.name, Id: set.id, Scope: set.scope, Addresses: [...addresses], LockToken: lockToken, ...(description !== undefined ? { Description: description } : {}) }),
      );
    } catch (e) {
      if (e instanceof WAFOptimisticLockException) throw new StaleLockTokenError(`IP set ${set.name} changed since it was read: ${e.message}`, { cause: e });
      if (e instanceof WAFLimitsExceededException) throw new IpSetLimitError(`IP set ${set.name} would pass a WAF limit: ${e.message}`, { cause: e });
      throw e;
    }
  }
}
