/**
 * The audit as one self-contained HTML page an auditor can file: inline CSS, no script, no external
 * asset, every value escaped; a visual timeline; laid out for A4/Letter when printed and for a
 * phone's width on screen. A list of executions is one page too: the table, then every story, each
 * row linking to its story within the page (one file to file, nothing to keep together).
 */
import { createHash } from 'node:crypto';
import { escapeHtml as h } from '../../core/approval/html';
import type { AuditListing, IncidentAudit } from './audit';
import type { EvidenceCheck } from './evidence-check';
import { unrecordedProblem } from './source';
import { ABORTED_TEXT, fmt, outcomeText, type TimelineEntry } from './story';
import { originText, shownOutcome } from './render-text';

const CSS = `
:root{--ink:#1b1f24;--muted:#5b6570;--line:#d5dae0;--bg:#f6f7f9;--good:#1a7f37;--good-bg:#e6f4ea;--warn:#9a6700;--warn-bg:#fff4d6;--bad:#b42318;--bad-bg:#fdecea;--info:#0b5cad;--info-bg:#e8f1fb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:980px;margin:0 auto;padding:28px 28px 48px}
header.top{display:flex;justify-content:space-between;align-items:flex-start;gap:24px;border-bottom:2px solid var(--ink);padding-bottom:14px;margin-bottom:18px}
header.top h1{font-size:22px;margin:0 0 4px}
header.top .sub{color:var(--muted);font-size:13px;word-break:break-all}
.brand{font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:var(--muted)}
.verdict{border-radius:8px;padding:14px 18px;margin:0 0 20px;border:1px solid}
.verdict h2{margin:0 0 4px;font-size:17px}
.verdict ul{margin:8px 0 0 18px;padding:0}
.verdict.ok{background:var(--good-bg);border-color:var(--good);color:#0f5323}
.verdict.fail{background:var(--bad-bg);border-color:var(--bad);color:#7a1710}
.verdict.unchecked{background:var(--warn-bg);border-color:var(--warn);color:#5c3d00}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:24px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.card .k{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card .v{font-size:15px;font-weight:600;margin-top:2px;word-break:break-word}
.card .d{font-size:12px;color:var(--muted);margin-top:2px;word-break:break-word}
h2.section{font-size:15px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:26px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
ol.timeline{list-style:none;margin:0;padding:0 0 0 8px;position:relative}
ol.timeline::before{content:"";position:absolute;left:134px;top:6px;bottom:6px;width:2px;background:var(--line)}
ol.timeline li{display:grid;grid-template-columns:104px 28px 1fr;gap:0 8px;margin:0 0 12px;break-inside:avoid;page-break-inside:avoid}
.when{font-size:12px;color:var(--muted);text-align:right;padding-top:3px;font-variant-numeric:tabular-nums}
.when b{display:block;color:var(--ink);font-weight:600}
.dot{width:14px;height:14px;border-radius:50%;margin:4px 0 0 8px;border:3px solid #fff;box-shadow:0 0 0 2px var(--info);background:var(--info);position:relative;z-index:1}
li.good .dot{background:var(--good);box-shadow:0 0 0 2px var(--good)}
li.warn .dot{background:#d4a017;box-shadow:0 0 0 2px var(--warn)}
li.bad .dot{background:var(--bad);box-shadow:0 0 0 2px var(--bad)}
.entry{background:#fff;border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;padding:8px 12px;min-width:0}
li.good .entry{border-left-color:var(--good)} li.warn .entry{border-left-color:var(--warn)} li.bad .entry{border-left-color:var(--bad)}
.kind{display:inline-block;font-size:10px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin-right:6px}
.title{font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 0;font-size:12.5px}
dl.facts dt{color:var(--muted)} dl.facts dd{margin:0;word-break:break-word;white-space:pre-wrap}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
a{color:var(--info)}
h1{overflow-wrap:anywhere}
.scroll{max-width:100%;overflow-x:auto}
section.story{margin-top:40px;padding-top:16px;border-top:2px solid var(--ink)}
section.story h2.story-title{font-size:19px;margin:0 0 4px;overflow-wrap:anywhere}
.back{font-size:12.5px;margin:14px 0 0}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:6px;font-size:12.5px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);background:#fafbfc}
td.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
tr{break-inside:avoid;page-break-inside:avoid}
.pill{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.pill.verified,.pill.ok{background:var(--good-bg);color:var(--good)}
.pill.mismatched,.pill.missing,.pill.failed{background:var(--bad-bg);color:var(--bad)}
.pill.none,.pill.unchecked{background:var(--warn-bg);color:var(--warn)}
.recount{margin-top:10px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 12px;font-size:13px}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
footer{margin-top:30px;color:var(--muted);font-size:11.5px;border-top:1px solid var(--line);padding-top:8px;overflow-wrap:anywhere}
@media (max-width:720px){.cards{grid-template-columns:repeat(2,1fr)}}
@media (max-width:600px){
 main{padding:16px 12px 32px}
 header.top{display:block}
 .cards{grid-template-columns:1fr}
 ol.timeline{padding:0}
 ol.timeline::before,.dot{display:none}
 ol.timeline li{grid-template-columns:1fr}
 .when{text-align:left;padding:0}
 .when b{display:inline;margin-right:6px}
 dl.facts{grid-template-columns:1fr}
 dl.facts dd{margin-bottom:4px}
 table.list thead{display:none}
 table.list,table.list tbody,table.list tr,table.list td{display:block}
 table.list tr{border-bottom:1px solid var(--line);padding:6px 0}
 table.list td{border:0;padding:2px 10px;display:grid;grid-template-columns:84px minmax(0,1fr);gap:8px}
 table.list td::before{content:attr(data-label);color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em;padding-top:1px}
 table.list td .pill{justify-self:start}
}
@media print{
 @page{size:A4;margin:14mm 12mm}
 body{background:#fff;font-size:11pt}
 main{max-width:none;padding:0 2px}
 .card,.entry,table,.recount{box-shadow:none}
 .verdict,.pill,.dot,.entry,li .dot{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2.section{break-after:avoid;page-break-after:avoid}
 .cards{grid-template-columns:repeat(2,1fr)}
 section.story{break-before:page;page-break-before:always;border-top:0}
 .back{display:none}
}`;

/**
 * The page's Content-Security-Policy, in a meta tag since a file has no response headers: its one
 * stylesheet, admitted by hash, and nothing else: no script, no image, font or frame, no other
 * style (not even one injected by a value that escaped escaping), no form target, no <base>.
 * (`frame-ancestors` has no effect in a meta tag, so it is left out.) It comes before the
 * stylesheet, since a meta policy governs only what follows it. A constant with no " & or <, so it
 * goes into the attribute as it is.
 */
export const AUDIT_CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'; base-uri 'none'; form-action 'none'`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${AUDIT_CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body><main>
${body}
<footer>Generated by flowir audit on ${h(new Date().toISOString())}. The execution history is the record; evidence objects were re-read and re-hashed, and the finding re-counted from the raw records, when this page was made.</footer>
</main></body>
</html>
`;
}

/** The element ids of one story: the page of one execution keeps the plain ones; a story within a list gets its own. */
interface StoryIds {
  readonly verdict: string;
  readonly warnings: string;
  readonly timeline: string;
  readonly evidence: string;
  readonly recount: string;
  readonly objectLock: string;
}

const PAGE_IDS: StoryIds = { verdict: 'verdict', warnings: 'warnings', timeline: 'timeline', evidence: 'evidence', recount: 'recount', objectLock: 'object-lock' };

function idsWithin(prefix: string): StoryIds {
  return { verdict: `${prefix}-verdict`, warnings: `${prefix}-warnings`, timeline: `${prefix}-timeline`, evidence: `${prefix}-evidence`, recount: `${prefix}-recount`, objectLock: `${prefix}-object-lock` };
}

function verdictBlock(ok: boolean, problems: readonly string[], evidence: EvidenceCheck, id: string): string {
  if (!ok) {
    return `<section class="verdict fail" id="${h(id)}" data-verdict="failed"><h2>Checks failed: the record has been altered or is incomplete</h2><ul>${problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul></section>`;
  }
  if (evidence.verdict === 'unchecked') return `<section class="verdict unchecked" id="${h(id)}" data-verdict="unchecked"><h2>Evidence not checked</h2><p>${h(evidence.note)}</p></section>`;
  if (evidence.verdict === 'none') return `<section class="verdict ok" id="${h(id)}" data-verdict="none"><h2>No evidence to check</h2><p>${h(evidence.note)}</p></section>`;
  return `<section class="verdict ok" id="${h(id)}" data-verdict="verified"><h2>Record intact: all checks passed</h2><p>${fmt(evidence.objects.length)} evidence objects match the SHA-256 hashes in their manifest, and the finding re-counted from the raw records matches what the execution recorded.</p></section>`;
}

function card(k: string, v: string, d?: string | null): string {
  return `<div class="card"><div class="k">${h(k)}</div><div class="v">${h(v)}</div>${d ? `<div class="d">${h(d)}</div>` : ''}</div>`;
}

function when(at: string | null): string {
  if (at === null) return '<div class="when">undated</div>';
  const [date, time] = at.replace(/\.\d{3}Z$/, 'Z').split('T');
  return `<div class="when"><time datetime="${h(at)}"><b>${h(time ?? '')}</b>${h(date)}</time></div>`;
}

function entry(e: TimelineEntry): string {
  const facts = e.facts.length === 0 ? '' : `<dl class="facts">${e.facts.map((f) => `<dt>${h(f.label)}</dt><dd>${f.label === 'query' ? `<code>${h(f.value)}</code>` : h(f.value)}</dd>`).join('')}</dl>`;
  return `<li class="${h(e.tone)}" data-kind="${h(e.kind)}">${when(e.at)}<div class="dot"></div><div class="entry"><span class="kind">${h(e.kind)}</span><span class="title">${h(e.title)}</span>${facts}</div></li>`;
}

function evidenceSection(c: EvidenceCheck, ids: StoryIds): string {
  const head = `<p class="note">${c.manifestKey ? `Manifest <code>${h(c.manifestKey)}</code>` : 'No manifest'}${c.manifestCreatedAt ? `, written ${h(c.manifestCreatedAt)}` : ''}${c.store ? `, read from <code>${h(c.store)}</code>` : ''}.${c.note ? ` ${h(c.note)}.` : ''}</p>`;
  const rows = c.objects
    .map((o) => {
      const name = o.key.slice(o.key.lastIndexOf('/') + 1);
      const found = o.actual === null ? 'not found' : o.actual.sha256 === o.expected.sha256 ? 'same' : o.actual.sha256;
      return `<tr data-object="${h(name)}" data-status="${h(o.status)}"><td><code>${h(name)}</code></td><td><span class="pill ${h(o.status)}">${h(o.status === 'mismatched' ? 'altered' : o.status)}</span></td><td class="hash">${h(o.expected.sha256)}<br>${h(fmt(o.expected.bytes))} bytes</td><td class="hash">${h(found)}${o.actual && o.actual.sha256 !== o.expected.sha256 ? `<br>${h(fmt(o.actual.bytes))} bytes` : ''}</td></tr>`;
    })
    .join('');
  const table = c.objects.length === 0 ? '' : `<div class="scroll"><table id="${h(ids.evidence)}" class="evidence"><thead><tr><th>object</th><th>status</th><th>sha256 in the manifest</th><th>sha256 now</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  const unlisted = c.unlisted.length === 0 ? '' : `<p class="note">Under the incident's prefix but not in the manifest (not part of the hashed record): ${c.unlisted.map((k) => `<code>${h(k)}</code>`).join(', ')}</p>`;
  const locked = c.retention.filter((r) => r.locked);
  const locks =
    c.retention.length === 0
      ? ''
      : `<p class="note" id="${h(ids.objectLock)}">Object Lock: ${fmt(locked.length)} of ${fmt(c.retention.length)} objects locked${locked.length > 0 ? ` (${h([...new Set(locked.map((r) => r.mode))].join(', '))}), the earliest until ${h(locked.map((r) => r.retainUntil ?? '').sort()[0])}` : ''}.</p>`;
  const r = c.recount;
  const recount = r
    ? `<div class="recount" id="${h(ids.recount)}"><b>Recount from the raw records:</b> ${h(fmt(r.value))} (${h(fmt(r.records.matched))} records of the source in the window) against the threshold ${h(fmt(r.threshold))}: <span class="pill ${r.confirmed ? 'ok' : 'none'}">${r.confirmed ? 'confirmed' : 'not confirmed'}</span><br><span class="note">Recorded by the execution: ${h(r.recorded === null ? '—' : fmt(r.recorded))} · recount.json: ${h(r.stored === null ? '—' : fmt(r.stored))} · reported by the detection query: ${h(fmt(r.reported))}</span></div>`
    : '';
  return `<h2 class="section">Evidence</h2>${head}${table}${unlisted}${locks}${recount}`;
}

/** Everything of one story below its heading: verdict, warnings, cards, timeline, evidence. */
function storyBody(a: IncidentAudit, ids: StoryIds): string {
  const s = a.story;
  const f = s.finding;
  const d = s.approval?.decision ?? null;
  const c = s.containment;
  const swept = s.sweep !== null && s.sweep.released.length > 0 ? s.sweep.released : null;
  const cards = [
    card('Outcome', s.execution.status === 'ABORTED' ? 'ABORTED' : (s.outcome ?? s.execution.status), s.execution.status === 'ABORTED' ? ABORTED_TEXT : s.outcome ? outcomeText(s.outcome) : null),
    card('Finding', f ? `${f.detection} from ${f.source}${f.port !== null ? `:${f.port}` : ''}` : '—', f ? `${fmt(f.value)} > ${fmt(f.threshold)} · ${f.severity}` : null),
    card('Decision', d ? `${d.decision === 'approve' ? 'Approved' : 'Rejected'} by ${d.approver}` : s.approval?.timedOutAt ? 'Timed out' : s.approval ? 'Not decided' : 'No approval asked', d ? `${d.at}${d.sourceIp ? ` from ${d.sourceIp}` : ''}` : null),
    card(
      'Containment',
      c?.status === 'blocked' ? c.blocked.join(', ') : c?.status === 'guarded' ? `Refused: ${c.guardrail}` : swept ? swept.join(', ') : 'None',
      c?.status === 'blocked' ? `${c.ipSet.name}${s.release ? `, released ${s.release.releasedAt}` : ''}` : swept ? 'released by the sweeper after the execution ended' : s.ticket ? `ticket ${s.ticket.ticketId}` : null,
    ),
  ].join('');
  return `${verdictBlock(a.ok, a.problems, a.evidence, ids.verdict)}
${a.warnings.length > 0 ? `<section class="verdict unchecked" id="${h(ids.warnings)}"><h2>Worth a look</h2><ul>${a.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul></section>` : ''}
<section class="cards">${cards}</section>
<h2 class="section">Timeline</h2>
<ol class="timeline" id="${h(ids.timeline)}">${s.timeline.map(entry).join('')}</ol>
${evidenceSection(a.evidence, ids)}`;
}

function executionLine(a: IncidentAudit): string {
  const s = a.story;
  return `${h(originText(s.execution.origin))}: ${h(s.execution.location)}<br>${h(s.execution.executionArn)}<br>${h(s.execution.status)} · ${h(s.execution.startDate)} → ${h(s.execution.stopDate ?? 'still running')}`;
}

/** One execution's audit as a page. */
export function renderAuditHtml(a: IncidentAudit): string {
  const s = a.story;
  const body = `<header class="top"><div><div class="brand">flowir · incident audit</div><h1>${h(s.execution.name)}</h1><div class="sub">${executionLine(a)}</div></div></header>
${storyBody(a, PAGE_IDS)}`;
  return page(`flowir audit — ${s.execution.name}`, body);
}

/** An id for each story, from its execution name (Step Functions names are letters, digits, - and _ already). */
function storyAnchors(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    let id = `story-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    for (let i = 2; used.has(id); i++) id = `story-${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${i}`;
    used.add(id);
    out.set(name, id);
  }
  return out;
}

const COLUMNS = ['started', 'outcome', 'detection', 'source', 'decision', 'blocked', 'evidence', 'execution'] as const;

/**
 * A list of executions as one page: the table (cards on a phone), then each execution's full
 * story, which its row links to. `audits` are the stories behind the rows (auditList gives both);
 * a row without one is listed without a link.
 */
export function renderListHtml(l: AuditListing, audits: readonly IncidentAudit[]): string {
  const byName = new Map(audits.map((a) => [a.story.execution.name, a]));
  const anchors = storyAnchors(l.executions.filter((e) => byName.has(e.name)).map((e) => e.name));
  const cell = (label: (typeof COLUMNS)[number], html: string): string => `<td data-label="${label}">${html}</td>`;
  const rows = l.executions
    .map((e) => {
      const anchor = anchors.get(e.name);
      const name = `<code>${h(e.name)}</code>`;
      return `<tr data-execution="${h(e.name)}">${[
        cell('started', h(e.startDate.replace(/\.\d{3}Z$/, 'Z'))),
        cell('outcome', h(shownOutcome(e))),
        cell('detection', h(e.detection ?? '?')),
        cell('source', `${h(e.source ?? '?')}${e.port !== null ? `:${h(e.port)}` : ''}`),
        cell('decision', e.decision ? `${h(e.decision.decision)} by ${h(e.decision.approver)}` : '—'),
        cell('blocked', h(e.blocked.join(', ') || '—')),
        cell('evidence', `<span class="pill ${h(e.evidence)}">${h(e.evidence)}</span>`),
        cell('execution', anchor === undefined ? name : `<a href="#${h(anchor)}">${name}</a>`),
      ].join('')}</tr>`;
    })
    .join('');
  const failed = l.executions.filter((e) => e.problems.length > 0);
  const problems = [...failed.flatMap((e) => e.problems.map((p) => `<li><code>${h(e.name)}</code>: ${h(p)}</li>`)), ...l.unrecorded.map((u) => `<li><code>${h(u.name)}</code>: ${h(unrecordedProblem(u))}</li>`), ...l.problems.map((p) => `<li>${h(p)}</li>`)];
  const verdict =
    problems.length > 0
      ? `<section class="verdict fail" id="verdict" data-verdict="failed"><h2>Checks failed for ${fmt(failed.length + l.unrecorded.length)} execution(s)</h2><ul>${problems.join('')}</ul></section>`
      : `<section class="verdict ok" id="verdict" data-verdict="verified"><h2>All checks passed for ${fmt(l.executions.length)} execution(s)</h2></section>`;
  const stories = l.executions
    .map((e, i) => {
      const a = byName.get(e.name);
      const anchor = anchors.get(e.name);
      if (a === undefined || anchor === undefined) return '';
      return `<section class="story" id="${h(anchor)}" data-execution="${h(e.name)}"><div class="brand">incident ${fmt(i + 1)} of ${fmt(l.executions.length)}</div><h2 class="story-title">${h(e.name)}</h2><div class="sub note">${executionLine(a)}</div>
${storyBody(a, idsWithin(anchor))}
<p class="back"><a href="#executions">↑ back to the list</a></p></section>`;
    })
    .join('\n');
  const body = `<header class="top"><div><div class="brand">flowir · audit</div><h1>${fmt(l.executions.length)} incident execution(s)</h1><div class="sub">${h(l.source)}</div></div></header>${verdict}
${l.executions.length === 0 ? '<p class="note">No incident execution was found.</p>' : `<div class="scroll"><table id="executions" class="list"><thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`}
${stories.length > 0 ? `<p class="note">Each execution's full story follows; its name in the table links to it.</p>\n${stories}` : ''}`;
  return page('flowir audit', body);
}
