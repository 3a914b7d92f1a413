/** The run summary for a person: one line per incident, then what the words and times mean. */
import type { ExecutionSummary, RunSummary } from './summary';

/** Each guardrail in a few words (core/containment/guardrails.ts has the full reasons). */
const GUARDRAILS: Readonly<Record<string, string>> = {
  'invalid-address': 'the source is not an IP address',
  allowlisted: 'the source is allowlisted (the allowlist, or incident.neverBlock)',
  'vpc-cidr': "the source is in the VPC's own CIDRs",
  'not-a-host': 'the source is not a host address (a network, broadcast or reserved range)',
  'private-range': 'the source is a private address (blocked only with incident.allowPrivate)',
  'rate-limit': 'the cap of blocks per hour was reached (incident.maxBlocksPerHour)',
  'ip-set-limit': 'the WAF IP set is full (10,000 addresses)',
  'nacl-budget': "the network ACL's rule budget is used up",
  'nacl-rule-order': "the network ACL's rule numbers leave no room before its allow rules",
  'nacl-not-found': 'no network ACL was found for the targeted interfaces',
  'waf-only': 'only the WAF block was placed, which stops HTTP(S) requests at the front doors, not this traffic',
};

export function guardrailText(guardrail: string): string {
  return GUARDRAILS[guardrail] ?? guardrail;
}

function line(e: ExecutionSummary): string {
  const c = e.containment;
  const label = e.status === 'ABORTED' ? 'ABORTED' : e.outcome;
  const who = e.decision ? ` ${e.decision.decision} by ${e.decision.approver} at ${e.decision.at}` : '';
  const blocked = c?.blocked.length ? ` blocked ${c.blocked.join(', ')} (released ${c.releasedAt ?? 'not yet'}${c.releasedAt !== null && e.status !== 'ABORTED' ? ', simulated clock' : ''})` : '';
  const acl = c?.networkAclEntries.length ? ` denied in network ACL ${c.networkAclEntries.map((n) => `${n.networkAclId} #${n.ruleNumber} ${n.cidr}`).join(', ')}` : '';
  const ticket = c?.ticket ? ` ticket ${c.ticket}` : '';
  const guarded =
    e.outcome === 'GUARDED' && c?.guardrail
      ? ` — ${c.blocked.length > 0 ? 'not contained' : 'not blocked'}: guardrail ${c.guardrail}${c.guardrailReason ? ` (${c.guardrailReason})` : ''}`
      : '';
  const suppressed = e.outcome === 'SUPPRESSED' && e.suppressedBy ? ` — covered by ${e.suppressedBy}` : '';
  return `${label.padEnd(11)} ${e.finding.id}${who}${blocked}${acl}${ticket}${guarded}${suppressed}${e.error ? ` — ${e.error}` : ''}`;
}

/** The human form of `flowir run`'s summary (stdout). */
export function renderRunSummary(s: RunSummary): string {
  const lines = [`window ${new Date(s.window.start * 1000).toISOString()} → ${new Date(s.window.end * 1000).toISOString()}: ${s.findings.length} findings, ${s.executions.length} incidents`, ''];
  for (const e of s.executions) lines.push(line(e));
  const notes: string[] = [];
  const guarded = s.executions.filter((e) => e.outcome === 'GUARDED');
  if (guarded.length > 0) {
    const named = [...new Set(guarded.map((e) => e.containment?.guardrail ?? null).filter((g): g is string => g !== null))].sort();
    const partly = guarded.some((e) => (e.containment?.blocked.length ?? 0) > 0);
    notes.push(
      `GUARDED: a guardrail refused containment${partly ? ', or what was blocked does not stop the detected traffic (it stays blocked until expiry)' : ', so nothing was blocked'}${named.length > 0 ? `: ${named.map((g) => `${g}: ${guardrailText(g)}`).join('; ')}` : ''}.`,
    );
  }
  if (s.executions.some((e) => e.status !== 'ABORTED' && e.containment?.releasedAt != null)) {
    notes.push('Release times are on the simulated clock: locally the wait for block expiry is fast-forwarded, so a block is released at once and its release time reads as if the whole block duration had passed.');
  }
  if (s.executions.some((e) => e.status === 'ABORTED')) {
    notes.push('ABORTED: the run was stopped before the incident ended; its history says where, and any block it made was released by the sweeper.');
  }
  if (notes.length > 0) lines.push('', ...notes);
  lines.push('', `state: ${s.stateDir} (evidence, outbox, tickets, WAF IP sets, network ACLs, execution histories) — see them with: flowir audit --state-dir ${s.stateDir}`);
  return `${lines.join('\n')}\n`;
}

/** The stderr line of an interrupted run: what was recorded, what was released. */
export function renderInterrupted(s: RunSummary): string {
  const aborted = s.interrupted?.aborted ?? [];
  const released = s.executions.filter((e) => e.status === 'ABORTED').flatMap((e) => e.containment?.blocked ?? []);
  const names = aborted.length === 0 ? '' : ` (${aborted.join(', ')})`;
  const blocks = released.length > 0 ? `its blocks released by the sweeper: ${released.join(', ')}` : 'no block left in place';
  return `interrupted: ${aborted.length} execution${aborted.length === 1 ? '' : 's'} recorded as ABORTED after ${s.interrupted?.reason ?? 'an abort'}${names}; ${blocks}. See them with: flowir audit --state-dir ${s.stateDir}`;
}
