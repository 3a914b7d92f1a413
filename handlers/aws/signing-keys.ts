import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApprovalKeyError, MIN_KEY_BYTES, parseKeySet } from '../../core/approval/keys';
import type { Clock, SigningKeyProvider } from '../ports';

/** How long keys are cached; after a rotation, every warm Lambda verifies links signed with the new key within this time. */
export const SIGNING_KEY_CACHE_MS = 5 * 60_000;

/** The secret is missing, binary-only, or not a key set or a long enough key. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

type Keys = Awaited<ReturnType<SigningKeyProvider['keys']>>;
type Key = Keys['current'];

/**
 * Approval-link HMAC keys from a Secrets Manager secret. Its value is either
 * - a key set, `{"current": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}}` (core/approval
 *   `parseKeySet`; rotate by adding a key and moving `current`), or
 * - plain key text of at least 32 bytes, as CloudFormation's generated secrets are. Its id is
 *   derived from the secret's version id, and the `AWSPREVIOUS` version still verifies, so links
 *   sent just before a Secrets Manager rotation keep working.
 */
export class SecretsManagerSigningKeys implements SigningKeyProvider {
  private cached: { readonly keys: Keys; readonly until: number } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly clock: Clock,
  ) {}

  async keys(): Promise<Keys> {
    const now = this.clock.now().getTime();
    if (this.cached !== undefined && now < this.cached.until) return this.cached.keys;
    const current = await this.version('AWSCURRENT');
    if (current === undefined) throw new SigningKeyError(`secret ${this.secretId} has no AWSCURRENT version`);
    let keys: Keys;
    if (current.kind === 'set') {
      keys = current.keys;
    } else {
      const previous = await this.version('AWSPREVIOUS');
      const older = previous?.kind === 'plain' && previous.key.id !== current.key.id ? [previous.key] : [];
      keys = { current: current.key, all: [current.key, ...older] };
    }
    this.cached = { keys, until: now + SIGNING_KEY_CACHE_MS };
    return keys;
  }

  private async version(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<{ readonly kind: 'set'; readonly keys: Keys } | { readonly kind: 'plain'; readonly key: Key } | undefined> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }));
    } catch (e) {
      // A secret that was never rotated has no AWSPREVIOUS.
      if (stage === 'AWSPREVIOUS' && e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
    const where = `secret ${this.secretId} (${stage})`;
    if (out.SecretString === undefined) throw new SigningKeyError(`${where} has no text value; store the key set or key as a string`);
    const text = out.SecretString;
    if (text.trimStart().startsWith('{')) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new SigningKeyError(`${where} starts like JSON but does not parse: ${(e as Error).message}`, { cause: e });
      }
      try {
        const set = parseKeySet(doc, where);
        const all = [...set.keys].map(([id, secret]) => ({ id, secret: Buffer.from(secret) }));
        const current = all.find((k) => k.id === set.currentKeyId);
        if (current === undefined) throw new SigningKeyError(`${where}: current key "${set.currentKeyId}" is missing`);
        return { kind: 'set', keys: { current, all } };
      } catch (e) {
        if (e instanceof ApprovalKeyError) throw new SigningKeyError(e.message, { cause: e });
        throw e;
      }
    }
    const secret = Buffer.from(text, 'utf8');
    if (secret.length < MIN_KEY_BYTES) throw new SigningKeyError(`${where} is ${secret.length} bytes; an approval-link key needs at least ${MIN_KEY_BYTES}`);
    if (out.VersionId === undefined) throw new SigningKeyError(`${where} has no version id`);
    return { kind: 'plain', key: { id: `sm-${out.VersionId.replace(/[^A-Za-z0-9]/g, '').slice(0, 29)}`, secret } };
  }
}
