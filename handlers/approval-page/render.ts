import { MAX_COMMENT_LENGTH } from '../../core/approval/decision';
import { RULES } from '../../core/detection/rules';
import type { FindingDoc } from '../../workflows/contract';
import { durationText, findingTitle, groupDigits, isoSeconds, measureText, portLabel } from '../containment/wording';
import { html, page, type Html } from './layout';
import type { ApprovalView } from './view';

export interface ApprovalPageModel {
  readonly finding: FindingDoc;
  readonly executionName: string;
  readonly approver: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly now: number;
  readonly view: ApprovalView;
  /** The signed link token, posted back with the decision. */
  readonly token: string;
  /** Where the form posts (this page's own path). */
  readonly formAction: string;
}

/** The page an approver sees on opening a link: what happened, the evidence, what containment will and will not stop, and the form. */
export function renderApprovalPage(m: ApprovalPageModel): string {
  const f = m.finding;
  const e = m.view.evidence;
  const s = e.summary;
  const rule = RULES[f.detection];
  const secondsLeft = Math.max(0, m.expiresAt - m.now);
  const left = secondsLeft < 120 ? `${secondsLeft} seconds left` : `${Math.floor(secondsLeft / 60)} minutes left`;
  const severity = f.severity === 'CRITICAL' ? 'critical' : 'warning';
  const body = html`
<p><span class="tag ${severity}">${f.severity}</span> <span class="muted">Containment approval</span></p>
<h1>${findingTitle(f)}</h1>
<p>${capitalize(rule.describe)}: <strong>${measureText(f)}</strong> between ${isoSeconds(f.window.start)} and ${isoSeconds(f.window.end)} (UTC).</p>

<section aria-labelledby="evidence">
<h2 id="evidence">Evidence</h2>
<dl>
<dt>Re-count</dt><dd>${groupDigits(e.recount)} on the raw flow records: ${e.confirmed ? html`<span class="ok">confirmed</span>` : html`<strong class="critical">not confirmed (below the threshold)</strong>`}</dd>
<dt>Flow records</dt><dd>${groupDigits(s.records)} from the source: ${groupDigits(s.rejected)} rejected, ${groupDigits(s.accepted)} accepted</dd>
<dt>First seen</dt><dd>${s.firstSeen === null ? '-' : `${isoSeconds(s.firstSeen)} UTC`}</dd>
<dt>Last seen</dt><dd>${s.lastSeen === null ? '-' : `${isoSeconds(s.lastSeen)} UTC`}</dd>
${s.interfaces.length > 0 ? html`<dt>Interfaces reached</dt><dd>${s.interfaces.join(', ')}</dd>` : ''}
${s.securityGroups.length > 0 ? html`<dt>Security groups</dt><dd>${s.securityGroups.join(', ')}</dd>` : ''}
<dt>Evidence</dt><dd><code>${e.manifestKey}</code></dd>
</dl>
${countTable('Top destinations', 'Destination', s.topDestinations.map((d) => [d.address, d.records]))}
${countTable('Top destination ports', 'Port', s.topPorts.map((p) => [portLabel(p.port), p.records]))}
</section>

<section aria-labelledby="proposal">
<h2 id="proposal">If you approve, for ${durationText(m.view.proposal.blockDurationSeconds)}</h2>
${m.view.proposal.actions.map(
  (a) => html`<h3>${a.title}</h3>
<p>${a.does}</p>
<p><strong>Stops:</strong></p><ul>${a.stops.length > 0 ? a.stops.map((t) => html`<li>${t}</li>`) : html`<li>nothing by itself</li>`}</ul>
<p><strong>Does not stop:</strong></p><ul>${a.doesNotStop.map((t) => html`<li>${t}</li>`)}</ul>
<p class="muted">${a.undo}</p>`,
)}
${m.view.proposal.gaps.map((g) => html`<p class="note">${g}</p>`)}
<p class="muted">If you reject, nothing is blocked; the incident is recorded as rejected.</p>
</section>

<section aria-labelledby="decide">
<h2 id="decide">Your decision</h2>
<p>You decide as <strong>${m.approver}</strong>. This link expires at ${isoSeconds(m.expiresAt)} UTC (${left}); without a decision nothing is blocked.</p>
<form method="post" action="${m.formAction}">
<input type="hidden" name="token" value="${m.token}">
<label for="comment">Comment (optional, recorded with your decision)</label>
<textarea id="comment" name="comment" maxlength="${MAX_COMMENT_LENGTH}"></textarea>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve containment</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>
</section>
<p class="muted">Finding <code>${f.id}</code>, execution <code>${m.executionName}</code>.</p>
`;
  return page(`Approve containment: ${findingTitle(f)}`, body);
}

export type ResultTone = 'ok' | 'warning' | 'critical';

export interface ResultPageModel {
  readonly title: string;
  /** Plain text sentences. */
  readonly message: string;
  readonly tone: ResultTone;
  readonly details?: ReadonlyArray<readonly [string, string]>;
}

/** A page that reports an outcome (decided, refused, already decided, not found) in plain words. */
export function renderResultPage(m: ResultPageModel): string {
  const body = html`
<h1 class="${m.tone}">${m.title}</h1>
<p>${m.message}</p>
${m.details && m.details.length > 0 ? html`<section><dl>${m.details.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>` : ''}
`;
  return page(m.title, body);
}

function countTable(caption: string, what: string, rows: ReadonlyArray<readonly [string, number]>): Html {
  if (rows.length === 0) return html``;
  return html`<h3>${caption}</h3>
<table><thead><tr><th scope="col">${what}</th><th scope="col" class="n">Records</th></tr></thead>
<tbody>${rows.map(([k, n]) => html`<tr><td>${k}</td><td class="n">${groupDigits(n)}</td></tr>`)}</tbody></table>`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
