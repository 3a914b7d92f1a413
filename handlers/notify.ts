import { RULES } from '../core/detection/rules';
import type { EvidenceOutput, FindingDoc, NoticeKind, NotifyInput, NotifyOutput } from '../workflows/contract';
import { describe, readEvidence, readExecutionName, readFinding, readObject, readString, TaskInputError } from './containment/task-input';
import { evidenceLines, findingTitle, measureText, windowText } from './containment/wording';
import type { AlertTopic, NotifierPort } from './ports';

export interface NotifyDeps {
  readonly notifier: NotifierPort;
}

const KINDS: readonly NoticeKind[] = ['finding', 'escalation', 'failure'];
/** Step Functions error causes can be long stack traces; a message keeps the start. */
const MAX_CAUSE_CHARS = 2000;

/**
 * The `NotifyFinding`, `Escalate` and `NotifyFailure` steps: one plain-text message on the topic for
 * the finding's severity; escalations and failures always go to the critical topic, since they
 * mean a human must act.
 */
export function createNotifyHandler(deps: NotifyDeps): (input: NotifyInput) => Promise<NotifyOutput> {
  return async (raw) => {
    const input = readNotifyInput(raw);
    const topic: AlertTopic = input.kind === 'finding' && input.finding.severity === 'WARNING' ? 'warning' : 'critical';
    const { subject, text } = noticeText(input);
    const { messageId } = await deps.notifier.publish({
      topic,
      subject,
      text,
      data: { kind: input.kind, executionName: input.executionName, finding: input.finding, evidence: input.evidence ?? null, error: input.error ?? null },
    });
    return { topic, messageId };
  };
}

function readNotifyInput(raw: unknown): NotifyInput {
  const input = readObject(raw, 'input');
  if (typeof input.kind !== 'string' || !(KINDS as readonly string[]).includes(input.kind)) {
    throw new TaskInputError('kind', `expected one of ${KINDS.join(', ')}, got ${describe(input.kind)}`);
  }
  const kind = input.kind as NoticeKind;
  const { doc: finding } = readFinding(input.finding);
  const executionName = readExecutionName(input.executionName);
  const evidence: EvidenceOutput | undefined = input.evidence === undefined || input.evidence === null ? undefined : readEvidence(input.evidence);
  let error: NotifyInput['error'];
  if (input.error !== undefined && input.error !== null) {
    const e = readObject(input.error, 'error');
    error = { Error: readString(e.Error, 'error.Error'), Cause: typeof e.Cause === 'string' ? e.Cause : '' };
  }
  if (kind === 'failure' && error === undefined) throw new TaskInputError('error', 'a failure notice needs the error ({"Error": ..., "Cause": ...})');
  return { kind, finding, executionName, ...(evidence ? { evidence } : {}), ...(error ? { error } : {}) };
}

/** The subject and body of a notice: what happened, to what, and what to do. */
export function noticeText(input: NotifyInput): { readonly subject: string; readonly text: string } {
  const f = input.finding;
  const title = findingTitle(f);
  const facts = findingFacts(f, input.executionName);
  const evidence = input.evidence ? ['', 'Evidence:', ...evidenceLines(input.evidence).map((l) => `  ${l}`)] : [];
  switch (input.kind) {
    case 'finding':
      return {
        subject: `[flowir] ${f.severity} ${title}`,
        text: [`flowir detected: ${RULES[f.detection].describe}.`, '', ...facts, ...evidence].join('\n'),
      };
    case 'escalation':
      return {
        subject: `[flowir] ESCALATION: no decision on ${title}`,
        text: [
          'Nobody approved or rejected the proposed containment before the approval timed out.',
          'Nothing was blocked. The source may still be active: please review this incident now.',
          '',
          ...facts,
          ...evidence,
        ].join('\n'),
      };
    case 'failure': {
      const cause = input.error?.Cause ?? '';
      return {
        subject: `[flowir] FAILED: incident response for ${title}`,
        text: [
          'The incident workflow failed; the step below did not complete. Check the execution history,',
          'and check by hand that no block was left behind or is missing.',
          '',
          `Error: ${input.error?.Error ?? 'unknown'}`,
          `Cause: ${cause.length > MAX_CAUSE_CHARS ? `${cause.slice(0, MAX_CAUSE_CHARS)}... (${cause.length} characters)` : cause || '(none given)'}`,
          '',
          ...facts,
          ...evidence,
        ].join('\n'),
      };
    }
  }
}

function findingFacts(f: FindingDoc, executionName: string): string[] {
  return [
    `Source:     ${f.source}`,
    `Measured:   ${measureText(f)}`,
    `Window:     ${windowText(f.window)}`,
    `Severity:   ${f.severity}`,
    `Finding:    ${f.id}`,
    `Execution:  ${executionName}`,
  ];
}
