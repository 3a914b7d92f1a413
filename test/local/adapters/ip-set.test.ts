import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IpSetLimitError, StaleLockTokenError, type IpSetRef } from '../../../handlers/ports';
import { StateFileError, UnsafeNameError } from '../../../local/adapters/files';
import { FileIpSetPort, InvalidIpSetAddressError } from '../../../local/adapters/ip-set';
import { useTempDir } from './temp-dir';

const V4: IpSetRef = { name: 'flowir-blocked-v4', id: 'local-v4', scope: 'REGIONAL', version: 4 };
const V6: IpSetRef = { name: 'flowir-blocked-v6', id: 'local-v6', scope: 'REGIONAL', version: 6 };

/** The handlers' read-modify-write loop: read, add, write with the token read, read again on a stale token. */
async function addWithRetry(port: FileIpSetPort, set: IpSetRef, cidr: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const { addresses, lockToken } = await port.get(set);
    try {
      await port.update(set, [...addresses, cidr], lockToken);
      return attempt;
    } catch (e) {
      if (!(e instanceof StaleLockTokenError)) throw e;
    }
  }
}

describe('FileIpSetPort', () => {
  const tmp = useTempDir();
  const port = (): FileIpSetPort => new FileIpSetPort(path.join(tmp.path, 'waf'));

  it('starts empty and stores the list in <name>.json with a new lock token on every update', async () => {
    const p = port();
    const first = await p.get(V4);
    expect(first.addresses).toEqual([]);
    await p.update(V4, ['203.0.113.50/32'], first.lockToken);
    const second = await p.get(V4);
    expect(second.addresses).toEqual(['203.0.113.50/32']);
    expect(second.lockToken).not.toBe(first.lockToken);
    const file = JSON.parse(await fs.readFile(path.join(tmp.path, 'waf', 'flowir-blocked-v4.json'), 'utf8')) as { addresses: string[]; lockToken: string };
    expect(file).toMatchObject({ addresses: ['203.0.113.50/32'], lockToken: second.lockToken });
  });

  it('issues a new token even when the list is written unchanged', async () => {
    const p = port();
    const a = await p.get(V4);
    await p.update(V4, [], a.lockToken);
    expect((await p.get(V4)).lockToken).not.toBe(a.lockToken);
  });

  it('refuses an update with a stale lock token and keeps the list', async () => {
    const p = port();
    const stale = await p.get(V4);
    await p.update(V4, ['198.51.100.7/32'], stale.lockToken);
    await expect(p.update(V4, ['192.0.2.1/32'], stale.lockToken)).rejects.toBeInstanceOf(StaleLockTokenError);
    expect((await p.get(V4)).addresses).toEqual(['198.51.100.7/32']);
  });

  it('lets exactly one of two updates made with the same token win', async () => {
    const p = port();
    const { lockToken } = await p.get(V4);
    const results = await Promise.allSettled([p.update(V4, ['192.0.2.1/32'], lockToken), p.update(V4, ['192.0.2.2/32'], lockToken)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(StaleLockTokenError);
  });

  it('loses no address when many writers add at once (read-modify-write with retry)', async () => {
    const p = port();
    const cidrs = Array.from({ length: 25 }, (_, i) => `203.0.113.${i + 1}/32`);
    const attempts = await Promise.all(cidrs.map((c) => addWithRetry(p, V4, c)));
    expect([...(await p.get(V4)).addresses].sort()).toEqual([...cidrs].sort());
    // The writers did collide: some needed more than one attempt.
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  it('accepts 10,000 addresses and refuses 10,001 with IpSetLimitError', async () => {
    const p = port();
    const many = Array.from({ length: 10_001 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`);
    const { lockToken } = await p.get(V4);
    await expect(p.update(V4, many, lockToken)).rejects.toBeInstanceOf(IpSetLimitError);
    expect((await p.get(V4)).lockToken).toBe(lockToken);
    await p.update(V4, many.slice(0, 10_000), lockToken);
    expect((await p.get(V4)).addresses).toHaveLength(10_000);
  });

  it.each([
    [V4, '203.0.113.50', 'no prefix'],
    [V4, '2001:db8::1/128', 'IPv6 in an IPv4 set'],
    [V6, '203.0.113.50/32', 'IPv4 in an IPv6 set'],
    [V4, '203.0.113.50/24', 'host bits set'],
    [V4, '0.0.0.0/0', '/0'],
    [V4, '203.0.113.500/32', 'not an address'],
    [V4, '203.0.113.5/33', 'prefix too long'],
  ])('refuses %j address %s (%s) as WAF does', async (set, cidr) => {
    const p = port();
    const { lockToken } = await p.get(set);
    await expect(p.update(set, [cidr], lockToken)).rejects.toBeInstanceOf(InvalidIpSetAddressError);
    expect((await p.get(set)).lockToken).toBe(lockToken);
  });

  it('accepts IPv6 /128 and network CIDRs in an IPv6 set', async () => {
    const p = port();
    const { lockToken } = await p.get(V6);
    await p.update(V6, ['2001:db8::1/128', '2001:db8:1::/48'], lockToken);
    expect((await p.get(V6)).addresses).toEqual(['2001:db8::1/128', '2001:db8:1::/48']);
  });

  it('refuses an IP set name that is not a WAF name (it would leave the folder)', async () => {
    await expect(port().get({ ...V4, name: '../keys/approval' })).rejects.toBeInstanceOf(UnsafeNameError);
  });

  it('refuses a set file of the other IP version, naming the file', async () => {
    await fs.mkdir(path.join(tmp.path, 'waf'), { recursive: true });
    await fs.writeFile(path.join(tmp.path, 'waf', 'flowir-blocked-v4.json'), JSON.stringify({ addresses: [], lockToken: 't', version: 6 }));
    await expect(port().get(V4)).rejects.toThrow(StateFileError);
    await expect(port().get(V4)).rejects.toThrow(/flowir-blocked-v4\.json/);
  });
});
