import { createHash } from 'node:crypto';
import { escapeHtml } from '../../core/approval/html';

/**
 * The one stylesheet, inline so that the page loads no external asset; the CSP admits it by hash,
 * so no other style (injected or not) applies, and no script runs at all.
 */
export const PAGE_CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;line-height:1.3;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
p,li,td,th{overflow-wrap:anywhere}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.25rem .75rem;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line)}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
ul{padding-left:1.25rem;margin:.25rem 0}
.tag{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.critical{color:var(--bad)}.warning{color:var(--warn)}.ok{color:var(--ok)}.muted{color:var(--muted)}
.note{border-left:4px solid var(--warn);padding-left:.75rem}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
textarea{width:100%;min-height:5rem;font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button{flex:1 1 12rem;min-height:3rem;font:inherit;font-weight:600;border-radius:8px;border:0;color:#fff;cursor:pointer}
button.approve{background:var(--ok)}button.reject{background:var(--bad)}
footer{color:var(--muted);font-size:.85rem;margin:2rem 0 1rem}
`.trim();

const CSS_HASH = createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64');

/** No script, no external anything; forms post only back here; never framed. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${CSS_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/**
 * Headers of every approval response. The link carries a signed token, so pages are never cached
 * and the referrer never leaves the origin; `same-origin` (not `no-referrer`) because with
 * `no-referrer` browsers send `Origin: null` on the form post, which the CSRF check must refuse.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
};

/** A marker that a string is already HTML (built by these templates from escaped parts). */
export interface Html {
  readonly html: string;
}

/** Template tag: every interpolated value is escaped unless it is {@link Html}; arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

export type HtmlValue = Html | string | number | boolean | null | undefined | ReadonlyArray<HtmlValue>;

function render(v: HtmlValue): string {
  if (Array.isArray(v)) return (v as ReadonlyArray<HtmlValue>).map(render).join('');
  if (typeof v === 'object' && v !== null && 'html' in v) return (v as Html).html;
  return escapeHtml(v as string | number | boolean | null | undefined);
}

/** A whole page: title, body, and the stylesheet the CSP admits. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${{ html: PAGE_CSS }}</style>
</head>
<body><main>
${body}
<footer>flowir incident response</footer>
</main></body>
</html>
`.html;
}
