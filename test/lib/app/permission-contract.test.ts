/**
 * Permission contract (issue 9, ADR 003): for every example config and a Fargate-backup fixture, the
 * synthesized templates' IAM, key, queue, topic, bucket and function policies allow every runtime path
 * and deny what must stay impossible, as evaluated by @cloud-copilot/iam-simulate. The self-test
 * removes one KMS grant from a copy of a template and asserts that the contract catches it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NightshiftApp } from '../../../lib/app';
import { parseConfigText } from '../../../lib/config';
import type { NightshiftConfig } from '../../../lib/config/schema';
import { REPO, testApp, testConfig } from '../../support/cdk';
import {
  appTemplates,
  type CheckOutcome,
  type ContractEnv,
  contractChecks,
  describeFailures,
  evaluateChecks,
  type PermissionCheck,
  PermissionModel,
  type PolicyDocument,
  type StackTemplate,
} from '../../support/iam-contract';

interface Case {
  readonly name: string;
  readonly config: () => NightshiftConfig;
}

const examples: Case[] = readdirSync(join(REPO, 'examples'))
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => ({
    name: `examples/${file}`,
    config: () => parseConfigText(readFileSync(join(REPO, 'examples', file), 'utf8'), file),
  }));

/**
 * Two backup targets on Fargate (one with a restore test), one on Lambda, private network; the first
 * level rotates (member e-mail topics, SMS straight to the number).
 */
const fargate: Case = {
  name: 'fixture: Fargate backups',
  config: () =>
    testConfig({
      alerts: {
        levels: [
          {
            name: 'team',
            rotation: {
              members: [
                { name: 'ana', email: 'ana@example.com', sms: '+4915112345678' },
                { name: 'ben', sms: '+4915187654321' },
              ],
              handoff: { time: '09:00', weekday: 'monday' },
              every: '1w',
              start: '2026-01-05',
            },
          },
          { name: 'lead', email: ['lead@example.com'] },
        ],
      },
      network: {
        vpcId: 'vpc-0a1b2c3d4e5f67890',
        subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69870'],
        securityGroupIds: ['sg-0a1b2c3d4e5f67890'],
      },
      healthChecks: { targets: [{ name: 'api', http: { url: 'https://shop.example.com/health' } }] },
      backups: {
        targets: [
          {
            name: 'big',
            runtime: 'fargate',
            postgres: { secret: 'prod/shop/postgres' },
            verify: { secret: 'prod/shop/scratch' },
          },
          { name: 'sessions', runtime: 'fargate', redis: { secret: 'prod/shop/redis' } },
          { name: 'small', mongodb: { secret: 'prod/shop/mongo' } },
        ],
      },
    }),
};

for (const example of [...examples, fargate]) {
  describe(`permission contract: ${example.name}`, () => {
    let outcomes: CheckOutcome[];
    let checks: PermissionCheck[];

    beforeAll(async () => {
      const config = example.config();
      const built = testApp(config);
      const model = PermissionModel.fromApp(built, config);
      checks = contractChecks(model, config, built);
      outcomes = await evaluateChecks(model, checks);
    }, 120_000);

    it('allows every runtime path', () => {
      const allowed = outcomes.filter((o) => o.check.expect === 'allow');
      expect(allowed.length).toBeGreaterThan(0);
      expect(describeFailures(allowed)).toEqual([]);
    });

    it('denies what must stay impossible', () => {
      const denied = outcomes.filter((o) => o.check.expect === 'deny');
      expect(denied.length).toBeGreaterThan(0);
      expect(describeFailures(denied)).toEqual([]);
    });

    it('covers every path family', () => {
      const paths = checks.map((c) => c.path).join('\n');
      const customerKey = example.config().encryption === 'customer-key';
      for (const family of [
        ...(customerKey ? [/^schedule .* → .*-dlq's key$/m, /^CloudWatch Logs → key of /m] : []),
        /^schedule .* → .*-dlq$/m,
        /^function .* → its log group$/m,
        /^rule .* → invokes its target$/m,
        /^SNS .* → .*-alert-delivery-dlq$/m,
        /^router → peeks at the jobs' dead-letter queue$/m,
        /^router → .*-alerts-/m,
        /^escalation → ack table$/m,
        /^escalation → continues as a new execution of itself$/m,
        /^escalation → asks the router for a fresh reminder$/m,
        /^router → reads the latest value at reminder time$/m,
        /^ack link → counts and uses its link$/m,
        /^ack link → lists every link \(scan\)$/m,
        /^router → mints ack links$/m,
        /^an untagged role in the account → /m,
        /→ secret it does not reference/m,
      ]) {
        expect(paths).toMatch(family);
      }
      if (example.name.endsWith('planner.yaml')) {
        // the example with the public status page
        expect(paths).toMatch(/^status page distribution → invokes the function URL$/m);
        expect(paths).toMatch(/^status-page → incident table$/m);
      }
      if (example.config().alerts.levels.some((level) => level.webhooks.length > 0)) {
        expect(paths).toMatch(/^webhook-delivery → (its secret|parameter) /m);
        expect(paths).toMatch(/^SNS .* → invokes webhook-delivery$/m);
      }
      console.info(
        `${example.name}: ${checks.filter((c) => c.expect === 'allow').length} allow, ${checks.filter((c) => c.expect === 'deny').length} deny checks`,
      );
    });
  });
}

describe('permission contract self-test', () => {
  let built: NightshiftApp;
  let config: NightshiftConfig;
  let stacks: StackTemplate[];
  let env: ContractEnv;

  beforeAll(() => {
    const inventory = examples.find((e) => e.name.endsWith('inventory.yaml'));
    if (!inventory) throw new Error('examples/inventory.yaml is missing');
    // with a public status page (the planner example's), so its URL permissions are in the templates
    // and with the project key (the example runs without one), so its KMS grants are in the templates
    config = {
      ...inventory.config(),
      encryption: 'customer-key',
      statusPage: { title: 'Status', public: true, targets: ['api'] },
    };
    built = testApp(config);
    ({ stacks, env } = appTemplates(built, config));
  });

  /** A copy of the templates with `edit` applied to every IAM policy document of the jobs stack. */
  function withEditedPolicies(
    edit: (logicalId: string, document: PolicyDocument) => PolicyDocument,
  ): StackTemplate[] {
    return stacks.map((stack) => {
      const copy = structuredClone(stack);
      for (const [logicalId, resource] of Object.entries(copy.template.Resources ?? {})) {
        if (resource.Type !== 'AWS::IAM::Policy' || !resource.Properties) continue;
        resource.Properties.PolicyDocument = edit(
          logicalId,
          resource.Properties.PolicyDocument as PolicyDocument,
        );
      }
      return copy;
    });
  }

  it('catches a scheduler role that lost its KMS grant on the DLQ key', async () => {
    let removed = 0;
    const edited = withEditedPolicies((logicalId, document) => {
      if (!/^BackupsTargetpostgresSchedulerRoleDefaultPolicy/.test(logicalId)) return document;
      const statements = document.Statement.filter((s) => {
        const actions = [s.Action].flat();
        const drop = actions.includes('kms:GenerateDataKey');
        if (drop) removed++;
        return !drop;
      });
      return { ...document, Statement: statements };
    });
    expect(removed).toBe(1);
    const model = new PermissionModel(edited, env);
    const failures = describeFailures(await evaluateChecks(model, contractChecks(model, config, built)));
    expect(failures).toEqual([
      expect.stringMatching(
        /^schedule inventory-backup-postgres-backup → inventory-jobs-dlq's key: expected allow, got ImplicitlyDenied \(kms:GenerateDataKey/,
      ),
      expect.stringMatching(/^schedule inventory-backup-postgres-backup → .*kms:Decrypt/),
      expect.stringMatching(/^schedule inventory-backup-postgres-verify → .*kms:GenerateDataKey/),
      expect.stringMatching(/^schedule inventory-backup-postgres-verify → .*kms:Decrypt/),
    ]);
  }, 120_000);

  it('catches a backup role widened to the whole bucket', async () => {
    const edited = withEditedPolicies((logicalId, document) => {
      if (!/^BackupsTargetredisFunctionRoleDefaultPolicy/.test(logicalId)) return document;
      return {
        ...document,
        Statement: [
          ...document.Statement,
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/*' },
        ],
      };
    });
    const model = new PermissionModel(edited, env);
    const failures = describeFailures(await evaluateChecks(model, contractChecks(model, config, built)));
    expect(failures.length).toBeGreaterThan(0);
    expect(
      failures.every((f) =>
        /^backup redis → s3:GetObject on .*'s backups: expected deny, got Allowed/.test(f),
      ),
    ).toBe(true);
  }, 120_000);

  it('catches a status page URL permission that lost its distribution condition', async () => {
    let loosened = 0;
    const edited = stacks.map((stack) => {
      const copy = structuredClone(stack);
      for (const resource of Object.values(copy.template.Resources ?? {})) {
        const props = resource.Properties;
        if (resource.Type !== 'AWS::Lambda::Permission' || props?.Principal !== 'cloudfront.amazonaws.com')
          continue;
        delete props.SourceArn;
        loosened++;
      }
      return copy;
    });
    expect(loosened).toBe(2);
    const model = new PermissionModel(edited, env);
    const failures = describeFailures(await evaluateChecks(model, contractChecks(model, config, built)));
    expect(failures).toEqual([
      expect.stringMatching(
        /^another distribution → invokes the status page's function URL: expected deny, got Allowed/,
      ),
    ]);
  }, 120_000);
});
