/**
 * WAFV2 IP sets behind aws-sdk-client-mock, keeping the rules of the real API that containment
 * depends on: GetIPSet hands out the current LockToken; UpdateIPSet replaces the whole list (and
 * the description: omitted means cleared), only with the current token (else
 * WAFOptimisticLockException), and a new token is issued on every successful update; more than
 * 10,000 addresses raises WAFLimitsExceededException; a malformed or wrong-version CIDR raises
 * WAFInvalidParameterException; an unknown set raises WAFNonexistentItemException.
 * Every call yields to the event loop first, so concurrent callers interleave as they would over a network.
 */
import { randomUUID } from 'node:crypto';
import {
  GetIPSetCommand,
  UpdateIPSetCommand,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { parseCidr } from '../../../core/flowlog/address';
import type { IpSetRef } from '../../../handlers/ports';

export interface FakeIpSet {
  addresses: string[];
  lockToken: string;
  description: string | undefined;
  readonly version: 4 | 6;
}

const meta = { $metadata: { httpStatusCode: 400 } };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `everyInstance`: mock every WAFV2Client (a Lambda entry module creates its own), not just the one returned. */
export function fakeWaf(sets: readonly IpSetRef[], options: { readonly limit?: number; readonly everyInstance?: boolean } = {}) {
  const limit = options.limit ?? 10_000;
  const client = new WAFV2Client({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? WAFV2Client : client);
  const state = new Map<string, FakeIpSet>(sets.map((s) => [key(s), { addresses: [], lockToken: randomUUID(), description: `flowir ${s.name}`, version: s.version }]));
  const stats = { gets: 0, updates: 0, staleRefusals: 0 };

  const find = (input: { Name?: string; Id?: string; Scope?: string }): FakeIpSet => {
    const set = state.get(`${input.Scope}/${input.Id}/${input.Name}`);
    if (set === undefined) throw new WAFNonexistentItemException({ message: `No IP set ${input.Name} (${input.Id}) in ${input.Scope}`, ...meta });
    return set;
  };

  mock.on(GetIPSetCommand).callsFake(async (input: { Name?: string; Id?: string; Scope?: string }) => {
    await tick();
    stats.gets++;
    const set = find(input);
    return { IPSet: { Name: input.Name, Id: input.Id, ARN: `arn:aws:wafv2:us-east-1:123456789012:regional/ipset/${input.Name}/${input.Id}`, IPAddressVersion: set.version === 4 ? 'IPV4' : 'IPV6', Addresses: [...set.addresses], Description: set.description }, LockToken: set.lockToken };
  });

  mock.on(UpdateIPSetCommand).callsFake(async (input: { Name?: string; Id?: string; Scope?: string; Addresses?: string[]; LockToken?: string; Description?: string }) => {
    await tick();
    const set = find(input);
    if (input.LockToken !== set.lockToken) {
      stats.staleRefusals++;
      throw new WAFOptimisticLockException({ message: 'AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.', ...meta });
    }
    const addresses = input.Addresses ?? [];
    if (addresses.length > limit) throw new WAFLimitsExceededException({ message: `AWS WAF couldn’t perform the operation because you exceeded your resource limit (${limit} addresses per IP set).`, ...meta });
    for (const a of addresses) {
      let ok: boolean;
      try {
        const c = parseCidr(a);
        ok = c.version === set.version && a.includes('/');
      } catch {
        ok = false;
      }
      if (!ok) throw new WAFInvalidParameterException({ message: `The parameter contains formatting that is not valid: ADDRESSES ${a}`, ...meta });
    }
    set.addresses = [...addresses];
    set.description = input.Description;
    set.lockToken = randomUUID();
    stats.updates++;
    return { NextLockToken: set.lockToken };
  });

  return {
    client,
    mock,
    stats,
    /** The set as WAF holds it now (tests read and seed it directly). */
    set: (ref: IpSetRef): FakeIpSet => {
      const s = state.get(key(ref));
      if (s === undefined) throw new Error(`no fake IP set ${ref.name}`);
      return s;
    },
  };
}

function key(s: IpSetRef): string {
  return `${s.scope}/${s.id}/${s.name}`;
}

export const IPV4_SET: IpSetRef = { name: 'flowir-test-blocked-ipv4', id: 'a1b2c3d4-0000-4000-8000-000000000004', scope: 'REGIONAL', version: 4 };
export const IPV6_SET: IpSetRef = { name: 'flowir-test-blocked-ipv6', id: 'a1b2c3d4-0000-4000-8000-000000000006', scope: 'REGIONAL', version: 6 };
