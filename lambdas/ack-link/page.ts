/**
 * The pages the ack link shows: small, readable on a phone at 3 a.m., no script, no external resource.
 * Every response forbids caching, framing and referrers (the URL is the credential).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../shared/format';

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--mute:#555;--ok:#0a7d32;--bad:#b3261e;--btn:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#111;--mute:#aaa}}
*{box-sizing:border-box}
body{margin:0;font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:32rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
.tag{display:inline-block;font-size:.8rem;font-weight:600;letter-spacing:.04em;padding:.1rem .45rem;border-radius:.3rem;background:var(--bad);color:#fff}
.tag.ok{background:var(--ok)}
.tag.mute{background:var(--mute)}
dl{margin:0 0 1.25rem}
dt{font-size:.8rem;color:var(--mute);margin-top:.6rem}
dd{margin:0;word-break:break-word}
button{width:100%;min-height:3.25rem;font:inherit;font-weight:600;color:#fff;background:var(--btn);border:0;border-radius:.6rem;cursor:pointer}
p.small{font-size:.85rem;color:var(--mute)}
code{font-size:.85em;word-break:break-all}
`.trim();

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

function page(
  statusCode: number,
  title: string,
  inner: string,
  extra: Record<string, string> = {},
): HttpResponse {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>${escapeHtml(title)} · Nightshift</title>
<style>${STYLE}</style>
</head>
<body><main>
${inner}
</main></body>
</html>
`;
  return { statusCode, headers: { ...SECURITY_HEADERS, ...extra }, body };
}

export interface LinkView {
  readonly title: string;
  readonly alarm: string;
  /** "Wed 2 Oct, 17:04 BST (23 min ago)" */
  readonly since: string;
  readonly level: string;
  readonly recipient: string;
}

function facts(view: LinkView): string {
  return `<dl>
<dt>Alarm</dt><dd>${escapeHtml(view.alarm)}</dd>
<dt>In ALARM since</dt><dd>${escapeHtml(view.since)}</dd>
<dt>Paged</dt><dd>${escapeHtml(view.level)} · ${escapeHtml(view.recipient)}</dd>
</dl>`;
}

/** GET: what would be acknowledged, and the button. Nothing is recorded until the form is posted. */
export function confirmPage(view: LinkView): HttpResponse {
  return page(
    200,
    'Acknowledge',
    `<span class="tag">ALARM</span>
<h1>${escapeHtml(view.title)}</h1>
${facts(view)}
<form method="post">
<button type="submit">Acknowledge</button>
</form>
<p class="small">Acknowledging stops the escalation for this episode and tells the team who took it. You still get the RESOLVED message.</p>`,
  );
}

/** POST succeeded. */
export function acknowledgedPage(view: LinkView, after: string): HttpResponse {
  return page(
    200,
    'Acknowledged',
    `<span class="tag ok">ACKNOWLEDGED</span>
<h1>${escapeHtml(view.title)}</h1>
<p><strong>Acknowledged by ${escapeHtml(view.recipient)} after ${escapeHtml(after)}.</strong> The escalation stops at its next check and the team is told.</p>
${facts(view)}
<p class="small">If the alarm recovers you get the RESOLVED message; if it fires again, the new episode pages again.</p>`,
  );
}

export type Refusal =
  | { readonly kind: 'malformed' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'expired'; readonly alarm: string }
  | { readonly kind: 'used'; readonly alarm: string; readonly usedAt: string }
  | { readonly kind: 'over'; readonly alarm: string; readonly why: string }
  | { readonly kind: 'rate-limited'; readonly alarm: string }
  | { readonly kind: 'method' }
  | { readonly kind: 'unavailable'; readonly alarm: string };

function cliHint(alarm?: string): string {
  return `<p class="small">With AWS credentials you can always acknowledge from a terminal: <code>nightshift ack ${escapeHtml(alarm ?? '<alarm>')}</code></p>`;
}

/** The human page for every refusal, with its status code. */
export function refusalPage(refusal: Refusal): HttpResponse {
  switch (refusal.kind) {
    case 'malformed':
      return page(
        400,
        'Broken link',
        `<span class="tag mute">400</span><h1>This link is damaged</h1>
<p>The acknowledge link was cut or changed on the way (some mail and SMS apps break long links). Open it again from the original message, or copy it whole.</p>${cliHint()}`,
      );
    case 'unknown':
      return page(
        404,
        'Unknown link',
        `<span class="tag mute">404</span><h1>This link does not exist</h1>
<p>No page was sent with this link, or it was removed after it expired. Use the link of the latest message.</p>${cliHint()}`,
      );
    case 'expired':
      return page(
        410,
        'Link expired',
        `<span class="tag mute">410</span><h1>This link has expired</h1>
<p>Acknowledge links work for 24 hours after the page was sent. Use the link of a newer message for <strong>${escapeHtml(refusal.alarm)}</strong>.</p>${cliHint(refusal.alarm)}`,
      );
    case 'used':
      return page(
        410,
        'Already used',
        `<span class="tag ok">410</span><h1>Already acknowledged with this link</h1>
<p><strong>${escapeHtml(refusal.alarm)}</strong> was acknowledged with this link at ${escapeHtml(refusal.usedAt)}. Nothing more to do here.</p>`,
      );
    case 'over':
      return page(
        410,
        'Nothing to acknowledge',
        `<span class="tag ok">410</span><h1>Nothing to acknowledge</h1>
<p><strong>${escapeHtml(refusal.alarm)}</strong>: ${escapeHtml(refusal.why)}</p>`,
      );
    case 'rate-limited':
      return page(
        429,
        'Too many attempts',
        `<span class="tag mute">429</span><h1>Too many attempts with this link</h1>
<p>This link has been opened too often and is locked. Use the link of a newer message.</p>${cliHint(refusal.alarm)}`,
        { 'retry-after': '3600' },
      );
    case 'method':
      return page(
        405,
        'Not allowed',
        `<span class="tag mute">405</span><h1>Open the link in a browser</h1><p>Only GET and POST are answered.</p>`,
        { allow: 'GET, POST' },
      );
    case 'unavailable':
      return page(
        503,
        'Try again',
        `<span class="tag mute">503</span><h1>Could not record the acknowledgement</h1>
<p>Nothing was recorded for <strong>${escapeHtml(refusal.alarm)}</strong>. Go back and press Acknowledge again in a moment.</p>${cliHint(refusal.alarm)}`,
        { 'retry-after': '5' },
      );
  }
}
