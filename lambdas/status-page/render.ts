/**
 * The status page's HTML: one small document with inline CSS and no script, semantic landmarks
 * (header, main, sections with headings, footer), states in words as well as colours, and a layout that
 * works from 320 px up. Every text is escaped; the only names shown are the title and display names.
 */

import { escapeHtml } from '../shared/format';
import type { PublicIncident, PublicStatus, PublicTarget, TargetState } from './status';

/**
 * State colours: text on the page background (WCAG AA, ≥ 4.5:1 — checked in the browser test) and
 * the uptime bars (≥ 3:1 against the background, non-text contrast).
 */
export const STATE_STYLE: Record<TargetState, { label: string; color: string; symbol: string }> = {
  operational: { label: 'Operational', color: '#116329', symbol: '●' },
  degraded: { label: 'Degraded', color: '#7d4e00', symbol: '▲' },
  down: { label: 'Outage', color: '#b3261e', symbol: '■' },
  unknown: { label: 'No recent data', color: '#4f5661', symbol: '○' },
};
export const PAGE_BACKGROUND = '#ffffff';
export const TEXT_COLOR = '#1f2328';
/** Bar colour of a day without data: ≥ 3:1 against the background as well, told apart by its height. */
export const NO_DATA_COLOR = '#8a8f98';

const OVERALL: Record<TargetState, string> = {
  operational: 'All systems operational',
  degraded: 'Some systems degraded',
  down: 'Outage in progress',
  unknown: 'Status partly unknown',
};

const KIND_LABEL: Record<PublicIncident['kind'], string> = {
  down: 'Outage',
  slow: 'Slow responses',
  notice: 'Notice',
};

/** "2026-12-03 05:40 UTC" */
export function utcText(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Bar class of a day: ok (≥ 99.9 %), warn (≥ 95 %), bad, or none (no data). */
function barClass(uptime: number | null): string {
  if (uptime === null) return 'none';
  if (uptime >= 0.999) return 'ok';
  if (uptime >= 0.95) return 'warn';
  return 'bad';
}

function percent(uptime: number | null): string {
  return uptime === null ? 'no data' : `${(Math.floor(uptime * 10_000) / 100).toFixed(2)} %`;
}

function targetHtml(t: PublicTarget, index: number): string {
  const style = STATE_STYLE[t.state];
  const id = `t${index}`;
  const uptime =
    t.uptimePercent === null
      ? 'No uptime data for the last 90 days'
      : `${t.uptimePercent.toFixed(2)} % uptime over the last 90 days${t.daysWithData < t.days.length ? ` (${t.daysWithData} of ${t.days.length} days have data)` : ''}`;
  const below = t.days.filter((d) => d.uptime !== null && d.uptime < 0.999).length;
  const bars = t.days
    .map((d) => `<i class="${barClass(d.uptime)}" title="${d.date}: ${percent(d.uptime)}"></i>`)
    .join('');
  return `<li class="target" aria-labelledby="${id}">
<div class="row"><h3 id="${id}">${escapeHtml(t.name)}</h3><p class="state state-${t.state}" style="color:${style.color}"><span aria-hidden="true">${style.symbol}</span> ${style.label}</p></div>
<p class="uptime">${uptime}${below ? `; ${below} day${below === 1 ? '' : 's'} below 99.9 %` : ''}.</p>
<div class="bars" aria-hidden="true">${bars}</div>
<div class="axis" aria-hidden="true"><span>90 days ago</span><span>today</span></div>
</li>`;
}

function incidentHtml(i: PublicIncident): string {
  const when = i.closedAt
    ? i.kind === 'notice'
      ? utcText(i.openedAt)
      : `${utcText(i.openedAt)} – ${utcText(i.closedAt)}`
    : `since ${utcText(i.openedAt)}`;
  const status = i.kind === 'notice' ? '' : i.closedAt ? ' · Resolved' : ' · Ongoing';
  const notes = i.notes.length
    ? `<ul class="notes">${i.notes.map((n) => `<li><time datetime="${n.at}">${utcText(n.at)}</time> ${escapeHtml(n.text)}</li>`).join('')}</ul>`
    : '';
  return `<li class="incident${i.closedAt ? '' : ' open'}"><h3>${KIND_LABEL[i.kind]}: ${escapeHtml(i.target)}</h3>
<p class="when"><time datetime="${i.openedAt}">${when}</time>${status}</p>${notes}</li>`;
}

export function renderHtml(status: PublicStatus): string {
  const overall = STATE_STYLE[status.state];
  const incidents = status.incidents.length
    ? `<ul class="incidents">${status.incidents.map(incidentHtml).join('')}</ul>`
    : '<p>No incidents in the last 14 days.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(status.title)}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${TEXT_COLOR};background:${PAGE_BACKGROUND}}
header,main,footer{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:0}
.overall{font-size:1.15rem;font-weight:600;margin:.25rem 0;padding:.75rem 1rem;border-left:.4rem solid currentColor;background:#f6f8fa}
ul{list-style:none;margin:0;padding:0}
.target{padding:.9rem 0;border-top:1px solid #d0d7de}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;align-items:baseline}
.state{margin:0;font-weight:600}
.uptime{margin:.25rem 0 .5rem;font-size:.95rem}
.bars{display:flex;align-items:flex-end;gap:1px;height:2rem}
.bars i{flex:1 1 0;min-width:1px;height:100%;border-radius:1px}
.bars .ok{background:${STATE_STYLE.operational.color}}
.bars .warn{background:${STATE_STYLE.degraded.color}}
.bars .bad{background:${STATE_STYLE.down.color}}
.bars .none{background:${NO_DATA_COLOR};height:30%}
.axis{display:flex;justify-content:space-between;font-size:.8rem;color:#4f5661}
.incident{padding:.75rem 0;border-top:1px solid #d0d7de}
.incident.open h3{color:${STATE_STYLE.down.color}}
.when{margin:.1rem 0;font-size:.9rem;color:#4f5661}
.notes li{margin:.25rem 0}
.notes time{font-size:.85rem;color:#4f5661;margin-right:.35rem}
footer{font-size:.85rem;color:#4f5661}
a{color:#0550ae}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(status.title)}</h1>
<p class="overall" role="status" style="color:${overall.color}">${OVERALL[status.state]}</p>
</header>
<main>
<section aria-labelledby="services">
<h2 id="services">Services</h2>
<ul>${status.targets.map(targetHtml).join('\n')}</ul>
</section>
<section aria-labelledby="incidents">
<h2 id="incidents">Incidents</h2>
${incidents}
</section>
</main>
<footer>
<p>Updated <time datetime="${status.generatedAt}">${utcText(status.generatedAt)}</time>. Uptime is the share of passed checks per UTC day; days without checks count neither way. Also as <a href="status.json">JSON</a>.</p>
</footer>
</body>
</html>
`;
}
