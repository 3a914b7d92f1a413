/**
 * An execution stopped while its block waits for expiry (Ctrl-C, StopExecution) had already passed
 * MarkContained: its state data says CONTAINED. The audit must still tell it as ABORTED, with the
 * outcome FAILED that `flowir run --json` gives it (the outcome set has no ABORTED), and say what it
 * had reached. The history is a played one, cut at the expiry wait and closed by ExecutionAborted,
 * as the local engine records a stopped execution.
 */
import { parseHistoryDocument } from '../../../local/audit/history';
import { renderAuditHtml } from '../../../local/audit/render-html';
import { renderAuditText } from '../../../local/audit/render-text';
import { incidentStory } from '../../../local/audit/story';
import type { IncidentAudit } from '../../../local/audit/audit';
import type { ExecutionHistoryDocument } from '../../../local/history';
import { INCIDENT_WAITS } from '../../../workflows/contract';
import { playScenario } from './scenario';

function abortedInExpiryWait(doc: ExecutionHistoryDocument): ExecutionHistoryDocument {
  const waitAt = doc.events.findIndex((e) => e.type === 'WaitStateEntered' && (e as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name === INCIDENT_WAITS.expiry);
  expect(waitAt).toBeGreaterThan(0);
  const kept = doc.events.slice(0, waitAt + 1);
  const last = kept[kept.length - 1];
  if (last === undefined) throw new Error('no events before the expiry wait');
  const stopDate = new Date(Date.parse(String(last.timestamp)) + 1000).toISOString();
  const aborted = { id: kept.length + 1, previousEventId: kept.length, type: 'ExecutionAborted', timestamp: stopDate, executionAbortedEventDetails: { error: 'States.Aborted', cause: 'the run was interrupted (SIGINT)' } };
  return { ...doc, status: 'ABORTED', stopDate, output: null, error: 'States.Aborted', cause: 'the run was interrupted (SIGINT)', events: [...kept, aborted] as ExecutionHistoryDocument['events'] };
}

it('an execution aborted after MarkContained: ABORTED in text and HTML, outcome FAILED, and what it had reached', async () => {
  const played = await playScenario('contained');
  const doc = abortedInExpiryWait(played.document);
  const execution = parseHistoryDocument(JSON.stringify(doc), played.historyFile, 'local');
  const story = incidentStory(execution);
  // The state data says CONTAINED; a stopped execution has no outcome of its own.
  expect(story.outcome).toBe('FAILED');
  const last = story.timeline[story.timeline.length - 1];
  expect(last).toEqual({
    at: doc.stopDate,
    kind: 'outcome',
    title: 'Outcome: ABORTED — stopped before it ended',
    facts: [
      { label: 'status', value: 'ABORTED' },
      { label: 'outcome', value: 'stopped before it ended, having reached CONTAINED; any block it made is released by the sweeper. Its outcome is FAILED in the --json documents, as the outcome set has no ABORTED' },
    ],
    tone: 'warn',
  });

  const audit: IncidentAudit = { source: 'test', story, evidence: { verdict: 'unchecked', store: null, manifestKey: null, manifestCreatedAt: null, objects: [], unlisted: [], recount: null, problems: [], note: 'not checked here', retention: [], warnings: [] }, record: { verdict: 'unsealed', anchor: null, agreed: [], problems: [], warnings: [] }, ok: true, problems: [], warnings: [], historyRetention: null };
  const text = renderAuditText(audit);
  expect(text).toContain('  status       ABORTED: stopped before it ended. Its outcome is FAILED in the --json documents, as the outcome set has no ABORTED\n');
  expect(text).not.toMatch(/outcome (FAILED|CONTAINED) \(/);
  const html = renderAuditHtml(audit);
  expect(html).toContain('<div class="card"><div class="k">Outcome</div><div class="v">ABORTED</div><div class="d">stopped before it ended</div></div>');
});
