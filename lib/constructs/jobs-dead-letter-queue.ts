/**
 * One dead-letter queue for every scheduled job (`<project>-jobs-dlq`) and one alarm on it
 * (`jobs-dlq`), instead of a queue and an alarm per job: $0.10 an alarm metric a job. It holds the
 * schedule events EventBridge Scheduler could not deliver (after its retries) and the failed
 * asynchronous invocations of the job functions. The page still names the jobs: the alert router peeks
 * at the queue when the alarm fires (sqs:ReceiveMessage with a zero visibility timeout, so the messages
 * stay for a redrive; lambdas/alert-router/dead-letters.ts). The alarm pages with the highest severity
 * among the jobs that use the queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { JOBS_DLQ_ALARM, jobsDeadLetterQueueName } from '../../lambdas/alert-router/dead-letters';
import { SEVERITIES, type Severity } from '../config/primitives';
import { nightshiftAlarm } from './alarms';
import type { NightshiftContext } from './context';
import { deadLetterQueue } from './dead-letter-queue';

interface SharedQueue {
  queue?: Queue;
  alarm?: Alarm;
  severity?: Severity;
  readonly jobs: string[];
  readonly readers: IRole[];
}

const shared = new WeakMap<NightshiftContext, SharedQueue>();

function stateOf(context: NightshiftContext): SharedQueue {
  let state = shared.get(context);
  if (!state) {
    state = { jobs: [], readers: [] };
    shared.set(context, state);
  }
  return state;
}

/** Lets `role` peek at the queue (ReceiveMessage only, never delete), now or once it exists. */
export function allowJobsDeadLetterPeek(context: NightshiftContext, role: IRole): void {
  const state = stateOf(context);
  state.readers.push(role);
  if (state.queue) grantPeek(state.queue, role);
}

function grantPeek(queue: Queue, role: IRole): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'PeekJobsDeadLetters',
      actions: ['sqs:ReceiveMessage'],
      resources: [queue.queueArn],
    }),
  );
  queue.encryptionMasterKey?.grantDecrypt(role);
}

/**
 * The jobs' dead-letter queue, created on first use in the stack of `scope`; registers `job` with its
 * severity, so that the alarm pages like the most severe job that uses it.
 */
export function jobsDeadLetterQueue(
  scope: IConstruct,
  context: NightshiftContext,
  job: { name: string; severity: Severity },
): Queue {
  const state = stateOf(context);
  const stack = Stack.of(scope);
  if (!state.queue) {
    state.queue = deadLetterQueue(stack, 'JobsDeadLetterQueue', {
      context,
      queueName: jobsDeadLetterQueueName(context.project),
      holds: "the scheduled jobs' schedules and functions",
    });
    for (const role of state.readers) grantPeek(state.queue, role);
  }
  state.jobs.push(job.name);
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  if (state.severity === undefined || rank(job.severity) < rank(state.severity)) {
    // a more severe job: the alarm is built again with its severity (in its description and tags)
    if (state.alarm) {
      stack.node.tryRemoveChild('JobsDeadLetters');
      const index = context.alarms.indexOf(state.alarm);
      if (index >= 0) context.alarms.splice(index, 1);
    }
    state.severity = job.severity;
    state.alarm = nightshiftAlarm(stack, 'JobsDeadLetters', {
      context,
      name: JOBS_DLQ_ALARM,
      metric: state.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: job.severity,
      target: 'jobs',
      summary:
        "a scheduled job's run could not be started or its function failed asynchronously: events in the jobs' dead-letter queue",
    });
  }
  return state.queue;
}
