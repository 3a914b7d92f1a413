import { GetIPSetCommand, UpdateIPSetCommand, WAFInternalErrorException } from '@aws-sdk/client-wafv2';
import 'aws-sdk-client-mock-jest';
import { WafIpSetPort } from '../../../handlers/aws/ip-set';
import { IpSetLimitError, StaleLockTokenError } from '../../../handlers/ports';
import { fakeWaf, IPV4_SET, IPV6_SET } from '../mocks/fake-waf';

describe('WafIpSetPort (WAFV2 GetIPSet / UpdateIPSet)', () => {
  it('reads the addresses with the lock token and writes them back with it', async () => {
    const waf = fakeWaf([IPV4_SET]);
    waf.set(IPV4_SET).addresses = ['192.0.2.1/32'];
    const port = new WafIpSetPort(waf.client);
    const snap = await port.get(IPV4_SET);
    expect(snap).toEqual({ addresses: ['192.0.2.1/32'], lockToken: waf.set(IPV4_SET).lockToken });
    await port.update(IPV4_SET, ['192.0.2.1/32', '203.0.113.9/32'], snap.lockToken);
    expect(waf.set(IPV4_SET).addresses).toEqual(['192.0.2.1/32', '203.0.113.9/32']);
    expect(waf.mock).toHaveReceivedCommandWith(UpdateIPSetCommand, { Name: IPV4_SET.name, Id: IPV4_SET.id, Scope: 'REGIONAL', LockToken: snap.lockToken, Description: 'flowir flowir-test-blocked-ipv4' });
  });

  it('turns a stale lock token (WAFOptimisticLockException) into StaleLockTokenError', async () => {
    const waf = fakeWaf([IPV4_SET]);
    const port = new WafIpSetPort(waf.client);
    const first = await port.get(IPV4_SET);
    await port.update(IPV4_SET, ['192.0.2.1/32'], first.lockToken);
    const error = await port.update(IPV4_SET, ['192.0.2.2/32'], first.lockToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleLockTokenError);
    expect((error as Error).cause).toMatchObject({ name: 'WAFOptimisticLockException' });
    expect(waf.set(IPV4_SET).addresses).toEqual(['192.0.2.1/32']);
  });

  it('turns WAFLimitsExceededException (more than 10,000 addresses) into IpSetLimitError', async () => {
    const waf = fakeWaf([IPV6_SET]);
    const port = new WafIpSetPort(waf.client);
    const snap = await port.get(IPV6_SET);
    const many = Array.from({ length: 10_001 }, (_, i) => `2001:db8::${i.toString(16)}/128`);
    await expect(port.update(IPV6_SET, many, snap.lockToken)).rejects.toThrow(IpSetLimitError);
    expect(waf.set(IPV6_SET).addresses).toEqual([]);
  });

  it('passes other WAF errors through unchanged', async () => {
    const waf = fakeWaf([IPV4_SET]);
    waf.mock.on(GetIPSetCommand).rejects(new WAFInternalErrorException({ message: 'internal', $metadata: {} }));
    await expect(new WafIpSetPort(waf.client).get(IPV4_SET)).rejects.toBeInstanceOf(WAFInternalErrorException);
  });
});
