import { StaleLockTokenError, type IpSetPort, type IpSetRef } from '../ports';

/** How the read-modify-write loop backs off when another writer changed the IP set first. */
export interface LockRetryPolicy {
  /** Reads and writes tried in all before giving up. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): full jitter, so that writers that collided do not collide again in step. */
  readonly random: () => number;
}

export const DEFAULT_LOCK_RETRY: LockRetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 3000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Every attempt met a newer lock token: the IP set is too busy right now (the workflow may retry the step). */
export class IpSetBusyError extends Error {
  override readonly name = 'IpSetBusyError';
}

/** What one attempt decided after reading the set: the full list to write, or nothing to write. */
export interface IpSetChange<T> {
  readonly write: readonly string[] | null;
  readonly result: T;
}

/**
 * Read the IP set, let `change` plan from what is there now, write with the lock token just read,
 * and start over from a fresh read when WAF says the token is stale (another writer got in
 * between), so concurrent writers never overwrite each other's addresses. `change` runs again on
 * every attempt and must decide only from what it is given or reads inside.
 */
export async function changeIpSet<T>(port: IpSetPort, set: IpSetRef, change: (addresses: readonly string[]) => Promise<IpSetChange<T>> | IpSetChange<T>, retry: LockRetryPolicy = DEFAULT_LOCK_RETRY): Promise<T> {
  let lastConflict: StaleLockTokenError | undefined;
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
    if (attempt > 0) await retry.sleep(Math.floor(retry.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))));
    const snapshot = await port.get(set);
    const planned = await change(snapshot.addresses);
    if (planned.write === null) return planned.result;
    try {
      await port.update(set, planned.write, snapshot.lockToken);
      return planned.result;
    } catch (e) {
      if (!(e instanceof StaleLockTokenError)) throw e;
      lastConflict = e;
    }
  }
  throw new IpSetBusyError(`IP set ${set.name} (${set.id}) changed under every one of ${retry.maxAttempts} attempts to update it`, { cause: lastConflict });
}
