import { DecisionError, parseDecision } from '../core/approval/decision';
import { isIncidentOutcome, INCIDENT_OUTCOMES } from '../core/incident/outcome';
import type { BlockOutput, Decision, TicketInput, TicketOutput } from '../workflows/contract';
import { describe, readEvidence, readExecutionName, readFinding, readObject, TaskInputError } from './containment/task-input';
import { evidenceLines, findingTitle, measureText, windowText } from './containment/wording';
import type { TicketPort } from './ports';

export interface TicketDeps {
  readonly tickets: TicketPort;
}

/**
 * The `OpenTicket` step: one ticket per incident (deduplicated by execution name, so a retried
 * step does not open a second) asking for a review of the security groups that let the traffic in.
 */
export function createTicketHandler(deps: TicketDeps): (input: TicketInput) => Promise<TicketOutput> {
  return async (raw) => {
    const input = readObject(raw, 'input');
    const { doc: finding } = readFinding(input.finding);
    const executionName = readExecutionName(input.executionName);
    if (!isIncidentOutcome(input.outcome)) throw new TaskInputError('outcome', `expected one of ${INCIDENT_OUTCOMES.join(', ')}, got ${describe(input.outcome)}`);
    const evidence = readEvidence(input.evidence);
    const decision = input.decision === undefined || input.decision === null ? undefined : readDecision(input.decision);
    const containment = input.containment === undefined || input.containment === null ? undefined : (readObject(input.containment, 'containment') as unknown as BlockOutput);
    const ticketInput: TicketInput = { finding, executionName, outcome: input.outcome, evidence, ...(decision ? { decision } : {}), ...(containment ? { containment } : {}) };
    const opened = await deps.tickets.open({
      title: `flowir ${input.outcome}: ${findingTitle(finding)} - review security groups`,
      description: ticketDescription(ticketInput),
      severity: finding.severity,
      finding,
      executionName,
      outcome: input.outcome,
      dedupKey: executionName,
    });
    return { ticketId: opened.id, url: opened.url };
  };
}

function readDecision(doc: unknown): Decision {
  try {
    return parseDecision(doc, 'decision');
  } catch (e) {
    if (e instanceof DecisionError) throw new TaskInputError(e.field, e.message.slice(e.field.length + 2), { cause: e });
    throw e;
  }
}

/** The ticket body: the finding, what was decided and done, and the security groups to review first. */
export function ticketDescription(input: TicketInput): string {
  const s = input.evidence.summary;
  const lines = [
    `${findingTitle(input.finding)}: ${measureText(input.finding)}, ${windowText(input.finding.window)}.`,
    `Outcome: ${input.outcome}. Execution: ${input.executionName}.`,
  ];
  if (input.decision) {
    const d = input.decision;
    lines.push(`Decision: ${d.decision} by ${d.approver} at ${d.at}${d.comment ? ` ("${d.comment}")` : ''}.`);
  }
  if (input.containment?.status === 'blocked') lines.push(`Blocked ${input.containment.blocked.join(', ')} in WAF IP set ${input.containment.ipSet.name} until ${input.containment.expiresAt}.`);
  else if (input.containment?.status === 'guarded') lines.push(`Not blocked: guardrail ${input.containment.guardrail} (${input.containment.reason}).`);
  lines.push(
    '',
    'Review these security groups: which rules let this source reach its targets, and should they?',
    ...(s.securityGroups.length > 0 ? s.securityGroups.map((g) => `- ${g}`) : ['- (none found in the evidence: check the interfaces below)']),
    ...(s.interfaces.length > 0 ? ['', `Network interfaces reached: ${s.interfaces.join(', ')}`] : []),
    '',
    ...evidenceLines(input.evidence),
  );
  return lines.join('\n');
}
