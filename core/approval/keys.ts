import { randomBytes } from 'node:crypto';

/** HMAC keys shorter than the SHA-256 output would weaken the signature. */
export const MIN_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Signing keys by id. Links are signed with `currentKeyId`; verification accepts any key in the set,
 * so a rotation keeps links in flight valid until their old key is retired.
 */
export interface ApprovalKeySet {
  readonly currentKeyId: string;
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

export class ApprovalKeyError extends Error {
  override readonly name = 'ApprovalKeyError';
}

/** Whether a text is a usable key id (it travels in every link). */
export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

function decodeBase64(text: string, where: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || bytes.toString('base64') !== text) throw new ApprovalKeyError(`${where}: not canonical base64`);
  if (bytes.length < MIN_KEY_BYTES) throw new ApprovalKeyError(`${where}: ${bytes.length} bytes; a key needs at least ${MIN_KEY_BYTES}`);
  return bytes;
}

/**
 * Read a key set as stored in AWS Secrets Manager (or the local state dir):
 * `{"current": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}}`.
 */
export function parseKeySet(doc: unknown, source = 'approval keys'): ApprovalKeySet {
  const fail = (message: string): never => {
    throw new ApprovalKeyError(`${source}: ${message}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('expected {"current": "<key id>", "keys": {"<key id>": "<base64>"}}');
  const { current, keys } = doc as Record<string, unknown>;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return fail('keys: expected an object of key id to base64 secret');
  const map = new Map<string, Uint8Array>();
  for (const [id, secret] of Object.entries(keys as Record<string, unknown>)) {
    if (!isKeyId(id)) fail(`keys: "${id}" is not a key id (1 to 32 of A-Z a-z 0-9 _ -)`);
    if (typeof secret !== 'string') fail(`keys.${id}: expected base64 text`);
    map.set(id, decodeBase64(secret as string, `${source}: keys.${id}`));
  }
  if (typeof current !== 'string' || !map.has(current)) return fail(`current: expected one of the key ids (${[...map.keys()].join(', ') || 'none given'}), got ${JSON.stringify(current)}`);
  return { currentKeyId: current, keys: map };
}

/** The stored form of a key set (what {@link parseKeySet} reads). */
export function serializeKeySet(set: ApprovalKeySet): string {
  const keys: Record<string, string> = {};
  for (const [id, secret] of set.keys) keys[id] = Buffer.from(secret).toString('base64');
  return JSON.stringify({ current: set.currentKeyId, keys });
}

/** A fresh random key set (the local runtime's, or the first one of a deployment). */
export function generateKeySet(keyId = 'k1'): ApprovalKeySet {
  if (!isKeyId(keyId)) throw new ApprovalKeyError(`"${keyId}" is not a key id (1 to 32 of A-Z a-z 0-9 _ -)`);
  return { currentKeyId: keyId, keys: new Map([[keyId, randomBytes(MIN_KEY_BYTES)]]) };
}

/** Add a new random key and sign with it from now on; older keys still verify links already sent. */
export function rotateKeySet(set: ApprovalKeySet, newKeyId: string): ApprovalKeySet {
  if (!isKeyId(newKeyId)) throw new ApprovalKeyError(`"${newKeyId}" is not a key id (1 to 32 of A-Z a-z 0-9 _ -)`);
  if (set.keys.has(newKeyId)) throw new ApprovalKeyError(`key id "${newKeyId}" is already in the set`);
  return { currentKeyId: newKeyId, keys: new Map([...set.keys, [newKeyId, randomBytes(MIN_KEY_BYTES)]]) };
}

/** Drop a key: links signed with it are refused from then on. The current key cannot be retired. */
export function retireKey(set: ApprovalKeySet, keyId: string): ApprovalKeySet {
  if (keyId === set.currentKeyId) throw new ApprovalKeyError(`key "${keyId}" is the current signing key; rotate first`);
  const keys = new Map(set.keys);
  keys.delete(keyId);
  return { currentKeyId: set.currentKeyId, keys };
}
