import {
  consumeApproval,
  ConsumeError,
  DecisionError,
  escapeHtml,
  generateKeySet,
  makeDecision,
  MAX_COMMENT_LENGTH,
  parseDecision,
  sanitizeComment,
  signApprovalLink,
  verifyApprovalLink,
  type ApprovalClaims,
} from '../../../core/approval';

const T0 = 1763805600;
const keys = generateKeySet();
function claimsFor(approver: string): ApprovalClaims {
  const r = verifyApprovalLink(signApprovalLink({ approvalId: 'appr-1', incidentId: 'PORT_SCAN:203.0.113.50:1763805600', approver, issuedAt: T0, expiresAt: T0 + 3600 }, keys), keys, T0);
  if (!r.ok) throw new Error('expected a valid link');
  return r.claims;
}

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecisionError) return e.field;
    throw e;
  }
  throw new Error('expected a DecisionError');
};

describe('makeDecision', () => {
  it('records decision, approver from the link, time to the second, comment and canonical source IP', () => {
    expect(makeDecision({ decision: 'approve', comment: ' looks like a scanner ' }, { approver: 'oncall@example.com', now: T0 + 7.9, sourceIp: '2001:DB8::0:1' })).toEqual({
      decision: 'approve',
      approver: 'oncall@example.com',
      at: '2025-11-22T10:00:07Z',
      comment: 'looks like a scanner',
      sourceIp: '2001:db8::1',
    });
  });

  it('records a decision without comment or request (the CLI) with nulls', () => {
    expect(makeDecision({ decision: 'reject' }, { approver: 'local-cli', now: T0, sourceIp: null })).toEqual({ decision: 'reject', approver: 'local-cli', at: '2025-11-22T10:00:00Z', comment: null, sourceIp: null });
  });

  it.each([
    ['decision', { decision: 'APPROVE' }, '203.0.113.9'],
    ['decision', { decision: undefined }, '203.0.113.9'],
    ['comment', { decision: 'approve', comment: 42 }, '203.0.113.9'],
    ['sourceIp', { decision: 'approve' }, 'localhost'],
  ])('names the bad field %s', (field, form, sourceIp) => {
    expect(fieldOf(() => makeDecision(form, { approver: 'a', now: T0, sourceIp }))).toBe(field);
  });
});

describe('sanitizeComment', () => {
  it('turns line breaks and tabs into spaces so a comment cannot forge an audit line', () => {
    expect(sanitizeComment('ok\r\nAPPROVED by ceo\tnow\u2028x')).toBe('ok  APPROVED by ceo now x');
  });

  it('removes other control characters and bidirectional overrides', () => {
    expect(sanitizeComment('a\u0000b\u0007c\u001bd\u007fe\u009bf\u202eg\u2066h\u200fi')).toBe('abcdefghi');
  });

  it('keeps ordinary Unicode text', () => {
    expect(sanitizeComment('Zoë: bloqué ✔ 😀')).toBe('Zoë: bloqué ✔ 😀');
  });

  it(`caps at ${MAX_COMMENT_LENGTH} characters without splitting a surrogate pair`, () => {
    const capped = sanitizeComment(`${'a'.repeat(MAX_COMMENT_LENGTH - 1)}😀😀😀`) as string;
    expect(Array.from(capped)).toHaveLength(MAX_COMMENT_LENGTH);
    expect(capped.endsWith('a😀')).toBe(true);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(capped)).toBe(false);
  });

  it('gives null for a comment with nothing left', () => {
    expect(sanitizeComment(' \n\t\u0000 ')).toBeNull();
  });
});

describe('parseDecision', () => {
  it('reads back what makeDecision recorded', () => {
    const d = makeDecision({ decision: 'approve', comment: 'go' }, { approver: 'a@example.com', now: T0, sourceIp: '198.51.100.4' });
    expect(parseDecision(JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it.each([
    ['decision', { decision: 'yes' }],
    ['at', { at: '2025-11-22T10:00:00.123Z' }],
    ['comment', { comment: 'two\nlines' }],
    ['sourceIp', { sourceIp: '2001:DB8::1' }],
    ['approver', { approver: '' }],
  ])('names the bad field %s', (field, patch) => {
    const base = { decision: 'approve', approver: 'a', at: '2025-11-22T10:00:00Z', comment: null, sourceIp: null };
    expect(fieldOf(() => parseDecision({ ...base, ...patch }))).toBe(`decision.${field}`);
  });
});

describe('consumeApproval', () => {
  const alice = claimsFor('alice@example.com');
  const bob = claimsFor('bob@example.com');
  const decide = (approver: string) => makeDecision({ decision: 'approve' }, { approver, now: T0 + 30, sourceIp: '198.51.100.4' });

  it('allows the first use and shapes the record to store (kept until the link expires)', () => {
    expect(consumeApproval(undefined, alice, decide('alice@example.com'), T0 + 30)).toEqual({
      ok: true,
      record: { approvalId: 'appr-1', nonce: alice.nonce, approver: 'alice@example.com', decision: 'approve', usedAt: T0 + 30, expiresAt: T0 + 3600 },
    });
  });

  it('refuses the same link a second time', () => {
    const first = consumeApproval(null, alice, decide('alice@example.com'), T0 + 30);
    if (!first.ok) throw new Error('expected ok');
    const again = consumeApproval(first.record, alice, decide('alice@example.com'), T0 + 40);
    expect(again).toMatchObject({ ok: false, refusal: { reason: 'already-used', decidedBy: 'alice@example.com', decidedAt: T0 + 30 } });
  });

  it("refuses another decision-maker's link once the approval is decided, saying who decided", () => {
    const first = consumeApproval(null, alice, decide('alice@example.com'), T0 + 30);
    if (!first.ok) throw new Error('expected ok');
    const r = consumeApproval(first.record, bob, decide('bob@example.com'), T0 + 40);
    expect(r).toMatchObject({ ok: false, refusal: { reason: 'already-decided', decidedBy: 'alice@example.com', decision: 'approve' } });
    if (!r.ok) expect(r.refusal.message).toContain('alice@example.com');
  });

  it('refuses a decision recorded under another name than the link was issued to', () => {
    expect(() => consumeApproval(null, alice, decide('bob@example.com'), T0 + 30)).toThrow(ConsumeError);
  });
});

describe('escapeHtml', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
  ])('escapes %s', (c, entity) => {
    expect(escapeHtml(`a${c}b`)).toBe(`a${entity}b`);
  });

  it('escapes a whole attack string, ampersands once', () => {
    expect(escapeHtml(`"><script>alert('x')</script>&lt;`)).toBe('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;lt;');
  });

  it('leaves other text alone and renders null as nothing', () => {
    expect(escapeHtml('PORT_SCAN 2001:db8::1 Zoë ✔ / = `')).toBe('PORT_SCAN 2001:db8::1 Zoë ✔ / = `');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(171)).toBe('171');
  });
});
