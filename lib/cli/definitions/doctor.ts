/**
 * The `doctor` command's definition: name, options and help text. Its action is imported on demand
 * from lib/cli/commands/doctor.ts, so that registering it loads no heavy module.
 */
import type { Command } from 'commander';
import { lazyAction } from './lazy';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check a deployed project (read-only): alarm metrics, schedules, job runs, DLQs, subscriptions, SMS, buckets',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ AWS_PROFILE=prod nightshift doctor
  $ nightshift doctor --json | jq '.checks[] | select(.status == "fail")'

Synthesizes the CDK app for the config and compares it with the account: every alarm's metric exists
with exactly its dimension set (else "no data yet — first run at …" while its job has not run), the
schedules exist and are enabled, each job's runs and errors in the last 24 h, the dead-letter queues are
empty, the alert subscriptions are confirmed (addresses masked), the SMS sandbox and monthly spend
limit, the buckets' lifecycle rules and the acknowledgement table. Changes nothing.
Needs read access: cloudwatch:ListMetrics/GetMetricData, scheduler:GetSchedule, lambda:GetFunctionConfiguration,
sqs:GetQueueUrl/GetQueueAttributes, sns:ListSubscriptionsByTopic/GetSMSSandboxAccountStatus/GetSMSAttributes,
s3:GetLifecycleConfiguration, dynamodb:DescribeTable.
Exit codes: 0 healthy, 1 not healthy (or the stacks are not deployed), 2 invalid config or no AWS credentials.`,
    )
    .action(lazyAction(async () => (await import('../commands/doctor')).doctorAction));
}
