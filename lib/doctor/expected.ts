/**
 * What `nightshift doctor` expects to find in the account, read from the synthesized app's templates —
 * never re-derived from the config (DESIGN rule 11): every alarm with the exact metric and dimension set
 * it watches, the schedules and the functions they invoke, the dead-letter queues, the level topics and
 * their subscriptions, the named buckets with their lifecycle rules, the tables, and the function the
 * alarm rule feeds (the alert router). Pure: templates and the account's identity in, a model out.
 */
import { BREACH_ONLY_HEALTH_METRICS } from '../../lambdas/health-check/metrics';
import { isObject } from '../../lambdas/shared/json';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics';

export interface CfnResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<
    string,
    { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }
  >;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Where the stacks are deployed; `account` is needed only for values that contain it (ARNs, bucket names). */
export interface AccountEnv {
  readonly region: string;
  readonly partition: string;
  readonly account?: string | undefined;
}

/** A template value doctor cannot turn into a literal (a generated name, an unsupported intrinsic). */
export class UnresolvedValue extends Error {
  constructor(what: string) {
    super(`cannot resolve ${what} from the synthesized templates`);
    this.name = 'UnresolvedValue';
  }
}

export interface ExpectedDimension {
  readonly name: string;
  readonly value: string;
}

/**
 * Who publishes a metric: "job" — a Nightshift function (EMF, namespace Nightshift); "resource" — AWS, for
 * a resource of this app (a function, queue, state machine) or the account (SNS SMS spend); "external" —
 * something outside the app the config points at (an RDS instance, a load balancer, a log group).
 */
export type MetricSource = 'job' | 'resource' | 'external';

export interface ExpectedMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** The full dimension set; CloudWatch matches it exactly. */
  readonly dimensions: readonly ExpectedDimension[];
  readonly source: MetricSource;
  /**
   * Sent only while its alarm's condition holds (health checks with `metricsSent: breaches`): no data
   * for two weeks means no failure, not a broken publisher.
   */
  readonly onlyWhenBreaching?: boolean;
}

export interface ExpectedAlarm {
  readonly name: string;
  /** One for a metric alarm, every input metric for a metric-math alarm. */
  readonly metrics: readonly ExpectedMetric[];
  /** The function whose runs publish the metric (for "no data yet — first run at …"). */
  readonly emitter?: string | undefined;
}

export interface ExpectedSchedule {
  readonly name: string;
  readonly group: string;
  readonly expression: string;
  readonly timeZone: string;
  /** The function the schedule invokes. */
  readonly functionName?: string | undefined;
}

export interface ExpectedSubscription {
  readonly protocol: string;
  readonly endpoint: string;
}

export interface ExpectedTopic {
  readonly name: string;
  readonly arn: string;
  readonly subscriptions: readonly ExpectedSubscription[];
}

export interface ExpectedBucket {
  readonly name: string;
  /** IDs of the enabled lifecycle rules. */
  readonly lifecycleRules: readonly string[];
}

export interface Expected {
  readonly alarms: readonly ExpectedAlarm[];
  readonly schedules: readonly ExpectedSchedule[];
  /** Functions invoked by a schedule (the jobs), with their schedule names. */
  readonly jobs: readonly { readonly functionName: string; readonly schedules: readonly string[] }[];
  /** Queues used as dead-letter queues (by a schedule, a function, an EventBridge target or a subscription). */
  readonly deadLetterQueues: readonly string[];
  readonly topics: readonly ExpectedTopic[];
  readonly buckets: readonly ExpectedBucket[];
  readonly tables: readonly string[];
  /** Threshold of the alarm on AWS/SNS SMSMonthToDateSpentUSD, when the app has one. */
  readonly smsSpendThresholdUsd?: number | undefined;
}

const PHYSICAL_NAME: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Scheduler::Schedule': 'Name',
};

interface Located {
  readonly stack: number;
  readonly id: string;
  readonly resource: CfnResource;
}

/** The partition of a region: aws, aws-cn or aws-us-gov. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Turns template values (literals, Ref, Fn::GetAtt, Fn::Join, Fn::ImportValue) into strings. */
export class TemplateResolver {
  constructor(
    readonly stacks: readonly SynthesizedStack[],
    readonly env: AccountEnv,
  ) {}

  private account(): string {
    if (!this.env.account) throw new UnresolvedValue('AWS::AccountId (the account is not known yet)');
    return this.env.account;
  }

  /** The resource a Ref / Fn::GetAtt / Fn::ImportValue points at, if the value is such a reference. */
  referenced(stack: number, value: unknown): Located | undefined {
    if (!isObject(value)) return undefined;
    const ref = value.Ref;
    if (typeof ref === 'string') return this.find(stack, ref);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return this.find(stack, getAtt[0]);
    const imported = value['Fn::ImportValue'];
    if (imported !== undefined) {
      const output = this.exportNamed(stack, imported);
      return output ? this.referenced(output.stack, output.value) : undefined;
    }
    return undefined;
  }

  private find(stack: number, id: string): Located | undefined {
    const resource = this.stacks[stack]?.template.Resources?.[id];
    return resource ? { stack, id, resource } : undefined;
  }

  private exportNamed(stack: number, name: unknown): { stack: number; value: unknown } | undefined {
    const wanted = this.resolve(stack, name);
    for (const [index, { template }] of this.stacks.entries()) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name !== undefined && this.resolve(index, output.Export.Name) === wanted) {
          return { stack: index, value: output.Value };
        }
      }
    }
    return undefined;
  }

  /** The physical name of a resource (FunctionName, QueueName, …), which Nightshift always sets. */
  nameOf(located: Located): string {
    const key = PHYSICAL_NAME[located.resource.Type ?? ''];
    const value = key ? located.resource.Properties?.[key] : undefined;
    if (value === undefined)
      throw new UnresolvedValue(`the name of ${located.id} (${located.resource.Type})`);
    return this.resolve(located.stack, value);
  }

  private arnOf(located: Located): string {
    const { partition, region } = this.env;
    const name = this.nameOf(located);
    const at = (service: string, resource: string) =>
      `arn:${partition}:${service}:${region}:${this.account()}:${resource}`;
    switch (located.resource.Type) {
      case 'AWS::Lambda::Function':
        return at('lambda', `function:${name}`);
      case 'AWS::SQS::Queue':
        return at('sqs', name);
      case 'AWS::SNS::Topic':
        return at('sns', name);
      case 'AWS::StepFunctions::StateMachine':
        return at('states', `stateMachine:${name}`);
      case 'AWS::DynamoDB::Table':
        return at('dynamodb', `table/${name}`);
      case 'AWS::S3::Bucket':
        return `arn:${partition}:s3:::${name}`;
      default:
        throw new UnresolvedValue(`the ARN of ${located.id} (${located.resource.Type})`);
    }
  }

  private refOf(located: Located): string {
    switch (located.resource.Type) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return this.arnOf(located);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.env.region}.amazonaws.com/${this.account()}/${this.nameOf(located)}`;
      default:
        return this.nameOf(located);
    }
  }

  resolve(stack: number, value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (!isObject(value)) throw new UnresolvedValue(JSON.stringify(value));
    const ref = value.Ref;
    if (typeof ref === 'string') {
      if (ref === 'AWS::AccountId') return this.account();
      if (ref === 'AWS::Region') return this.env.region;
      if (ref === 'AWS::Partition') return this.env.partition;
      if (ref === 'AWS::URLSuffix')
        return this.env.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      if (ref === 'AWS::StackName') return this.stacks[stack]?.stackName ?? '';
      const located = this.find(stack, ref);
      if (!located) throw new UnresolvedValue(`Ref ${ref}`);
      return this.refOf(located);
    }
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
      const located = this.find(stack, getAtt[0]);
      if (!located) throw new UnresolvedValue(`Fn::GetAtt ${getAtt.join('.')}`);
      return getAtt[1] === 'Arn' || getAtt[1] === 'TopicArn' ? this.arnOf(located) : this.nameOf(located);
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map((part) => this.resolve(stack, part)).join(join[0]);
    }
    const imported = value['Fn::ImportValue'];
    if (imported !== undefined) {
      const output = this.exportNamed(stack, imported);
      if (!output) throw new UnresolvedValue(`Fn::ImportValue ${JSON.stringify(imported)}`);
      return this.resolve(output.stack, output.value);
    }
    throw new UnresolvedValue(JSON.stringify(value));
  }

  /** Every resource of a type, across the stacks. */
  all(type: string): Located[] {
    return this.stacks.flatMap(({ template }, stack) =>
      Object.entries(template.Resources ?? {})
        .filter(([, resource]) => resource.Type === type)
        .map(([id, resource]) => ({ stack, id, resource })),
    );
  }
}

function pathOf(resource: CfnResource): string[] {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path.split('/') : [];
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * The function publishing an alarm's metric: named by a FunctionName dimension, else — for Nightshift's
 * own metrics — the one function sharing the longest construct path with the alarm (a job's alarms live
 * in its construct). Undefined when no function or more than one qualifies.
 */
function emitterOf(
  resolver: TemplateResolver,
  alarm: Located,
  metrics: readonly { namespace: string; lambda?: string | undefined }[],
  functions: readonly Located[],
): string | undefined {
  const named = metrics.find((m) => m.lambda)?.lambda;
  if (named) return named;
  if (!metrics.some((m) => m.namespace === METRICS_NAMESPACE)) return undefined;
  const alarmPath = pathOf(alarm.resource);
  const scored = functions
    .filter((fn) => fn.stack === alarm.stack)
    .map((fn) => ({ fn, shared: commonPrefix(alarmPath, pathOf(fn.resource)) }))
    .filter((s) => s.shared > 1);
  const best = Math.max(0, ...scored.map((s) => s.shared));
  const winners = scored.filter((s) => s.shared === best);
  return winners.length === 1 && winners[0] ? resolver.nameOf(winners[0].fn) : undefined;
}

function metricOf(
  resolver: TemplateResolver,
  stack: number,
  raw: Record<string, unknown>,
): ExpectedMetric & { lambda?: string | undefined } {
  const namespace = resolver.resolve(stack, raw.Namespace);
  const metricName = resolver.resolve(stack, raw.MetricName);
  let fromApp = false;
  let lambda: string | undefined;
  const dimensions = (Array.isArray(raw.Dimensions) ? raw.Dimensions : []).filter(isObject).map((d) => {
    const target = resolver.referenced(stack, d.Value);
    if (target) {
      fromApp = true;
      if (target.resource.Type === 'AWS::Lambda::Function') lambda = resolver.nameOf(target);
    }
    return { name: resolver.resolve(stack, d.Name), value: resolver.resolve(stack, d.Value) };
  });
  const source: MetricSource =
    namespace === METRICS_NAMESPACE
      ? 'job'
      : fromApp || (namespace.startsWith('AWS/') && dimensions.length === 0)
        ? 'resource'
        : 'external';
  return { namespace, metricName, dimensions, source, lambda };
}

function alarmsOf(resolver: TemplateResolver): ExpectedAlarm[] {
  const functions = resolver
    .all('AWS::Lambda::Function')
    .filter((fn) => fn.resource.Properties?.FunctionName);
  // health checks told to send only breaching values (no dashboard): see MetricsSent
  const breachesOnly = resolver.all('AWS::Scheduler::Schedule').some((schedule) => {
    const input = (schedule.resource.Properties?.Target as { Input?: unknown } | undefined)?.Input;
    return typeof input === 'string' && input.includes('"metricsSent":"breaches"');
  });
  const alarms: ExpectedAlarm[] = [];
  for (const alarm of resolver.all('AWS::CloudWatch::Alarm')) {
    const props = alarm.resource.Properties ?? {};
    if (props.AlarmName === undefined) continue;
    const name = resolver.resolve(alarm.stack, props.AlarmName);
    const raw =
      props.MetricName !== undefined
        ? [props]
        : (Array.isArray(props.Metrics) ? props.Metrics : [])
            .filter(isObject)
            .map((m) =>
              isObject(m.MetricStat) && isObject(m.MetricStat.Metric) ? m.MetricStat.Metric : undefined,
            )
            .filter((m): m is Record<string, unknown> => m !== undefined);
    const metrics = raw
      .map((m) => metricOf(resolver, alarm.stack, m))
      .map((m) =>
        breachesOnly && m.namespace === METRICS_NAMESPACE && BREACH_ONLY_HEALTH_METRICS.has(m.metricName)
          ? { ...m, onlyWhenBreaching: true }
          : m,
      );
    const emitter = emitterOf(resolver, alarm, metrics, functions);
    alarms.push({
      name,
      metrics: metrics.map(({ lambda: _lambda, ...metric }) => metric),
      ...(emitter ? { emitter } : {}),
    });
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

function schedulesOf(resolver: TemplateResolver): ExpectedSchedule[] {
  return resolver
    .all('AWS::Scheduler::Schedule')
    .map((schedule) => {
      const props = schedule.resource.Properties ?? {};
      const target = isObject(props.Target)
        ? resolver.referenced(schedule.stack, props.Target.Arn)
        : undefined;
      return {
        name: resolver.nameOf(schedule),
        group: props.GroupName !== undefined ? resolver.resolve(schedule.stack, props.GroupName) : 'default',
        expression: resolver.resolve(schedule.stack, props.ScheduleExpression),
        timeZone:
          props.ScheduleExpressionTimezone !== undefined
            ? resolver.resolve(schedule.stack, props.ScheduleExpressionTimezone)
            : 'UTC',
        ...(target?.resource.Type === 'AWS::Lambda::Function'
          ? { functionName: resolver.nameOf(target) }
          : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Queues referenced from a dead-letter setting anywhere in the templates. */
function deadLetterQueuesOf(resolver: TemplateResolver): string[] {
  const names = new Set<string>();
  const visit = (stack: number, value: unknown, underDlq: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(stack, item, underDlq);
      return;
    }
    if (!isObject(value)) return;
    if (underDlq) {
      const target = resolver.referenced(stack, value);
      if (target?.resource.Type === 'AWS::SQS::Queue') {
        names.add(resolver.nameOf(target));
        return;
      }
    }
    for (const [key, child] of Object.entries(value)) {
      visit(stack, child, underDlq || /DeadLetter|RedrivePolicy/i.test(key));
    }
  };
  for (const [stack, { template }] of resolver.stacks.entries()) {
    for (const resource of Object.values(template.Resources ?? {})) visit(stack, resource.Properties, false);
  }
  return [...names].sort();
}

function topicsOf(resolver: TemplateResolver): ExpectedTopic[] {
  const topics = resolver.all('AWS::SNS::Topic').map((topic) => ({
    name: resolver.nameOf(topic),
    arn: resolver.resolve(topic.stack, { Ref: topic.id }),
    subscriptions: [] as ExpectedSubscription[],
  }));
  for (const sub of resolver.all('AWS::SNS::Subscription')) {
    const props = sub.resource.Properties ?? {};
    const arn = resolver.resolve(sub.stack, props.TopicArn);
    topics
      .find((t) => t.arn === arn)
      ?.subscriptions.push({
        protocol: resolver.resolve(sub.stack, props.Protocol),
        endpoint: resolver.resolve(sub.stack, props.Endpoint),
      });
  }
  return topics.sort((a, b) => a.name.localeCompare(b.name));
}

function bucketsOf(resolver: TemplateResolver): ExpectedBucket[] {
  return resolver
    .all('AWS::S3::Bucket')
    .filter((bucket) => bucket.resource.Properties?.BucketName !== undefined)
    .map((bucket) => {
      const lifecycle = bucket.resource.Properties?.LifecycleConfiguration;
      const rules =
        isObject(lifecycle) && Array.isArray(lifecycle.Rules) ? lifecycle.Rules.filter(isObject) : [];
      return {
        name: resolver.nameOf(bucket),
        lifecycleRules: rules
          .filter((rule) => rule.Status === 'Enabled' && rule.Id !== undefined)
          .map((rule) => resolver.resolve(bucket.stack, rule.Id)),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function expectedFromTemplates(stacks: readonly SynthesizedStack[], env: AccountEnv): Expected {
  const resolver = new TemplateResolver(stacks, env);
  const schedules = schedulesOf(resolver);
  const jobs = new Map<string, string[]>();
  for (const schedule of schedules) {
    if (schedule.functionName)
      jobs.set(schedule.functionName, [...(jobs.get(schedule.functionName) ?? []), schedule.name]);
  }
  const smsSpend = resolver
    .all('AWS::CloudWatch::Alarm')
    .find(
      (a) =>
        a.resource.Properties?.Namespace === 'AWS/SNS' &&
        a.resource.Properties.MetricName === 'SMSMonthToDateSpentUSD',
    );
  const threshold = smsSpend?.resource.Properties?.Threshold;
  return {
    alarms: alarmsOf(resolver),
    schedules,
    jobs: [...jobs].map(([functionName, names]) => ({ functionName, schedules: names })),
    deadLetterQueues: deadLetterQueuesOf(resolver),
    topics: topicsOf(resolver),
    buckets: bucketsOf(resolver),
    tables: resolver
      .all('AWS::DynamoDB::Table')
      .filter((t) => t.resource.Properties?.TableName !== undefined)
      .map((t) => resolver.nameOf(t))
      .sort(),
    ...(typeof threshold === 'number' ? { smsSpendThresholdUsd: threshold } : {}),
  };
}

/**
 * The function that EventBridge's alarm rule invokes — the alert router as deployed. Needs no account:
 * function names are literal.
 */
export function alarmRouterFunction(stacks: readonly SynthesizedStack[], region: string): string {
  const resolver = new TemplateResolver(stacks, { region, partition: partitionOf(region) });
  for (const rule of resolver.all('AWS::Events::Rule')) {
    const props = rule.resource.Properties ?? {};
    const pattern = props.EventPattern;
    const types = isObject(pattern) ? pattern['detail-type'] : undefined;
    if (!Array.isArray(types) || !types.includes('CloudWatch Alarm State Change')) continue;
    for (const target of Array.isArray(props.Targets) ? props.Targets.filter(isObject) : []) {
      const fn = resolver.referenced(rule.stack, target.Arn);
      if (fn?.resource.Type === 'AWS::Lambda::Function') return resolver.nameOf(fn);
    }
  }
  throw new UnresolvedValue(
    'the alert router (no EventBridge rule on "CloudWatch Alarm State Change" targets a function)',
  );
}
