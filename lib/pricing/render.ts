/**
 * The estimate as text, for `nightshift plan`: one row per line, totals for the app alone, and the
 * lines that depend on data size, pages and network shown apart so the base figure stays comparable.
 */
import type { CostGroup, Estimate } from './estimate';

const usd = (n: number): string => `$${n.toFixed(2)}`;

const GROUP_TITLE: Record<CostGroup, string> = {
  base: 'the app itself',
  storage: 'storage (depends on backup and log sizes)',
  sms: 'SMS (depends on pages and country)',
  network: 'network (jobs in a VPC)',
};

export function formatEstimate(estimate: Estimate): string[] {
  const out: string[] = [
    `Monthly cost estimate (${estimate.region}, list prices as of ${estimate.pricesAsOf}; "free tier" applies the always-free allowances)`,
  ];
  const width = Math.max(...estimate.lines.map((l) => `${l.service} ${l.item}`.length), 20);
  for (const group of ['base', 'storage', 'sms', 'network'] as const) {
    const lines = estimate.lines.filter((l) => l.group === group);
    if (lines.length === 0) continue;
    out.push(
      '',
      `  ${GROUP_TITLE[group]}`,
      `    ${'line'.padEnd(width)}  ${'list'.padStart(8)}  ${'free tier'.padStart(9)}  basis`,
    );
    for (const l of lines) {
      out.push(
        `    ${`${l.service} ${l.item}`.padEnd(width)}  ${usd(l.listUsd).padStart(8)}  ${usd(l.afterFreeTierUsd).padStart(9)}  ${l.basis}`,
      );
    }
    const total = estimate.totals[group];
    out.push(
      `    ${'subtotal'.padEnd(width)}  ${usd(total.listUsd).padStart(8)}  ${usd(total.afterFreeTierUsd).padStart(9)}`,
    );
  }
  const all = estimate.totals.all;
  out.push(
    '',
    `  total ${usd(all.listUsd)} a month at list prices, ${usd(all.afterFreeTierUsd)} with the free tier`,
  );
  return out;
}
