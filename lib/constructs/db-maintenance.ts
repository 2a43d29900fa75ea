/**
 * Scheduled database maintenance (maintenance.tasks; not alerts.maintenance, which are notification
 * windows): one ScheduledJob with one schedule per task, the task carried in the schedule input (secret
 * names only), read access to exactly the secrets the tasks reference, and two alarms per task routed
 * like every Nightshift alarm — "found a problem" (MaintenanceProblem) and "failed" (MaintenanceFailed) —
 * with the task's severity. Both keep their state between runs (missing data is ignored), so a weekly
 * task's problem stays in ALARM until a run finds it fixed.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { dbMaintenanceEnvironment } from '../../lambdas/db-maintenance/env';
import {
  findsProblems,
  MaintenanceMetric,
  type MaintenanceMetricName,
  maintenanceDimensions,
} from '../../lambdas/db-maintenance/metrics';
import { taskSpec } from '../../lambdas/db-maintenance/spec';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';
import { durationMs, SEVERITIES } from '../config/primitives';
import { usesVpc } from '../config/resolved';
import type { MaintenanceTask } from '../config/schema';
import type { NightshiftContext } from './context';
import { JobCode, type JobSchedule, ScheduledJob } from './scheduled-job';

export const DB_MAINTENANCE_ENTRY = join(import.meta.dirname, '../../lambdas/db-maintenance/handler.ts');
export const DB_MAINTENANCE_JOB = 'db-maintenance';

const KIND_WORDS: Record<MaintenanceTask['kind'], string> = {
  vacuum: 'VACUUM',
  bloat: 'bloat report',
  slowQueries: 'slow-query report',
  sqlCheck: 'SQL check',
  redisMemory: 'Redis memory check',
  bigKeys: 'Redis big-key report',
};
const PROBLEM_WORDS: Partial<Record<MaintenanceTask['kind'], string>> = {
  bloat: 'tables above the dead-tuple threshold',
  slowQueries: 'queries slower than maxMeanTime',
  sqlCheck: 'the SQL check is over its threshold',
  redisMemory: 'memory fragmentation above the threshold',
  bigKeys: 'keys bigger than maxKeyMb',
};

/** Names of alarms per task: `<project>-db-maintenance-<task>-problem|failed`. */
export function maintenanceAlarmName(task: string, which: 'problem' | 'failed'): string {
  return `${DB_MAINTENANCE_JOB}-${task}-${which}`;
}

/** Every secret a task references. */
export function maintenanceSecrets(tasks: readonly MaintenanceTask[]): string[] {
  const names = new Set<string>();
  for (const task of tasks) {
    const connection = 'postgres' in task ? task.postgres : task.redis;
    if (connection.secret) names.add(connection.secret);
  }
  return [...names];
}

export interface DbMaintenanceProps {
  readonly context: NightshiftContext;
}

export class DbMaintenance extends Construct {
  readonly job: ScheduledJob;
  /** Alarms per task name: [problem (not for vacuum), failed]. */
  readonly taskAlarms = new Map<string, Alarm[]>();
  readonly secrets: string[];

  constructor(scope: Construct, id: string, props: DbMaintenanceProps) {
    super(scope, id);
    const { context } = props;
    const section = context.config.maintenance;
    if (!section || section.tasks.length === 0)
      // the stack builds DbMaintenance only with tasks (validateConfig: at least one, unique names)
      throw new Error('internal: DbMaintenance built without maintenance.tasks');
    const tasks = section.tasks;
    const schedules: JobSchedule[] = tasks.map((task) => ({
      name: task.name,
      expression: task.schedule,
      input: { task: taskSpec(task) },
    }));
    const longestMs = Math.max(...tasks.map((t) => durationMs(t.timeout)));
    this.job = new ScheduledJob(this, 'Job', {
      context,
      jobName: DB_MAINTENANCE_JOB,
      description: `Database maintenance: ${tasks.length} task${tasks.length === 1 ? '' : 's'}`,
      code: JobCode.nodejs(DB_MAINTENANCE_ENTRY),
      schedules,
      // the job's own alarms (crashed, did not run) page like its most important task
      severity: SEVERITIES.find((s) => tasks.some((t) => t.severity === s)) ?? 'medium',
      // the task's own timeout stops it first and reports it; the function lives 30 s longer
      timeout: Duration.seconds(Math.min(900, Math.ceil(longestMs / 1000) + 30)),
      memorySize: 512,
      vpc: usesVpc(context.config, 'maintenance'),
      environment: dbMaintenanceEnvironment({ project: context.project }),
      // a task that fails reports it (MaintenanceFailed) without failing the invocation; a retry is
      // for crashes only, and every task is safe to repeat
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
    });
    this.secrets = maintenanceSecrets(tasks);
    for (const secret of this.secrets) this.job.bindSecret(secret);
    for (const task of tasks) this.taskAlarms.set(task.name, this.alarmsFor(context, task));
  }

  private alarmsFor(context: NightshiftContext, task: MaintenanceTask): Alarm[] {
    const metric = (name: MaintenanceMetricName) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: maintenanceDimensions(context.project, task.name),
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
    const runbook = task.runbook ?? context.config.alerts.severities[task.severity].runbook;
    const common = {
      severity: task.severity,
      runbook,
      target: task.name,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // one datapoint per run: the state holds until the next run says otherwise
      treatMissingData: TreatMissingData.IGNORE,
    };
    const alarms: Alarm[] = [];
    if (findsProblems(task.kind)) {
      alarms.push(
        this.job.addAlarm(`${task.name}-Problem`, {
          ...common,
          name: maintenanceAlarmName(task.name, 'problem'),
          summary: `${task.name} (${KIND_WORDS[task.kind]}): ${PROBLEM_WORDS[task.kind]} — see the job's log for the report`,
          metric: metric(MaintenanceMetric.Problem),
        }),
      );
    }
    alarms.push(
      this.job.addAlarm(`${task.name}-Failed`, {
        ...common,
        name: maintenanceAlarmName(task.name, 'failed'),
        summary: `${task.name} (${KIND_WORDS[task.kind]}) could not run — see the job's log for the reason`,
        metric: metric(MaintenanceMetric.Failed),
      }),
    );
    return alarms;
  }
}
