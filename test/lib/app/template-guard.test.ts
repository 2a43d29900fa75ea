/**
 * Template guard: no credential reaches the cloud assembly. Every example and a fixture that references
 * secrets by name are synthesized to disk; every file of the assembly (templates, asset manifests,
 * tree.json, manifest.json and, for the fixture, the esbuild-bundled handler code) is scanned for the
 * known test secret values. Fixtures that write those values into the config must be stopped by
 * validation; the same configs pushed past validation show that the scan catches the leak.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildApp } from '../../../lib/app';
import { ConfigError, configSchema, type NightshiftConfig, parseConfigText } from '../../../lib/config';
import { REPO } from '../../support/cdk';

/** The values the fixture's secrets hold in Secrets Manager. None may appear in the assembly. */
const SECRET_VALUES = {
  dbPassword: 'decoy-Passw0rd-4711',
  apiToken: 'tok-SECRET-abcdef-123456',
  redisPassword: 'decoy-redis-pw-0815',
  mongoUrl: 'mongodb://app:decoy-mongo-pw-42@docs.internal:27017/app',
  awsKey: 'AKIAIOSFODNN7EXAMPLE',
  github: 'ghp_x7Kq2LmN9pR4tV8wZ1bC3dF5gH6jY0aS2eU4',
} as const;
const KNOWN = [...Object.values(SECRET_VALUES), 'decoy-mongo-pw-42'];

const HEAD = `project: guard
region: eu-west-1
account: '123456789012'
alerts:
  levels:
    - name: team
      email: [team@example.com]
`;

/** Every credential enters by name: header, postgres, redis, mongodb and the verify scratch database. */
const BY_NAME = `${HEAD}healthChecks:
  targets:
    - name: api
      http:
        url: https://api.example.com/health
        headers:
          Authorization: { secret: prod/guard/api-token }
          X-Api-Key: { secret: prod/guard/api, key: key }
    - name: db
      postgres: { secret: prod/guard/db }
    - name: cache
      redis: { secret: prod/guard/redis }
backups:
  targets:
    - name: db
      postgres: { secret: prod/guard/db }
      verify: { secret: prod/guard/scratch }
    - name: docs
      mongodb: { secret: prod/guard/mongo }
logArchive:
  groups: [{ name: /app/api }]
`;

/** Decoys: the same credentials written where a careless user would write them. */
const DECOYS: Record<string, { yaml: string; path: string }> = {
  'password in a postgres URL': {
    yaml: `${HEAD}backups:\n  targets:\n    - name: db\n      postgres:\n        url: postgres://app:${SECRET_VALUES.dbPassword}@db.internal/app\n`,
    path: 'backups.targets[0].postgres.url',
  },
  'password in a URL query': {
    yaml: `${HEAD}backups:\n  targets:\n    - name: db\n      postgres:\n        url: postgres://app@db.internal/app?password=${SECRET_VALUES.dbPassword}\n`,
    path: 'backups.targets[0].postgres.url',
  },
  'literal credential header': {
    yaml: `${HEAD}healthChecks:\n  targets:\n    - name: api\n      http:\n        url: https://api.example.com/health\n        headers:\n          X-Api-Token: ${SECRET_VALUES.apiToken}\n`,
    path: 'healthChecks.targets[0].http.headers.X-Api-Token',
  },
  'redis password in the URL': {
    yaml: `${HEAD}healthChecks:\n  targets:\n    - name: cache\n      redis:\n        url: redis://:${SECRET_VALUES.redisPassword}@cache.internal:6379\n`,
    path: 'healthChecks.targets[0].redis.url',
  },
  'mongodb connection string with a password': {
    yaml: `${HEAD}backups:\n  targets:\n    - name: docs\n      mongodb:\n        url: ${SECRET_VALUES.mongoUrl}\n`,
    path: 'backups.targets[0].mongodb.url',
  },
  'AWS access key in a dimension': {
    yaml: `${HEAD}  alarms:\n    - name: cpu\n      preset: rds-cpu\n      dimensions:\n        DBInstanceIdentifier: ${SECRET_VALUES.awsKey}\n`,
    path: 'alerts.alarms[0].dimensions.DBInstanceIdentifier',
  },
  'GitHub token in an http URL': {
    yaml: `${HEAD}healthChecks:\n  targets:\n    - name: api\n      http:\n        url: https://${SECRET_VALUES.github}@api.example.com/health\n`,
    path: 'healthChecks.targets[0].http.url',
  },
};

const out = mkdtempSync(join(tmpdir(), 'nightshift-guard-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function synth(config: NightshiftConfig, name: string, bundling: boolean): string {
  const outdir = join(out, name);
  buildApp(config, { outdir, bundling }).app.synth();
  return outdir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every (file, secret) pair where a known secret value occurs in the assembly. */
function leaks(dir: string, values: readonly string[] = KNOWN): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const text = readFileSync(file, 'latin1');
    for (const value of values) if (text.includes(value)) found.push(`${file.slice(dir.length)}: ${value}`);
  }
  return found;
}

interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

function templates(dir: string): CfnTemplate[] {
  return filesUnder(dir)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate);
}

/** Schedule inputs and environment variables (Lambda and ECS), as JSON text. */
function inputsAndEnvironments(dir: string): { where: string; text: string }[] {
  const found: { where: string; text: string }[] = [];
  for (const template of templates(dir)) {
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Scheduler::Schedule') {
        found.push({
          where: `${id}.Target.Input`,
          text: JSON.stringify((props.Target as { Input?: unknown })?.Input ?? ''),
        });
      }
      if (resource.Type === 'AWS::Lambda::Function') {
        found.push({ where: `${id}.Environment`, text: JSON.stringify(props.Environment ?? {}) });
      }
      if (resource.Type === 'AWS::ECS::TaskDefinition') {
        found.push({
          where: `${id}.ContainerDefinitions`,
          text: JSON.stringify(props.ContainerDefinitions ?? []),
        });
      }
    }
  }
  return found;
}

/** A CloudFormation dynamic reference resolves a secret's value at deploy time: never in an input or env var. */
const RESOLVED_SECRET = /\{\{resolve:(secretsmanager|ssm-secure)/;

const examples = readdirSync(join(REPO, 'examples')).filter((file) => file.endsWith('.yaml'));

describe('template guard', () => {
  let fixtureDir: string;
  const exampleDirs: Record<string, string> = {};

  beforeAll(() => {
    fixtureDir = synth(parseConfigText(BY_NAME, 'by-name.yaml'), 'by-name', true);
    for (const example of examples) {
      const config = parseConfigText(readFileSync(join(REPO, 'examples', example), 'utf8'), example);
      exampleDirs[example] = synth(config, example.replace(/\.yaml$/, ''), false);
    }
  }, 240_000);

  it('synthesizes the fixture with bundled handler code, tree.json and asset manifests', () => {
    const files = filesUnder(fixtureDir).map((file) => file.slice(fixtureDir.length));
    expect(files).toContain('/tree.json');
    expect(files.some((file) => file.endsWith('.assets.json'))).toBe(true);
    expect(files.some((file) => /\/asset\.[0-9a-f]+\/index\.(m?js)$/.test(file))).toBe(true);
    // The secrets are there by name.
    expect(readFileSync(join(fixtureDir, 'guard-jobs.template.json'), 'utf8')).toContain('prod/guard/db');
  });

  it('finds no known secret value anywhere in the fixture assembly', () => {
    expect(leaks(fixtureDir)).toEqual([]);
  });

  it.each(examples)('finds no known secret value in the assembly of examples/%s', (example) => {
    expect(leaks(exampleDirs[example] as string)).toEqual([]);
  });

  it('puts no resolved secret value in a schedule input or an environment variable', () => {
    const checked = [fixtureDir, ...Object.values(exampleDirs)].flatMap(inputsAndEnvironments);
    expect(checked.some((entry) => entry.where.endsWith('Target.Input'))).toBe(true);
    expect(checked.some((entry) => entry.where.endsWith('Environment'))).toBe(true);
    for (const { where, text } of checked) {
      expect({ where, resolved: RESOLVED_SECRET.test(text) }).toEqual({ where, resolved: false });
      for (const value of KNOWN) expect(text.includes(value), `${where} holds ${value}`).toBe(false);
    }
  });

  it('the input check catches a dynamic reference when one is planted', () => {
    const planted = JSON.stringify({ DB: '{{resolve:secretsmanager:prod/guard/db:SecretString:password}}' });
    expect(RESOLVED_SECRET.test(planted)).toBe(true);
  });

  describe.each(Object.entries(DECOYS))('decoy: %s', (_name, decoy) => {
    it('is stopped by validation, naming the path and not echoing the value', () => {
      let error: unknown;
      try {
        parseConfigText(decoy.yaml, 'decoy.yaml');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain(`${decoy.path} (line `);
      expect(message).toContain('secret');
      for (const value of KNOWN) expect(message).not.toContain(value);
    });
  });

  it('the assembly scan catches the decoy when validation is bypassed (the leak this guard prevents)', () => {
    // configSchema alone has no credential detector: this is what a synth without `validate` would deploy.
    const decoy = DECOYS['password in a URL query'] as { yaml: string };
    // The yaml package directly: Nightshift's loader would reject the decoy.
    const raw: unknown = parseYaml(decoy.yaml);
    const unchecked = configSchema.parse(raw);
    const dir = synth(unchecked, 'bypassed', false);
    const found = leaks(dir, [SECRET_VALUES.dbPassword]);
    expect(found.some((entry) => entry.startsWith('/guard-jobs.template.json'))).toBe(true);
    expect(found.some((entry) => entry.startsWith('/tree.json'))).toBe(true);
  });
});
