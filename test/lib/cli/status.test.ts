/**
 * `nightshift status note`: the real program in-process, DynamoDB mocked by an in-memory incident table
 * (aws-sdk-client-mock), a config file on disk. The note lands on the open incident, else as a notice;
 * unknown targets and configs without a status page are usage errors that say what to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { addNote, listIncidents, openIncident } from '../../../lambdas/status-page/incidents';
import { FakeTable } from '../../lambdas/status-page/support';
import { runCliInProcess } from '../../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-status-'));
const CONFIG = join(dir, 'nightshift.config.yaml');
writeFileSync(
  CONFIG,
  `project: shop
region: eu-west-1
alerts:
  levels: [{ name: team, email: [team@example.com] }]
healthChecks:
  targets:
    - { name: api, http: { url: "https://api.internal.example.com/health" } }
    - { name: db, postgres: { secret: prod/shop/db } }
statusPage:
  title: Shop status
  targets: [api, { target: db, name: Database }]
`,
);
const NO_PAGE = join(dir, 'no-page.yaml');
writeFileSync(
  NO_PAGE,
  `project: shop
region: eu-west-1
alerts:
  levels: [{ name: team, email: [team@example.com] }]
`,
);
const TABLE = 'shop-nightshift-status';
const table = new FakeTable();
const dynamo = table.mock as never;

afterAll(() => {
  table.mock.restore();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  table.items.clear();
  table.install();
});

describe('nightshift status note', () => {
  it('adds the note to the open incident of the target', async () => {
    await openIncident(dynamo, TABLE, 'api', 'down', '2026-12-03T05:00:00.000Z');
    const out = await runCliInProcess(
      '--no-color',
      '--config',
      CONFIG,
      'status',
      'note',
      'api',
      'Rolling back the release.',
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Added to the open down incident of api (since 2026-12-03T05:00:00.000Z).');
    const [incident] = await listIncidents(dynamo, TABLE, 'api');
    expect(incident?.notes.map((n) => n.text)).toEqual(['Rolling back the release.']);
    expect(table.mock.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('takes the display name too, and posts a notice when nothing is open (--json)', async () => {
    const out = await runCliInProcess(
      '--config',
      CONFIG,
      '--json',
      'status',
      'note',
      'Database',
      '  Maintenance on Sunday 03:00 UTC. ',
    );
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result).toMatchObject({ target: 'db', display: 'Database', created: true });
    expect(result.incident).toMatchObject({
      kind: 'notice',
      notes: [{ text: 'Maintenance on Sunday 03:00 UTC.' }],
    });
    const [notice] = await listIncidents(dynamo, TABLE, 'db');
    expect(notice?.closedAt).toBe(notice?.openedAt);
  });

  it('a second note on the same incident is appended, in order', async () => {
    await openIncident(dynamo, TABLE, 'api', 'slow', '2026-12-03T05:00:00.000Z');
    await addNote(dynamo, TABLE, 'api', 'Investigating.', '2026-12-03T05:01:00.000Z');
    await runCliInProcess('--config', CONFIG, 'status', 'note', 'api', 'Fixed; watching.');
    const [incident] = await listIncidents(dynamo, TABLE, 'api');
    expect(incident?.notes.map((n) => n.text)).toEqual(['Investigating.', 'Fixed; watching.']);
  });

  it('refuses a target that is not on the page, naming the ones that are', async () => {
    const out = await runCliInProcess('--no-color', '--config', CONFIG, 'status', 'note', 'worker', 'x');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(
      '"worker" is not on the status page — use one of api, db (statusPage.targets)',
    );
    expect(table.all()).toEqual([]);
  });

  it('refuses an empty note and a config without a status page', async () => {
    const empty = await runCliInProcess('--no-color', '--config', CONFIG, 'status', 'note', 'api', '   ');
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('the note is empty')]);
    const none = await runCliInProcess('--no-color', '--config', NO_PAGE, 'status', 'note', 'api', 'hi');
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringContaining('this config has no statusPage section'),
    ]);
  });

  it('reports a DynamoDB failure without a stack trace', async () => {
    table.mock.rejects(new Error('AccessDeniedException: not authorized to perform dynamodb:Query'));
    const out = await runCliInProcess('--no-color', '--config', CONFIG, 'status', 'note', 'api', 'hello');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('could not post the note: AccessDeniedException');
    expect(out.stderr).toContain('check your AWS credentials');
  });
});
