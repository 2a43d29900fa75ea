/**
 * The status page (docs/status-page.md): one small function that serves `/` (HTML) and `/status.json`
 * from a Lambda Function URL with AWS_IAM auth, and records incidents when the alarms of the page's
 * targets change state (an EventBridge rule of its own: the alert router is untouched). With
 * `statusPage.public` a CloudFront distribution in front signs its origin requests with origin access
 * control, caches for the page's cacheSeconds and is the only public way in; without it only callers
 * allowed lambda:InvokeFunctionUrl can read the page. Incidents live in `<project>-nightshift-status`.
 */
import { join } from 'node:path';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { type Alarm, type CfnAlarm, ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType, type Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HealthMetric } from '../../lambdas/health-check/metrics';
import { statusPageEnvironment } from '../../lambdas/status-page/env';
import {
  DEFAULT_CACHE_SECONDS,
  type IncidentKind,
  type StatusPageSettings,
  type StatusTarget,
  statusTableName,
} from '../../lambdas/status-page/settings';
import type { StatusPageConfig } from '../config/schema';
import { nightshiftAlarm } from './alarms';
import type { NightshiftContext } from './context';
import { deadLetterQueue } from './dead-letter-queue';
import { jobFunction } from './function-defaults';
import { acknowledgeWildcard } from './nag';
import { stateTable } from './state-table';

export const STATUS_PAGE_ENTRY = join(import.meta.dirname, '../../lambdas/status-page/handler.ts');

/** Which health alarm, by the metric it watches (lambdas/health-check/metrics.ts), opens which incident. */
const INCIDENT_OF_METRIC: Partial<Record<string, IncidentKind>> = {
  [HealthMetric.Up]: 'down',
  [HealthMetric.LatencyMs]: 'slow',
};

/** The metric an alarm watches and its period (s): its own, or the one metric of its math (e.g. FILL(m, 0)). */
function watchedMetric(cfn: CfnAlarm): { name?: string | undefined; period?: number | undefined } {
  if (cfn.metricName)
    return { name: cfn.metricName, period: typeof cfn.period === 'number' ? cfn.period : undefined };
  const queries = Array.isArray(cfn.metrics) ? (cfn.metrics as CfnAlarm.MetricDataQueryProperty[]) : [];
  const stats = queries.flatMap((q) => {
    const stat = q.metricStat as CfnAlarm.MetricStatProperty | undefined;
    const metric = stat?.metric as CfnAlarm.MetricProperty | undefined;
    return stat && metric?.metricName ? [{ name: metric.metricName, period: stat.period as number }] : [];
  });
  return stats.length === 1 ? (stats[0] ?? {}) : {};
}

export interface StatusPageProps {
  readonly context: NightshiftContext;
  /** The health checks' alarms per target name (HealthChecks.targetAlarms). */
  readonly targetAlarms: ReadonlyMap<string, readonly Alarm[]>;
}

/** The page's settings from the config and the targets' alarms (names and periods from the alarms themselves). */
export function statusPageSettings(
  project: string,
  section: StatusPageConfig,
  targetAlarms: ReadonlyMap<string, readonly Alarm[]>,
): StatusPageSettings {
  const targets = section.targets.map((entry): StatusTarget => {
    const target = typeof entry === 'string' ? entry : entry.target;
    const display = typeof entry === 'string' ? entry : entry.name;
    const alarms: Record<string, IncidentKind> = {};
    let periodMs = 60_000;
    for (const alarm of targetAlarms.get(target) ?? []) {
      const cfn = alarm.node.defaultChild as CfnAlarm;
      const watched = watchedMetric(cfn);
      const kind = INCIDENT_OF_METRIC[watched.name ?? ''];
      if (!kind || !cfn.alarmName) continue;
      alarms[cfn.alarmName] = kind;
      if (kind === 'down' && typeof watched.period === 'number') periodMs = watched.period * 1000;
    }
    if (!Object.values(alarms).includes('down')) {
      // validateConfig lets the page list health-check targets only, and each has a down alarm
      throw new Error(`internal: statusPage target ${target} has no down alarm among its alarms`);
    }
    return { target, display, periodMs, alarms };
  });
  return {
    project,
    title: section.title,
    public: section.public,
    cacheSeconds: DEFAULT_CACHE_SECONDS,
    targets,
  };
}

export class StatusPage extends Construct {
  readonly function: LambdaFn;
  readonly functionUrl: FunctionUrl;
  readonly table: Table;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  readonly distribution?: Distribution;
  readonly settings: StatusPageSettings;

  constructor(scope: Construct, id: string, props: StatusPageProps) {
    super(scope, id);
    const { context } = props;
    const { project, config } = context;
    const section = config.statusPage;
    if (!section) throw new Error('internal: StatusPage built without config.statusPage');
    this.settings = statusPageSettings(project, section, props.targetAlarms);
    // validateConfig keeps the settings within a Lambda environment (lib/config/limits.ts)

    this.table = stateTable(this, 'Incidents', {
      tableName: statusTableName(project),
      partitionKey: 'target',
      sortKey: 'id',
    });

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      context,
      queueName: `${project}-status-page-dlq`,
      holds: 'the status page function and its alarm rule',
    });
    const fn = jobFunction(this, 'Function', {
      context,
      name: 'status-page',
      description: `${project} status page: serves the page and records incidents from alarm state changes`,
      entry: STATUS_PAGE_ENTRY,
      timeout: Duration.seconds(10),
      memorySize: 256,
      deadLetterQueue: this.deadLetterQueue,
      environment: statusPageEnvironment({
        settings: JSON.stringify(this.settings),
        table: this.table.tableName,
      }),
    });
    this.function = fn.function;
    // GetMetricData has no resource-level permissions; the function reads only the Up metric it is told
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    acknowledgeWildcard(
      fn.role,
      '*',
      'cloudwatch:GetMetricData supports no resource-level permissions; the function reads the Up metric of the status-page targets only.',
    );
    this.table.grant(fn.role, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    this.functionUrl = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    const alarmNames = this.settings.targets.flatMap((t) => Object.keys(t.alarms));
    this.rule = new Rule(this, 'IncidentAlarms', {
      ruleName: `${project}-status-page-incidents`,
      description: `State changes of the ${project} status-page targets' alarms open and close incidents`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: alarmNames },
      },
      targets: [
        new LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    nightshiftAlarm(this, 'Failed', {
      context,
      name: 'status-page-failed',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'low',
      target: 'status-page',
      summary: 'the status page failed: the page may be stale or incidents unrecorded',
    });
    nightshiftAlarm(this, 'Undelivered', {
      context,
      name: 'status-page-undelivered',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      severity: 'low',
      target: 'status-page',
      summary:
        'alarm changes did not reach the status page (see its dead-letter queue): incidents may be missing',
    });

    if (section.public) {
      const cachePolicy = new CachePolicy(this, 'CachePolicy', {
        cachePolicyName: `${project}-status-page`,
        comment: 'Honours the status page Cache-Control; no cookies, headers or query strings',
        minTtl: Duration.seconds(0),
        defaultTtl: Duration.seconds(DEFAULT_CACHE_SECONDS),
        maxTtl: Duration.minutes(5),
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      });
      this.distribution = new Distribution(this, 'Distribution', {
        comment: `${project} status page`,
        defaultBehavior: {
          origin: FunctionUrlOrigin.withOriginAccessControl(this.functionUrl, {
            readTimeout: Duration.seconds(10),
          }),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy,
          compress: true,
        },
        priceClass: PriceClass.PRICE_CLASS_100,
        httpVersion: HttpVersion.HTTP2_AND_3,
      });
      for (const [rule, reason] of [
        ['AwsSolutions-CFR1', 'A public status page is meant to be reachable from every country.'],
        [
          'AwsSolutions-CFR2',
          'The origin answers only CloudFront-signed GET/HEAD of two cached documents; AWS WAF would cost more than the page itself ($5/month per web ACL).',
        ],
        [
          'AwsSolutions-CFR3',
          'The page is public and read-only; access logs would cost storage for no operational use.',
        ],
        [
          'AwsSolutions-CFR4',
          'The distribution uses the default *.cloudfront.net certificate, whose minimum TLS version CloudFront fixes; a custom domain brings its own certificate and policy.',
        ],
      ] as const) {
        Validations.of(this.distribution).acknowledge({ id: rule, reason });
      }
      new CfnOutput(Stack.of(this), 'StatusPageUrl', {
        description: 'The public status page',
        value: `https://${this.distribution.distributionDomainName}/`,
      });
    } else {
      new CfnOutput(Stack.of(this), 'StatusPageUrl', {
        description: 'The status page (AWS_IAM: signed requests with lambda:InvokeFunctionUrl only)',
        value: this.functionUrl.url,
      });
    }
  }
}
