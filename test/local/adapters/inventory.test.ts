import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StateFileError } from '../../../local/adapters/files';
import { FileNetworkInventory } from '../../../local/adapters/inventory';
import { useTempDir } from './temp-dir';

describe('FileNetworkInventory', () => {
  const tmp = useTempDir();
  const file = (): string => path.join(tmp.path, 'inventory.json');

  it('without an inventory file, returns the interface ids from the records with no security groups, and says so', async () => {
    const inventory = new FileNetworkInventory(file());
    expect(await inventory.interfaces(['eni-0a1b', 'eni-0c2d', 'eni-0a1b'])).toEqual([
      { interfaceId: 'eni-0a1b', privateAddresses: [], securityGroups: [] },
      { interfaceId: 'eni-0c2d', privateAddresses: [], securityGroups: [] },
    ]);
    const source = await inventory.source();
    expect(source.kind).toBe('records');
    expect(source.note).toMatch(/security groups are unknown/);
  });

  it('reads interfaces and their security groups from the inventory file', async () => {
    const web = { interfaceId: 'eni-0a1b', privateAddresses: ['10.0.1.5'], securityGroups: [{ id: 'sg-01', name: 'web', inboundRules: ['tcp 22 from 0.0.0.0/0', 'tcp 443 from 0.0.0.0/0'] }] };
    await fs.writeFile(file(), JSON.stringify({ interfaces: [web, { interfaceId: 'eni-0c2d' }] }));
    const inventory = new FileNetworkInventory(file());
    expect(await inventory.interfaces(['eni-0a1b', 'eni-gone'])).toEqual([web]);
    expect(await inventory.interfaces(['eni-0c2d'])).toEqual([{ interfaceId: 'eni-0c2d', privateAddresses: [], securityGroups: [] }]);
    expect((await inventory.source()).kind).toBe('file');
  });

  it('names the file and the field when the inventory is malformed', async () => {
    await fs.writeFile(file(), JSON.stringify({ interfaces: [{ interfaceId: 'eni-1', securityGroups: [{ id: 'sg-1', inboundRules: 'all' }] }] }));
    const read = new FileNetworkInventory(file()).interfaces(['eni-1']);
    await expect(read).rejects.toBeInstanceOf(StateFileError);
    await expect(new FileNetworkInventory(file()).interfaces(['eni-1'])).rejects.toThrow(/inventory\.json: interfaces\[0\]\.securityGroups\[0\]\.inboundRules/);
  });

  it('reports a file that is not JSON', async () => {
    await fs.writeFile(file(), '{ interfaces: ');
    await expect(new FileNetworkInventory(file()).interfaces([])).rejects.toThrow(/not valid JSON/);
  });
});
