import { createHmac } from 'node:crypto';
import {
  ApprovalKeyError,
  ApprovalLinkError,
  generateKeySet,
  parseKeySet,
  retireKey,
  rotateKeySet,
  serializeKeySet,
  signApprovalLink,
  verifyApprovalLink,
  type ApprovalKeySet,
  type ApprovalLinkInput,
} from '../../../core/approval';

const SECRET_1 = Buffer.alloc(32, 1).toString('base64');
const SECRET_2 = Buffer.alloc(32, 2).toString('base64');
const keys: ApprovalKeySet = parseKeySet({ current: 'k1', keys: { k1: SECRET_1 } });
const T0 = 1763805600;
const input: ApprovalLinkInput = {
  approvalId: 'appr-7f3c9a1e',
  incidentId: 'PORT_SCAN:203.0.113.50:1763805600',
  approver: 'oncall@example.com',
  issuedAt: T0,
  expiresAt: T0 + 3600,
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2U',
};

const reasonOf = (token: unknown, set: ApprovalKeySet = keys, now = T0 + 60): string => {
  const r = verifyApprovalLink(token, set, now);
  return r.ok ? 'ok' : r.refusal.reason;
};

const parts = (token: string) => token.split('.') as [string, string, string, string];

describe('signApprovalLink / verifyApprovalLink', () => {
  it('verifies its own link and returns the claims and key id', () => {
    const token = signApprovalLink(input, keys);
    expect(verifyApprovalLink(token, keys, T0 + 60)).toEqual({ ok: true, keyId: 'k1', claims: input });
  });

  it('makes URL-safe tokens that need no escaping', () => {
    const token = signApprovalLink({ ...input, approver: 'Zoë <zoe@example.com>' }, keys);
    expect(token).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('accepts a link one second before expiry and refuses it at expiry and after', () => {
    const token = signApprovalLink(input, keys);
    expect(reasonOf(token, keys, input.expiresAt - 1)).toBe('ok');
    expect(reasonOf(token, keys, input.expiresAt)).toBe('expired');
    expect(reasonOf(token, keys, input.expiresAt + 1)).toBe('expired');
    const r = verifyApprovalLink(token, keys, input.expiresAt + 1);
    if (!r.ok) expect(r.refusal.message).toContain('2025-11-22T11:00:00Z');
  });

  it('refuses a link whose signature has any single bit flipped', () => {
    const token = signApprovalLink(input, keys);
    const [v, kid, payload, sig] = parts(token);
    const bytes = Buffer.from(sig, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(reasonOf(`${v}.${kid}.${payload}.${tampered.toString('base64url')}`)).toBe('forged');
    }
  });

  it('refuses a signature re-spelled with the unused trailing bits set, though it decodes to the same bytes', () => {
    const token = signApprovalLink(input, keys);
    const [v, kid, payload, sig] = parts(token);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.slice(-1));
    const respelled = sig.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    expect(reasonOf(`${v}.${kid}.${payload}.${respelled}`)).toBe('malformed');
  });

  it('refuses altered claims: a different approver, a later expiry', () => {
    const token = signApprovalLink(input, keys);
    const [v, kid, , sig] = parts(token);
    for (const patch of [{ approver: 'mallory@example.com' }, { expiresAt: input.expiresAt + 86400 }, { approvalId: 'appr-other' }]) {
      const payload = Buffer.from(JSON.stringify({ ...input, ...patch })).toString('base64url');
      expect(reasonOf(`${v}.${kid}.${payload}.${sig}`)).toBe('forged');
    }
  });

  it('refuses a link signed with a key that is not ours, even under our key id', () => {
    const theirs = parseKeySet({ current: 'k1', keys: { k1: SECRET_2 } });
    expect(reasonOf(signApprovalLink(input, theirs))).toBe('forged');
  });

  it('refuses a link whose key id was switched to another key of ours', () => {
    const both = parseKeySet({ current: 'k1', keys: { k1: SECRET_1, k2: SECRET_2 } });
    const [v, , payload, sig] = parts(signApprovalLink(input, both));
    expect(reasonOf(`${v}.k2.${payload}.${sig}`, both)).toBe('forged');
    expect(reasonOf(`${v}.k9.${payload}.${sig}`, both)).toBe('unknown-key');
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['too few parts', 'v1.k1.abc'],
    ['too many parts', 'v1.k1.a.b.c'],
    ['another version', `v2.${signApprovalLink(input, keys).slice(3)}`],
    ['padding', `${signApprovalLink(input, keys)}=`],
    ['a short signature', `${signApprovalLink(input, keys).slice(0, -2)}`],
    ['a bad key id', signApprovalLink(input, keys).replace('.k1.', '.k 1.')],
    ['an overlong token', `v1.k1.${'A'.repeat(5000)}.${'A'.repeat(43)}`],
  ])('refuses a malformed token: %s', (_what, token) => {
    expect(reasonOf(token)).toBe('malformed');
  });

  it('refuses a genuinely signed payload that is not valid claims (format: HMAC over "flowir-approval-link.v1.<kid>.<payload>")', () => {
    const payload = Buffer.from(JSON.stringify({ ...input, extra: 1 })).toString('base64url');
    const sig = createHmac('sha256', Buffer.from(SECRET_1, 'base64')).update(`flowir-approval-link.v1.k1.${payload}`).digest('base64url');
    expect(reasonOf(`v1.k1.${payload}.${sig}`)).toBe('malformed');
    const good = Buffer.from(JSON.stringify(input)).toString('base64url');
    const goodSig = createHmac('sha256', Buffer.from(SECRET_1, 'base64')).update(`flowir-approval-link.v1.k1.${good}`).digest('base64url');
    expect(reasonOf(`v1.k1.${good}.${goodSig}`)).toBe('ok');
  });

  it('gives each link a fresh random nonce unless one is given', () => {
    const rest: ApprovalLinkInput = { approvalId: input.approvalId, incidentId: input.incidentId, approver: input.approver, issuedAt: input.issuedAt, expiresAt: input.expiresAt };
    const a = verifyApprovalLink(signApprovalLink(rest, keys), keys, T0);
    const b = verifyApprovalLink(signApprovalLink(rest, keys), keys, T0);
    if (!a.ok || !b.ok) throw new Error('expected ok');
    expect(a.claims.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.claims.nonce).not.toBe(b.claims.nonce);
  });

  it.each([
    ['expiresAt not after issuedAt', { expiresAt: T0 }],
    ['an approver with a line break', { approver: 'a@example.com\nBcc: x' }],
    ['an empty approval id', { approvalId: '' }],
    ['a short nonce', { nonce: 'abc' }],
    ['times in milliseconds', { issuedAt: T0 * 1000, expiresAt: (T0 + 3600) * 1000 }],
  ])('refuses to sign %s', (_what, patch) => {
    expect(() => signApprovalLink({ ...input, ...patch }, keys)).toThrow(ApprovalLinkError);
  });
});

describe('verifyApprovalLink time argument', () => {
  it('refuses a time in milliseconds rather than treating every link as expired', () => {
    expect(() => verifyApprovalLink(signApprovalLink(input, keys), keys, (T0 + 60) * 1000)).toThrow(ApprovalLinkError);
  });
});

describe('key rotation', () => {
  it('keeps links in flight valid after a rotation, and refuses them once their key is retired', () => {
    const first = generateKeySet('k1');
    const old = signApprovalLink(input, first);
    const rotated = rotateKeySet(first, 'k2');
    expect(rotated.currentKeyId).toBe('k2');
    expect(verifyApprovalLink(old, rotated, T0 + 60)).toMatchObject({ ok: true, keyId: 'k1' });
    expect(verifyApprovalLink(signApprovalLink(input, rotated), rotated, T0 + 60)).toMatchObject({ ok: true, keyId: 'k2' });
    expect(reasonOf(old, retireKey(rotated, 'k1'))).toBe('unknown-key');
  });

  it('will not retire the current key', () => {
    expect(() => retireKey(generateKeySet('k1'), 'k1')).toThrow(ApprovalKeyError);
  });

  it('round-trips a key set through its stored form', () => {
    const set = rotateKeySet(generateKeySet('k1'), 'k2');
    const back = parseKeySet(JSON.parse(serializeKeySet(set)));
    expect(back.currentKeyId).toBe('k2');
    expect(reasonOf(signApprovalLink(input, set), back)).toBe('ok');
  });

  it.each([
    [{ current: 'k1', keys: { k1: Buffer.alloc(16).toString('base64') } }, /at least 32/],
    [{ current: 'k1', keys: { k1: 'not base64!' } }, /base64/],
    [{ current: 'k2', keys: { k1: SECRET_1 } }, /current/],
    [{ current: 'k1', keys: { 'k 1': SECRET_1 } }, /key id/],
    [[], /expected/],
  ])('refuses a bad key set %#', (doc, message) => {
    expect(() => parseKeySet(doc, 'secret flowir/approval')).toThrow(message);
  });
});
