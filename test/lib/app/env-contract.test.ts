/**
 * The environment contract on both sides (DESIGN rule 11, docs/adr/004-environment-contract.md): for
 * every example config (and one with a Fargate backup and an export-task log group), every variable a
 * synthesized function or task definition has is declared by its job's contract and read by the reader,
 * every variable the reader requires is written, and the reader parses the values as deployed. Then the
 * real handlers, given the deployed environment minus one required variable, fail with their reader's
 * error: the handler reads its environment through its contract and nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ackLinkEnv } from '../../../lambdas/ack-link/env';
import { alertRouterEnv } from '../../../lambdas/alert-router/env';
import { backupEnv, backupTaskEnv } from '../../../lambdas/backup/env';
import { dbMaintenanceEnv } from '../../../lambdas/db-maintenance/env';
import { healthCheckEnv } from '../../../lambdas/health-check/env';
import { logArchiveEnv } from '../../../lambdas/log-archive/env';
import { type EnvContract, EnvironmentInvalid, NODE_OPTIONS_VAR } from '../../../lambdas/shared/env';
import { statusPageEnv } from '../../../lambdas/status-page/env';
import { webhookDeliveryEnv } from '../../../lambdas/webhook-delivery/env';
import { parseConfigText } from '../../../lib/config';
import type { NightshiftConfig } from '../../../lib/config/schema';
import { REPO, testApp, testConfig } from '../../support/cdk';
import {
  contractFindings,
  type DeployedEnvironment,
  deployedEnvironments,
  readerError,
  resolveValue,
  type TemplateJson,
} from '../../support/env-contract';

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
  securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
};

/**
 * What the examples lack: a Fargate backup task, a log group exported by export tasks and a webhook on
 * a rotating level.
 */
const VARIANT = testConfig({
  alerts: {
    levels: [
      {
        name: 'team',
        email: ['team@example.com'],
        webhooks: [{ kind: 'slack', secret: 'prod/shop/slack-hook' }],
      },
      {
        name: 'oncall',
        rotation: {
          members: [
            { name: 'ana', email: 'ana@example.com' },
            { name: 'ben', sms: '+4915112345678' },
          ],
          handoff: { time: '09:00' },
          every: '1w',
          start: '2026-01-05',
        },
        webhooks: [{ kind: 'json', secret: 'ssm:/prod/shop/json-hook' }],
      },
    ],
  },
  network: NETWORK,
  healthChecks: { targets: [{ name: 'api', http: { url: 'https://shop.example.com/health' } }] },
  backups: {
    objectLock: 'governance',
    targets: [
      { name: 'db', postgres: { secret: 'prod/shop/db' }, compressionLevel: 6 },
      {
        name: 'big',
        runtime: 'fargate',
        postgres: { secret: 'prod/shop/big' },
        verify: { secret: 'prod/shop/scratch' },
      },
    ],
  },
  logArchive: { groups: [{ name: '/ecs/api' }, { name: '/ecs/big', mode: 'export-task' }] },
  maintenance: {
    tasks: [
      {
        name: 'vacuum',
        kind: 'vacuum',
        schedule: 'cron(0 4 ? * SUN *)',
        postgres: { secret: 'prod/shop/db' },
      },
    ],
  },
  statusPage: { title: 'Shop status', targets: ['api'] },
});

const CONFIGS: [string, NightshiftConfig][] = [
  ...readdirSync(join(REPO, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f): [string, NightshiftConfig] => [
      f,
      parseConfigText(readFileSync(join(REPO, 'examples', f), 'utf8'), f),
    ]),
  ['fargate + export-task variant', VARIANT],
];

interface Synthesized {
  readonly environments: DeployedEnvironment[];
  readonly templates: TemplateJson[];
  readonly config: NightshiftConfig;
}

const synthesized = new Map<string, Synthesized>();
function synth(label: string, config: NightshiftConfig): Synthesized {
  let found = synthesized.get(label);
  if (!found) {
    const { app } = testApp(config);
    const templates = app.synth().stacks.map((s) => s.template as TemplateJson);
    found = { environments: deployedEnvironments(config.project, templates), templates, config };
    synthesized.set(label, found);
  }
  return found;
}

function resolved(s: Synthesized, e: DeployedEnvironment): Record<string, string> {
  // an environment-agnostic example (no account) deploys into whatever account the credentials name
  const where = { region: s.config.region, account: s.config.account ?? '123456789012' };
  return Object.fromEntries(
    Object.entries(e.written).map(([k, v]) => [k, resolveValue(v, e.template, s.templates, where)]),
  );
}

describe.each(CONFIGS)('environment contract: %s', (label, config) => {
  it('every function and task: written = declared and read, required = written, and the reader parses it', () => {
    const s = synth(label, config);
    expect(s.environments.length).toBeGreaterThan(0);
    for (const e of s.environments) {
      if (!e.contract) {
        // CDK's own provider functions (AwsCustomResource) carry no variables; anything else needs a contract.
        expect(e.written, `${e.name} has variables but no contract`).toEqual({});
        continue;
      }
      expect(contractFindings(e.contract, e.written, resolved(s, e)), e.name).toEqual([]);
    }
  });

  it('each required variable, when missing, is reported by name', () => {
    const s = synth(label, config);
    for (const e of s.environments) {
      if (!e.contract) continue;
      const env = resolved(s, e);
      for (const v of e.contract.variables.filter((x) => x.required && x.readBy === 'handler')) {
        const { [v.name]: _dropped, ...without } = env;
        expect(readerError(e.contract, without)?.variable, `${e.name} without ${v.name}`).toBe(v.name);
      }
    }
  });
});

describe('environment contract: coverage and the check itself', () => {
  it('the configs above exercise every contract', () => {
    const seen = new Set<EnvContract<unknown>>();
    for (const [label, config] of CONFIGS)
      for (const e of synth(label, config).environments) if (e.contract) seen.add(e.contract);
    expect(seen).toEqual(
      new Set([
        healthCheckEnv,
        alertRouterEnv,
        ackLinkEnv,
        logArchiveEnv,
        backupEnv,
        backupTaskEnv,
        dbMaintenanceEnv,
        statusPageEnv,
        webhookDeliveryEnv,
      ]),
    );
  });

  it('catches an unread variable, a missing one, a declared one the reader ignores and wrong NODE_OPTIONS', () => {
    const s = synth(CONFIGS[CONFIGS.length - 1]![0], VARIANT);
    const e = s.environments.find((x) => x.contract === logArchiveEnv)!;
    const env = resolved(s, e);
    expect(contractFindings(logArchiveEnv, e.written, env)).toEqual([]);

    // a template copy with one variable nobody reads and one required variable left out
    const written: Record<string, unknown> = { ...e.written, NIGHTSHIFT_UNREAD: 'x' };
    const values: Record<string, string> = { ...env, NIGHTSHIFT_UNREAD: 'x' };
    delete written.NIGHTSHIFT_TIME_ZONE;
    delete values.NIGHTSHIFT_TIME_ZONE;
    const findings = contractFindings(logArchiveEnv, written, values);
    expect(findings).toContain(
      'NIGHTSHIFT_UNREAD is written but not in the contract (lambdas/log-archive/env.ts)',
    );
    expect(findings).toContain('NIGHTSHIFT_TIME_ZONE is required by the reader but not written');
    expect(
      findings.some((f) => f.includes('reader fails') && f.includes('NIGHTSHIFT_TIME_ZONE is not set')),
    ).toBe(true);

    // a contract that declares a variable its reader never looks at
    const lax = {
      ...logArchiveEnv,
      variables: [
        ...logArchiveEnv.variables,
        { name: 'NIGHTSHIFT_UNREAD', required: false, readBy: 'handler' as const },
      ],
    };
    expect(
      contractFindings(lax, { ...e.written, NIGHTSHIFT_UNREAD: 'x' }, { ...env, NIGHTSHIFT_UNREAD: 'x' }),
    ).toEqual(['NIGHTSHIFT_UNREAD is written and declared but the reader never reads it']);

    // NODE_OPTIONS overwritten by a default (the log archive's V8 flags lost)
    expect(
      contractFindings(logArchiveEnv, { ...e.written, [NODE_OPTIONS_VAR]: '--enable-source-maps' }, env),
    ).toEqual([
      expect.stringMatching(
        /^NODE_OPTIONS is "--enable-source-maps", the contract wants "--enable-source-maps --max-semi-space-size=16/,
      ),
    ]);
  });
});

const context = {
  functionName: 'shop-job',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-job',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

type Invoke = () => Promise<unknown>;

/** The error a run gives (undefined: it did not fail). */
async function failureOf(run: Invoke): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('environment contract: the handlers read through their contracts', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const s = () => synth(CONFIGS[CONFIGS.length - 1]![0], VARIANT);
  const deployed = (contract: EnvContract<unknown>) => {
    const e = s().environments.find((x) => x.contract === contract);
    if (!e) throw new Error(`no ${contract.job} in the variant`);
    return resolved(s(), e);
  };
  const stubAllBut = (env: Record<string, string>, missing: string) => {
    // Powertools warns that a failed invocation published no metrics; expected here
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const [k, v] of Object.entries(env)) if (k !== NODE_OPTIONS_VAR) vi.stubEnv(k, v);
    vi.stubEnv(missing, undefined);
  };

  const lambdas: [EnvContract<unknown>, Invoke | (() => Promise<Invoke>)][] = [
    [
      healthCheckEnv,
      async () => {
        const { handler } = await import('../../../lambdas/health-check/handler');
        return () => handler({ schedule: 'default', targets: [] }, context);
      },
    ],
    [
      alertRouterEnv,
      async () => {
        const { handler } = await import('../../../lambdas/alert-router/handler');
        return () => handler({}, context);
      },
    ],
    [
      ackLinkEnv,
      async () => {
        const { handler } = await import('../../../lambdas/ack-link/handler');
        const event = {
          rawPath: '/AAAAAAAAAAAAAAAAAAAAAA',
          requestContext: { http: { method: 'GET', path: '/AAAAAAAAAAAAAAAAAAAAAA' } },
        };
        return () => handler(event as never, context);
      },
    ],
    [
      logArchiveEnv,
      async () => {
        const { handler } = await import('../../../lambdas/log-archive/handler');
        return () => handler({ action: 'check' }, context);
      },
    ],
    [
      webhookDeliveryEnv,
      async () => {
        const { handler } = await import('../../../lambdas/webhook-delivery/handler');
        return () => handler({ Records: [] }, context);
      },
    ],
    [
      backupEnv,
      async () => {
        const { handler } = await import('../../../lambdas/backup/handler');
        return () => handler({ action: 'backup' }, context);
      },
    ],
    [
      dbMaintenanceEnv,
      async () => {
        const { handler } = await import('../../../lambdas/db-maintenance/handler');
        return () => handler({ schedule: 'vacuum', task: {} }, context);
      },
    ],
    [
      statusPageEnv,
      async () => {
        const { handler } = await import('../../../lambdas/status-page/handler');
        return () =>
          handler({ rawPath: '/', requestContext: { http: { method: 'GET', path: '/' } } }, context);
      },
    ],
  ];

  it.each(lambdas.map(([c, make]) => [c.job, c, make] as const))(
    '%s: a missing required variable fails the invocation with the reader’s error',
    async (_job, contract, make) => {
      const invoke = (await (make as () => Promise<Invoke>)()) as Invoke;
      const env = deployed(contract);
      for (const v of contract.variables.filter((x) => x.required && x.readBy === 'handler')) {
        const { [v.name]: _dropped, ...without } = env;
        const expected = readerError(contract, without);
        stubAllBut(env, v.name);
        const error = await failureOf(invoke);
        expect(error, `${contract.job} without ${v.name}`).toBeInstanceOf(EnvironmentInvalid);
        expect((error as Error).message).toBe(expected?.message);
        vi.unstubAllEnvs();
      }
    },
  );

  it('backup task (Fargate): a missing variable ends the task with exit code 1 and the reader’s error', async () => {
    const { runTask } = await import('../../../lambdas/backup/fargate');
    const env = deployed(backupTaskEnv);
    const printed: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    for (const v of backupTaskEnv.variables.filter((x) => x.required && x.readBy === 'handler')) {
      const { [v.name]: _dropped, ...without } = env;
      const expected = readerError(backupTaskEnv, without);
      printed.length = 0;
      expect(await runTask(['backup'], without), v.name).toBe(1);
      expect(JSON.parse(printed.join('')).reason).toBe(expected?.message);
    }
  });
});
