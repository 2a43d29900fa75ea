/**
 * The status page in headless Chromium (playwright-core, JavaScript disabled), served by the real handler
 * through a small node:http adapter that turns each request into a Function URL event. The handler runs
 * with the environment the synthesized template gives it (config → template → env → handler), CloudWatch
 * and DynamoDB mocked. Checks the accessibility basics (lang, title, heading order, landmarks, contrast of
 * the state colours as the browser computes them, no horizontal scrolling at 360/390 px) and that neither
 * the page nor /status.json shows any internal name the config does not list for the page. Screenshots at
 * 390×844 and 1280×800 go to .vitest/status-page/; the desktop one also to docs/img/status-page.png with NIGHTSHIFT_DOCS_SCREENSHOTS=1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/status-page/handler';
import { addNote, closeIncidents, openIncident } from '../../../lambdas/status-page/incidents';
import type { StatusPageSettings } from '../../../lambdas/status-page/settings';
import { clearStatusCache, type HttpResponse } from '../../../lambdas/status-page/status-page';
import { REPO, testApp, testConfig } from '../../support/cdk';
import { days, FakeTable, fakeMetrics, type UpSeries, urlEvent } from './support';

const OUT = join(REPO, '.vitest', 'status-page');
const NOW = new Date('2026-12-03T05:30:00Z');

/** Internal names a status page must never show: hosts, URLs, secrets, and the targets given display names. */
const CONFIG = testConfig({
  healthChecks: {
    targets: [
      {
        name: 'storefront-api',
        maxLatency: '2s',
        http: { url: 'https://origin-7f3a.internal.shop.example.com/healthz?token-free=1' },
      },
      { name: 'orders-db-primary', postgres: { secret: 'prod/shop/orders-db-credentials' } },
      { name: 'payments', tcp: { host: 'payments-gw.svc.cluster.local', port: 8443 } },
      { name: 'search', http: { url: 'https://search-9c1e.internal.shop.example.com/ping' } },
      { name: 'not-on-the-page', redis: { secret: 'prod/shop/session-redis' } },
    ],
  },
  statusPage: {
    title: 'Example Shop status',
    public: true,
    targets: [
      { target: 'storefront-api', name: 'Online shop' },
      { target: 'orders-db-primary', name: 'Orders' },
      'payments',
      { target: 'search', name: 'Search' },
    ],
  },
});

const context = { functionName: 'shop-status-page', awsRequestId: 'r' } as unknown as Context;
const table = new FakeTable();
let settings: StatusPageSettings;
let server: Server;
let base = '';
let browser: BrowserContext;
let profile = '';

/** The deployed environment of the status-page function, from the synthesized template. */
function deployedEnv(): Record<string, string> {
  const { jobs } = testApp(CONFIG);
  const resources = Template.fromStack(jobs).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'shop-status-page',
  );
  if (!fn) throw new Error('no shop-status-page function in the template');
  const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  // the table name is a Ref at synth time; deployed it is the table's fixed name
  return Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : 'shop-nightshift-status']),
  );
}

async function serveOnce(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = (await handler(urlEvent(url.pathname, req.method ?? 'GET'), context)) as HttpResponse;
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const env = deployedEnv();
  for (const [k, v] of Object.entries(env)) if (k !== 'NODE_OPTIONS') vi.stubEnv(k, v);
  settings = JSON.parse(env.NIGHTSHIFT_STATUS_PAGE ?? '{}') as StatusPageSettings;

  // 90 days: the shop had two bad days and is in an outage now; orders are fine; payments were slow
  // last week; search was added 20 days ago (no data before)
  const series: Record<string, UpSeries> = {
    'storefront-api': {
      daily: { ...days(NOW, 90, 1), '2026-10-14': 0.962, '2026-11-27': 0.993, '2026-12-03': 0.91 },
      recent: [['2026-12-03T05:29:00Z', 0]],
    },
    'orders-db-primary': { daily: days(NOW, 90, 1), recent: [['2026-12-03T05:29:00Z', 1]] },
    payments: { daily: { ...days(NOW, 90, 1), '2026-11-26': 0.998 }, recent: [['2026-12-03T05:29:00Z', 1]] },
    search: { daily: days(NOW, 20, 1), recent: [['2026-12-03T05:28:00Z', 1]] },
  };
  fakeMetrics(() => series);
  const T = 'shop-nightshift-status';
  const db = table.mock as never;
  await openIncident(db, T, 'payments', 'slow', '2026-11-26T14:02:00.000Z');
  await addNote(
    db,
    T,
    'payments',
    'Card payments take up to 30 seconds; our provider is investigating.',
    '2026-11-26T14:20:00.000Z',
  );
  await closeIncidents(db, T, 'payments', 'slow', '2026-11-26T15:10:00.000Z');
  await openIncident(db, T, 'storefront-api', 'down', '2026-12-03T05:12:00.000Z');
  await addNote(
    db,
    T,
    'storefront-api',
    'The shop is unreachable. We are rolling back this morning’s release.',
    '2026-12-03T05:21:00.000Z',
  );
  clearStatusCache();

  server = createServer((req, res) => {
    serveOnce(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), 'nightshift-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (profile) rmSync(profile, { recursive: true, force: true });
  table.mock.restore();
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** WCAG relative luminance and contrast of two CSS rgb()/rgba() colours. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number) as [number, number, number];
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

describe('status page in Chromium', () => {
  it.each([
    ['phone', 390, 844],
    ['desktop', 1280, 800],
  ])('renders at %s width (%i×%i) without JavaScript, screenshot saved', async (label, width, height) => {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Example Shop status');
    expect(await page.locator('[role=status]').textContent()).toBe('Outage in progress');
    expect(await page.locator('.target h3').allTextContents()).toEqual([
      'Online shop',
      'Orders',
      'payments',
      'Search',
    ]);
    // nothing wider than the viewport
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBe(0);
    const file = join(OUT, `status-page-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: true });
    // the docs' picture is refreshed on request only, so a test run leaves the checkout unchanged
    if (label === 'desktop' && process.env.NIGHTSHIFT_DOCS_SCREENSHOTS === '1')
      copyFileSync(file, join(REPO, 'docs', 'img', 'status-page.png'));
    await page.close();
  });

  it('works at 360 px: no horizontal scrolling, the uptime bars shrink', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/`);
    expect(
      await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
    ).toBe(0);
    const barsWidth = await page.locator('.bars').first().boundingBox();
    expect(barsWidth?.width).toBeLessThanOrEqual(360);
    await page.close();
  });

  it('accessibility basics: lang, title, one h1 and no skipped heading level, landmarks, no script', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.title()).toBe('Example Shop status');
    const levels = (await page.evaluate(
      "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => Number(h.tagName[1]))",
    )) as number[];
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    for (const landmark of [
      'body > header',
      'body > main',
      'body > footer',
      'main section[aria-labelledby]',
    ]) {
      expect(await page.locator(landmark).count(), landmark).toBeGreaterThan(0);
    }
    expect(await page.locator('script').count()).toBe(0);
    // the state is in words, not only in colour
    expect(await page.locator('.state').allTextContents()).toEqual([
      '■ Outage',
      '● Operational',
      '● Operational',
      '● Operational',
    ]);
    await page.close();
  });

  it('state colours as computed by the browser: text ≥ 4.5:1, uptime bars ≥ 3:1 against the page', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const pairs = (await page.evaluate(`(() => {
      const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const c = getComputedStyle(e).backgroundColor;
          if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
        }
        return 'rgb(255, 255, 255)';
      };
      const text = [...document.querySelectorAll('.state, .overall, .incident h3, .when, .axis, footer, .notes time')]
        .map((el) => ({ what: el.className || el.tagName, fg: getComputedStyle(el).color, bg: background(el) }));
      const bars = [...document.querySelectorAll('.bars i')]
        .map((el) => ({ what: 'bar ' + el.className, fg: getComputedStyle(el).backgroundColor, bg: background(el.parentElement) }));
      return { text, bars };
    })()`)) as {
      text: { what: string; fg: string; bg: string }[];
      bars: { what: string; fg: string; bg: string }[];
    };
    expect(pairs.text.length).toBeGreaterThan(5);
    for (const p of pairs.text)
      expect(contrast(p.fg, p.bg), `${p.what}: ${p.fg} on ${p.bg}`).toBeGreaterThanOrEqual(4.5);
    const kinds = new Set(pairs.bars.map((b) => b.what));
    expect(kinds).toEqual(new Set(['bar ok', 'bar warn', 'bar bad', 'bar none']));
    for (const p of pairs.bars)
      expect(contrast(p.fg, p.bg), `${p.what}: ${p.fg} on ${p.bg}`).toBeGreaterThanOrEqual(3);
    await page.close();
  });

  it('shows no internal name: no host, URL, secret, alarm, ARN, resource or hidden target name', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const html = await page.content();
    const json = await (await page.request.get(`${base}/status.json`)).text();
    const internal = [
      // targets shown under a display name, and the one not on the page
      'storefront-api',
      'orders-db-primary',
      'not-on-the-page',
      // where they are and how they are reached
      'origin-7f3a',
      'internal.shop.example.com',
      'search-9c1e',
      'healthz',
      'payments-gw',
      'cluster.local',
      '8443',
      'prod/shop',
      // Nightshift's own resources
      'shop-nightshift-status',
      'shop-status-page',
      'arn:',
      'lambda-url',
      'eu-west-1',
      '123456789012',
      ...settings.targets.flatMap((t) => Object.keys(t.alarms)),
    ];
    expect(Object.keys(settings.targets[0]?.alarms ?? {})).toEqual([
      'shop-health-storefront-api-down',
      'shop-health-storefront-api-latency',
    ]);
    for (const text of [html, json]) {
      expect(internal.filter((name) => text.includes(name))).toEqual([]);
    }
    // what is shown: the title, the display names, and the names the config lists as they are
    expect(html).toContain('Online shop');
    expect(json).toContain('"name": "payments"');
    await page.close();
  });
});
