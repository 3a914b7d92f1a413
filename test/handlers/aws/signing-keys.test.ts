import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import 'aws-sdk-client-mock-jest';
import { generateKeySet, rotateKeySet, serializeKeySet } from '../../../core/approval/keys';
import { SecretsManagerSigningKeys, SigningKeyError } from '../../../handlers/aws/signing-keys';
import { fakeSecrets } from '../mocks/fake-services';
import { ManualClock, T0 } from '../mocks/fixtures';

const SECRET = 'flowir-test/approval-keys';

describe('SecretsManagerSigningKeys', () => {
  it('reads a key set: signs with its current key and verifies with all of them', async () => {
    const set = rotateKeySet(generateKeySet('k1'), 'k2');
    const sm = fakeSecrets(SECRET, { AWSCURRENT: { id: 'v-1', value: serializeKeySet(set) } });
    const keys = await new SecretsManagerSigningKeys(sm.client, SECRET, new ManualClock(T0)).keys();
    expect(keys.current.id).toBe('k2');
    expect(keys.current.secret.equals(Buffer.from(set.keys.get('k2') as Uint8Array))).toBe(true);
    expect(keys.all.map((k) => k.id).sort()).toEqual(['k1', 'k2']);
  });

  it('takes plain key text, and keeps the AWSPREVIOUS version verifying after a rotation', async () => {
    const sm = fakeSecrets(SECRET, { AWSCURRENT: { id: '0b5e1c1e-2d3f-4a5b-8c9d-0e1f2a3b4c5d', value: 'n'.repeat(64) }, AWSPREVIOUS: { id: '9a8b7c6d-5e4f-4321-8765-43210fedcba9', value: 'o'.repeat(64) } });
    const keys = await new SecretsManagerSigningKeys(sm.client, SECRET, new ManualClock(T0)).keys();
    expect(keys.current).toEqual({ id: 'sm-0b5e1c1e2d3f4a5b8c9d0e1f2a3b4', secret: Buffer.from('n'.repeat(64)) });
    expect(keys.all.map((k) => k.secret.toString())).toEqual(['n'.repeat(64), 'o'.repeat(64)]);
    expect(keys.all.every((k) => /^[A-Za-z0-9_-]{1,32}$/.test(k.id))).toBe(true);
  });

  it('works with a secret that was never rotated (no AWSPREVIOUS)', async () => {
    const sm = fakeSecrets(SECRET, { AWSCURRENT: { id: 'v1', value: 'n'.repeat(40) } });
    const keys = await new SecretsManagerSigningKeys(sm.client, SECRET, new ManualClock(T0)).keys();
    expect(keys.all).toHaveLength(1);
  });

  it('caches the keys for five minutes, then reads them again', async () => {
    const sm = fakeSecrets(SECRET, { AWSCURRENT: { id: 'v1', value: serializeKeySet(generateKeySet('k1')) } });
    const clock = new ManualClock(T0);
    const provider = new SecretsManagerSigningKeys(sm.client, SECRET, clock);
    await provider.keys();
    clock.advance(299);
    await provider.keys();
    expect(sm.mock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    clock.advance(1);
    await provider.keys();
    expect(sm.mock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    ['a short key', 'too short', /is 9 bytes; an approval-link key needs at least 32/],
    ['broken JSON', '{"current": ', /starts like JSON but does not parse/],
    ['a key set without its current key', JSON.stringify({ current: 'k9', keys: {} }), /current: expected one of the key ids/],
  ])('refuses %s with an error naming the secret', async (_what, value, message) => {
    const sm = fakeSecrets(SECRET, { AWSCURRENT: { id: 'v1', value } });
    const error = await new SecretsManagerSigningKeys(sm.client, SECRET, new ManualClock(T0)).keys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeyError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(SECRET);
  });
});
