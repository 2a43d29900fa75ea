/**
 * Function defaults in one place (DESIGN §6): Node.js 24 on ARM64, JSON logs into an explicit,
 * encrypted log group with retention, X-Ray tracing when config.tracing is on, source maps (NODE_OPTIONS from the job's environment
 * contract, lambdas/shared/env.ts), everything (including @aws-sdk/*) bundled, and an own role with no
 * managed policies.
 */
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type DockerImageCode,
  DockerImageFunction,
  type Function as LambdaFunction,
  Function as LambdaFunctionConstruct,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { WrittenEnv } from '../../lambdas/shared/env';
import type { LogRetentionDays } from '../config/primitives';
import { BUNDLED_HANDLER, handlerCode } from './bundle';
import type { NightshiftContext } from './context';
import { grantSendToQueue } from './grants';

export interface JobFunctionProps {
  readonly context: NightshiftContext;
  /** Short name, e.g. "health-check"; the function is named `<project>-<name>`. */
  readonly name: string;
  readonly description: string;
  /** Handler file (TypeScript) for a Node.js function. One of entry / image. */
  readonly entry?: string;
  /** Container image code (backup jobs). One of entry / image. */
  readonly image?: DockerImageCode;
  /** @default 1 minute */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Written by the job's contract (lambdas/<job>/env.ts), NODE_OPTIONS included. */
  readonly environment: WrittenEnv;
  /** Run inside context.network. @default false */
  readonly vpc?: boolean;
  /** Dead-letter queue for failed asynchronous invocations. */
  readonly deadLetterQueue?: IQueue;
}

export interface JobFunction {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
}

/** The CDK value of a retention the config allows (LOG_RETENTION_DAYS, checked by validateConfig). */
export function retentionDays(days: LogRetentionDays): RetentionDays {
  return days as number as RetentionDays;
}

/**
 * The one log group recipe (jobs, Lambda or Fargate, and state machines): `/nightshift/<project>/<name>`,
 * the configured retention unless told otherwise, encrypted with the project key (with
 * `encryption: aws-managed`, CloudWatch Logs' own default encryption).
 */
export function jobLogGroup(
  scope: Construct,
  id: string,
  context: NightshiftContext,
  name: string,
  options: { retention?: RetentionDays; removalPolicy?: RemovalPolicy } = {},
): LogGroup {
  return new LogGroup(scope, id, {
    logGroupName: `/nightshift/${context.project}/${name}`,
    retention: options.retention ?? retentionDays(context.config.logRetentionDays),
    encryptionKey: context.key,
    ...(options.removalPolicy ? { removalPolicy: options.removalPolicy } : {}),
  });
}

/** Creates a Lambda function with the project's defaults. */
export function jobFunction(scope: Construct, id: string, props: JobFunctionProps): JobFunction {
  const { context } = props;
  if (Boolean(props.entry) === Boolean(props.image))
    throw new Error(`internal: ${id} needs exactly one of entry or image`);
  if (props.vpc && !context.network)
    throw new Error(`internal: ${id} asks for the VPC but config.network is not set`);
  const functionName = `${context.project}-${props.name}`;

  const logGroup = jobLogGroup(scope, `${id}Logs`, context, props.name);
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs ${functionName}`,
  });
  logGroup.grantWrite(role);

  const network = props.vpc ? context.network : undefined;
  const common = {
    functionName,
    description: props.description,
    role,
    architecture: Architecture.ARM_64,
    timeout: props.timeout ?? Duration.minutes(1),
    memorySize: props.memorySize ?? 512,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    tracing: tracingEnabled(context) ? Tracing.ACTIVE : Tracing.DISABLED,
    deadLetterQueue: props.deadLetterQueue,
    environment: { ...props.environment.variables },
    ...(network
      ? { vpc: network.vpc, vpcSubnets: { subnets: network.subnets }, securityGroups: network.securityGroups }
      : {}),
  };

  const fn: LambdaFunction = props.entry
    ? new LambdaFunctionConstruct(scope, id, {
        ...common,
        code: handlerCode(scope, props.entry),
        handler: BUNDLED_HANDLER,
        runtime: Runtime.NODEJS_24_X,
      })
    : new DockerImageFunction(scope, id, { ...common, code: props.image as DockerImageCode });

  if (network) {
    // What AWSLambdaVPCAccessExecutionRole grants, written out: ENI management has no resource-level scoping.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
  }
  // Lambda's dead-letter config grants sqs:SendMessage only; the project-key encryption needs more.
  if (props.deadLetterQueue) grantSendToQueue(role, props.deadLetterQueue);
  acknowledgeFunctionFindings(role, Boolean(network), tracingEnabled(context));
  acknowledgeTracingOff(fn, context);
  return { function: fn, logGroup, role };
}

/**
 * X-Ray for every Nightshift function and state machine, in one place: off unless `config.tracing`,
 * because each recorded trace is billed past the free 100,000 a month and health checks alone run
 * about 44,000 times a month per schedule.
 */
export function tracingEnabled(context: NightshiftContext): boolean {
  return context.config.tracing;
}

/** With tracing off, the cdk-nag rules that require X-Ray are acknowledged on `scope`, with the reason. */
export function acknowledgeTracingOff(scope: IConstruct, context: NightshiftContext): void {
  if (tracingEnabled(context)) return;
  const reason =
    'X-Ray is off by default to keep the monthly cost down (config.tracing: true turns it on); failures are reported by alarms, structured JSON logs and the DLQ.';
  for (const id of [
    'Serverless-LambdaTracing',
    'AwsSolutions-SF2',
    'Serverless-StepFunctionStateMachineXray',
  ])
    Validations.of(scope).acknowledge({ id, reason });
}

/** The finding every job function has by design, with its reason. */
function acknowledgeFunctionFindings(role: Role, inVpc: boolean, tracing: boolean): void {
  const unscoped = [
    ...(tracing ? ['X-Ray PutTraceSegments/PutTelemetryRecords'] : []),
    ...(inVpc ? ['Lambda ENI management (ec2:CreateNetworkInterface and friends)'] : []),
  ];
  if (unscoped.length === 0) return;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `${unscoped.join(' and ')} support no resource-level permissions.`,
  });
}

/** Region/account-qualified ARN helper for policies. */
export function arnFor(scope: Construct, service: string, resource: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
}
