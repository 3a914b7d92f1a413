/**
 * `flowir run --host`: which host the approval links name, and when a warning is due. The interface
 * tables are made up (a machine's own would make the test depend on where it runs); nothing here
 * binds or sends anything.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { ApprovalHostError, isLoopbackHost, resolveApprovalHost, type InterfaceTable } from '../../../local/approval/host';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` });
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal, cidr: `${address}/64`, scopeid: 0 });

const LAPTOP: InterfaceTable = { lo: [v4('127.0.0.1', true), v6('::1', true)], wlan0: [v6('fe80::1c2d:3e4f:5a6b:7c8d'), v4('192.168.1.20'), v6('2001:db8:42::20')], docker0: [v4('172.17.0.1')] };
const V6_ONLY: InterfaceTable = { lo: [v4('127.0.0.1', true), v6('::1', true)], eth0: [v6('fe80::1'), v6('2001:db8:7::5')] };
const OFFLINE: InterfaceTable = { lo: [v4('127.0.0.1', true), v6('::1', true)] };

describe('the approval host', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'flowir.localhost'])('%s is loopback: no warning', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    const r = resolveApprovalHost(host, LAPTOP);
    expect([r.loopback, r.warning, r.note]).toEqual([true, null, null]);
  });

  it.each([
    ['192.168.1.20', '192.168.1.20'],
    ['10.0.0.5', '10.0.0.5'],
    ['2001:db8:42::20', '[2001:db8:42::20]'],
    ['[2001:db8:42::20]', '[2001:db8:42::20]'],
    ['mylaptop.local', 'mylaptop.local'],
    ['128.0.0.1', '128.0.0.1'],
  ])('%s is not loopback: links name it, and a plain warning says who can reach the pages', (host, linkHost) => {
    const r = resolveApprovalHost(host, LAPTOP);
    expect([r.bind, r.linkHost, r.loopback, r.note]).toEqual([host.replace(/^\[|\]$/g, ''), linkHost, false, null]);
    expect(r.warning).toContain(`the approval pages listen on ${r.bind}, not only on this machine: anyone who can reach it on that network can open them, over plain HTTP (not encrypted).`);
    expect(r.warning).toContain('The links are still signed and single-use, but whoever sees a link first can use it.');
  });

  it('0.0.0.0 listens everywhere and links to the first non-internal IPv4 address, saying which', () => {
    const r = resolveApprovalHost('0.0.0.0', LAPTOP);
    expect([r.bind, r.linkHost, r.loopback]).toEqual(['0.0.0.0', '192.168.1.20', false]);
    expect(r.note).toBe('listening on every interface (0.0.0.0); the links use 192.168.1.20 (the first non-internal IPv4 address, interface wlan0); give --host that address or another to choose');
    expect(r.warning).toMatch(/^the approval pages listen on 0\.0\.0\.0, not only on this machine/);
  });

  it(':: links to IPv4 when there is one, else to a global IPv6 address (never a link-local one), in brackets', () => {
    expect(resolveApprovalHost('::', LAPTOP).linkHost).toBe('192.168.1.20');
    const r = resolveApprovalHost('[::]', V6_ONLY);
    expect([r.bind, r.linkHost]).toEqual(['::', '[2001:db8:7::5]']);
    expect(r.note).toContain('the first non-internal IPv6 address, interface eth0');
    // 0.0.0.0 listens on IPv4 only: an IPv6 address would not reach it.
    expect(resolveApprovalHost('0.0.0.0', V6_ONLY).linkHost).toBe('127.0.0.1');
  });

  it('a wildcard on a machine with no network address links to loopback and says so', () => {
    expect(resolveApprovalHost('0.0.0.0', OFFLINE)).toMatchObject({ linkHost: '127.0.0.1', note: 'listening on every interface (0.0.0.0), but this machine has no network address: the links use 127.0.0.1' });
    expect(resolveApprovalHost('::', OFFLINE).linkHost).toBe('[::1]');
  });

  it.each(['', ' ', 'http://192.168.1.20', '192.168.1.20:8080', 'fe80::1%wlan0', 'a b', '-bad.example', '<script>'])('refuses %j', (host) => {
    expect(() => resolveApprovalHost(host, LAPTOP)).toThrow(ApprovalHostError);
  });
});
