import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isKeyId, type ApprovalKeySet } from './keys';

/** What a signed approval link asserts. Times are epoch seconds. */
export interface ApprovalClaims {
  /** Opaque reference to the waiting task token (the token itself stays in the approval store). */
  readonly approvalId: string;
  /** The finding id of the incident being decided, so the page can show it and a link cannot be moved to another incident. */
  readonly incidentId: string;
  /** The decision-maker the link was issued to (one link per decision-maker); the decision is recorded under this name. */
  readonly approver: string;
  readonly issuedAt: number;
  /** The link is valid while `now < expiresAt`. */
  readonly expiresAt: number;
  /** Random, unique per link: what single use is enforced on. */
  readonly nonce: string;
}

export type ApprovalLinkInput = Omit<ApprovalClaims, 'nonce'> & { readonly nonce?: string };

/** Why a link (or a second use of one) is refused. */
export type ApprovalRefusalReason = 'malformed' | 'unknown-key' | 'forged' | 'expired' | 'already-used' | 'already-decided';

/** A refusal with a message fit for the refusal page (plain text: escape it when rendering). */
export interface ApprovalRefusal {
  readonly reason: ApprovalRefusalReason;
  readonly message: string;
}

export type VerifyResult = { readonly ok: true; readonly claims: ApprovalClaims; readonly keyId: string } | { readonly ok: false; readonly refusal: ApprovalRefusal };

export class ApprovalLinkError extends Error {
  override readonly name = 'ApprovalLinkError';
}

const VERSION = 'v1';
// Binds signatures to this use, so the key can never be replayed as a MAC for anything else.
const DOMAIN = 'flowir-approval-link';
const MAX_TOKEN_LENGTH = 4096;
const SIG_BYTES = 32;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const OPAQUE = /^[\x21-\x7e]{1,1024}$/;
// Year 5138 in seconds: anything later is a time in milliseconds by mistake, which would make a link live for ages.
const MAX_EPOCH_SECONDS = 99_999_999_999;
const CLAIM_KEYS = ['approvalId', 'incidentId', 'approver', 'issuedAt', 'expiresAt', 'nonce'] as const;

function mac(key: Uint8Array, keyId: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${DOMAIN}.${VERSION}.${keyId}.${payload}`, 'utf8').digest();
}

// Node's decoder skips stray characters and ignores unused trailing bits, so many spellings decode to
// the same bytes; accepting only the one canonical spelling keeps a link's text and its content one-to-one.
function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function claimsProblem(c: Record<string, unknown>): string | undefined {
  const text = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 256 && !/[\p{Cc}\p{Cf}]/u.test(v);
  if (typeof c.approvalId !== 'string' || !OPAQUE.test(c.approvalId)) return 'approvalId: expected 1 to 1024 printable ASCII characters without spaces';
  if (!text(c.incidentId)) return 'incidentId: expected 1 to 256 characters without control characters';
  if (!text(c.approver)) return 'approver: expected 1 to 256 characters without control characters';
  if (typeof c.issuedAt !== 'number' || !Number.isSafeInteger(c.issuedAt) || c.issuedAt < 0 || c.issuedAt > MAX_EPOCH_SECONDS) return 'issuedAt: expected epoch seconds';
  if (typeof c.expiresAt !== 'number' || !Number.isSafeInteger(c.expiresAt) || c.expiresAt <= c.issuedAt || c.expiresAt > MAX_EPOCH_SECONDS) return 'expiresAt: expected epoch seconds after issuedAt';
  if (typeof c.nonce !== 'string' || !NONCE.test(c.nonce)) return 'nonce: expected 16 to 64 base64url characters';
  return undefined;
}

/**
 * Sign an approval link token: `v1.<keyId>.<payload>.<signature>`, where payload is the claims as
 * JSON in base64url and the signature HMAC-SHA256 (current key of the set) over the exact payload
 * text, so verification never depends on re-encoding JSON. URL-safe as is.
 */
export function signApprovalLink(input: ApprovalLinkInput, keys: ApprovalKeySet): string {
  const claims: ApprovalClaims = {
    approvalId: input.approvalId,
    incidentId: input.incidentId,
    approver: input.approver,
    issuedAt: input.issuedAt,
    expiresAt: input.expiresAt,
    nonce: input.nonce ?? randomBytes(16).toString('base64url'),
  };
  const problem = claimsProblem(claims as unknown as Record<string, unknown>);
  if (problem !== undefined) throw new ApprovalLinkError(`cannot sign an approval link: ${problem}`);
  const key = keys.keys.get(keys.currentKeyId);
  if (key === undefined || !isKeyId(keys.currentKeyId)) throw new ApprovalLinkError(`the key set has no usable current key "${keys.currentKeyId}"`);
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${VERSION}.${keys.currentKeyId}.${payload}.${mac(key, keys.currentKeyId, payload).toString('base64url')}`;
}

const refuse = (reason: ApprovalRefusalReason, message: string): VerifyResult => ({ ok: false, refusal: { reason, message } });
const MALFORMED = 'This approval link is damaged or incomplete. Open the link exactly as it was sent to you.';

/**
 * Check a link token at `now` (epoch seconds): its shape, its key, its signature (compared in
 * constant time), then its claims and expiry — a link is valid while `now < expiresAt`, so it is
 * refused from the second of expiry on. Nothing in the token is trusted before the signature holds.
 */
export function verifyApprovalLink(token: unknown, keys: ApprovalKeySet, now: number): VerifyResult {
  if (!Number.isFinite(now) || now < 0 || now > MAX_EPOCH_SECONDS) throw new ApprovalLinkError(`now: expected epoch seconds, got ${String(now)}`);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return refuse('malformed', MALFORMED);
  const parts = token.split('.');
  if (parts.length !== 4) return refuse('malformed', MALFORMED);
  const [version, keyId, payload, signature] = parts as [string, string, string, string];
  if (version !== VERSION || !isKeyId(keyId)) return refuse('malformed', MALFORMED);
  const payloadBytes = decodeCanonicalBase64url(payload);
  const given = decodeCanonicalBase64url(signature);
  if (payloadBytes === undefined || given === undefined || given.length !== SIG_BYTES) return refuse('malformed', MALFORMED);

  const key = keys.keys.get(keyId);
  if (key === undefined) return refuse('unknown-key', 'This approval link was signed with a key that is no longer accepted. Ask for a new link.');
  if (!timingSafeEqual(mac(key, keyId, payload), given)) {
    return refuse('forged', 'This approval link is not genuine: its signature does not match its content. Nothing was decided.');
  }

  let claims: unknown;
  try {
    claims = JSON.parse(payloadBytes.toString('utf8'));
  } catch {
    return refuse('malformed', MALFORMED);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return refuse('malformed', MALFORMED);
  const c = claims as Record<string, unknown>;
  if (Object.keys(c).length !== CLAIM_KEYS.length || claimsProblem(c) !== undefined) return refuse('malformed', MALFORMED);
  const verified = c as unknown as ApprovalClaims;
  if (!(now < verified.expiresAt)) {
    return refuse('expired', `This approval link expired at ${new Date(verified.expiresAt * 1000).toISOString().replace('.000Z', 'Z')}. Nothing was decided.`);
  }
  return { ok: true, claims: { approvalId: verified.approvalId, incidentId: verified.incidentId, approver: verified.approver, issuedAt: verified.issuedAt, expiresAt: verified.expiresAt, nonce: verified.nonce }, keyId };
}

// The token's shape (version, key id, payload, 32-byte signature) as it appears inside a link or any text.
const TOKEN_IN_TEXT = /v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/**
 * The approver each approval-link token in a text names, read WITHOUT checking signatures: for
 * checking where a message that carries links may go (an approver's own message carries only
 * their links; a message for many people carries none), never for deciding anything. Text that
 * only looks like a token is skipped.
 */
export function approversOfLinksIn(text: string): string[] {
  const out: string[] = [];
  for (const [token] of text.matchAll(TOKEN_IN_TEXT)) {
    const payload = decodeCanonicalBase64url(token.split('.')[2] ?? '');
    if (payload === undefined) continue;
    let claims: unknown;
    try {
      claims = JSON.parse(payload.toString('utf8'));
    } catch {
      continue;
    }
    if (typeof claims === 'object' && claims !== null && typeof (claims as { approver?: unknown }).approver === 'string') out.push((claims as { approver: string }).approver);
  }
  return out;
}
