/**
 * `nightshift page --test`: both sides of the seam — the CLI invokes the function the synthesized alarm
 * rule targets, and the real router core (with the real SNS notifier) handles the very payload it sends.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../lambdas/alert-router/alert-router';
import { snsNotifier } from '../../../lambdas/alert-router/notifier';
import { routerSettings } from '../../../lambdas/alert-router/settings';
import { TEST_PAGE_SOURCE } from '../../../lambdas/alert-router/test-page';
import { MemoryLog } from '../../../lambdas/shared/log';
import { assertLevel, sendTestPage } from '../../../lib/cli/commands/page';
import { CliError } from '../../../lib/cli/output';
import { loadConfig } from '../../../lib/config/load';
import type { NightshiftConfig } from '../../../lib/config/schema';
import type { SynthesizedStack } from '../../../lib/doctor/expected';
import { synthesizeTemplates } from '../../../lib/doctor/synth';
import { runCli } from '../../support/cli';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);
const NOW = new Date('2026-06-10T16:00:00Z');
let config: NightshiftConfig;
let stacks: SynthesizedStack[];

beforeAll(async () => {
  config = loadConfig('examples/inventory.yaml');
  stacks = await synthesizeTemplates(config);
}, 120_000);

/** The deployed router: the real core behind a Lambda Invoke. */
function deployedRouter(): void {
  const topics = config.alerts.levels.map(
    (l) => `arn:aws:sns:us-east-1:123456789012:inventory-alerts-${l.name}`,
  );
  lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput) => {
    // sendTestPage sends the event as UTF-8 bytes
    const event = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as unknown;
    try {
      const { messages: _messages, ...summary } = await run(
        {
          settings: routerSettings(config, topics),
          notifier: snsNotifier(new SNSClient({})),
          cloudwatch: new CloudWatchClient({}),
          logs: new CloudWatchLogsClient({}),
          log: new MemoryLog(),
        },
        { event, deliveryId: 'req-1' },
      );
      return {
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: new TextEncoder().encode(JSON.stringify(summary)),
      };
    } catch (error) {
      const payload = { errorType: (error as Error).name, errorMessage: (error as Error).message, trace: [] };
      return {
        StatusCode: 200,
        FunctionError: 'Unhandled',
        ExecutedVersion: '$LATEST',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      };
    }
  });
}

beforeEach(() => {
  lambda.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  deployedRouter();
});

describe('nightshift page --test', () => {
  it('invokes the function the alarm rule targets, and the router pages that one level', async () => {
    const result = await sendTestPage(new LambdaClient({ region: 'us-east-1' }), stacks, {
      region: 'us-east-1',
      level: 'oncall',
      requestedBy: 'alice',
      now: NOW,
    });

    expect(result).toEqual({
      function: 'inventory-alert-router',
      level: 'oncall',
      router: { action: 'test-page', why: 'test page to oncall (e-mail and SMS)', levels: ['oncall'] },
    });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: 'inventory-alert-router',
      InvocationType: 'RequestResponse',
    });
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]?.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:inventory-alerts-oncall');
    expect(published[0]?.Subject).toBe('TEST PAGE - inventory - level oncall');
  });

  it('reports the router error when it cannot send (exit 1)', async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('KMS key is disabled'), { name: 'KMSDisabledException' }));
    const error = await sendTestPage(new LambdaClient({ region: 'us-east-1' }), stacks, {
      region: 'us-east-1',
      level: 'team',
      requestedBy: 'alice',
      now: NOW,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /^inventory-alert-router could not send the test page: could not publish to the "team" level topic: KMS key is disabled/,
    );
  });

  it('only a direct invocation can deliver a test page: the alarm rule passes CloudWatch events alone', () => {
    const rules = stacks.flatMap((s) =>
      Object.values(s.template.Resources ?? {}).filter((r) => r.Type === 'AWS::Events::Rule'),
    );
    const patterns = rules.map(
      (r) => (r.Properties?.EventPattern as { source?: string[] } | undefined)?.source,
    );
    // the alert router's rule, and the status page's (incidents): CloudWatch events only
    expect(patterns).toEqual(rules.map(() => ['aws.cloudwatch']));
    expect(patterns.length).toBeGreaterThan(0);
    expect(patterns.flat()).not.toContain(TEST_PAGE_SOURCE);
  });

  it('rejects an unknown level before anything is sent (exit 2)', () => {
    expect(() => assertLevel(config, 'ceo')).toThrow(
      '--level "ceo" is not an alert level of inventory — use one of: team, oncall, lead',
    );
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('the CLI without --test is a usage error', async () => {
    const result = await runCli(['page', '--level', 'team', '--config', 'examples/inventory.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /only test pages can be sent by hand — run "nightshift page --test --level <name>"/,
    );
  }, 60_000);
});
