/**
 * Permission contract (issue 9, ADR 003): the IAM decisions the deployed app depends on, evaluated
 * offline by @cloud-copilot/iam-simulate over the synthesized templates of both stacks.
 *
 * `PermissionModel` reads, straight from the templates, every role with its inline, attached and
 * template-managed policies and tags, the KMS key policies, the SQS queue, SNS topic and S3 bucket
 * policies, and the Lambda permissions (as the function's resource policy). References (Ref,
 * Fn::GetAtt, Fn::ImportValue, Fn::Join, Fn::Select, Fn::Split, Fn::Sub, pseudo parameters) resolve to
 * synthetic ARNs built from each resource's name property, the same way in both stacks, so an
 * ImportValue in the jobs stack and the exporting resource in the data stack meet at one ARN.
 *
 * `contractChecks` lists the runtime paths the issue names (allowed) and the accesses that must stay
 * impossible (denied), derived from the config and the template's own wiring (schedules, rules,
 * subscriptions, functions, log groups); `evaluateChecks` runs them.
 */

import { createHash } from 'node:crypto';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { ackLinkTableName } from '../../lambdas/ack-link/links';
import { ackTableName } from '../../lambdas/alert-router/acks';
import { memberTopicName } from '../../lambdas/alert-router/settings';
import { scrapeTableName } from '../../lambdas/health-check/prometheus/state';
import { statusTableName } from '../../lambdas/status-page/settings';
import type { NightshiftApp } from '../../lib/app';
import { ssmParameterName } from '../../lib/config/primitives';
import { effectiveBackupTargets, effectiveHealthTargets } from '../../lib/config/resolved';
import type { NightshiftConfig } from '../../lib/config/schema';
import { PUBLISHER_TAG } from '../../lib/constructs/alerting';
import { BACKUP_ROOT } from '../../lib/constructs/backup-bucket-rules';
import { maintenanceSecrets } from '../../lib/constructs/db-maintenance';
import { referencedSecrets } from '../../lib/constructs/health-check';
import { LOG_ARCHIVE_PREFIX } from '../../lib/constructs/log-archive';
import { bucketNames, levelTopicName } from '../../lib/constructs/names';

// ---------------------------------------------------------------------------------------------
// Templates and references
// ---------------------------------------------------------------------------------------------

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

export interface ContractEnv {
  readonly account: string;
  readonly region: string;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[];
}

/** Account used when the config leaves the account to the deploy-time environment. */
export const SYNTHETIC_ACCOUNT = '111122223333';
/** The label DynamoDB gives a table's stream when it is enabled (a timestamp; any one will do). */
export const STREAM_LABEL = '2026-01-01T00:00:00.000';

/** The two stacks' templates of a built app, and the account/region to resolve them in. */
export function appTemplates(
  built: NightshiftApp,
  config: NightshiftConfig,
): {
  stacks: StackTemplate[];
  env: ContractEnv;
} {
  return {
    stacks: [built.data, built.jobs].map((stack) => ({
      stackName: stack.stackName,
      template: Template.fromStack(stack).toJSON() as CfnTemplate,
    })),
    env: { account: config.account ?? SYNTHETIC_ACCOUNT, region: config.region },
  };
}

function fail(message: string): never {
  throw new Error(`iam-contract: ${message}`);
}

function syntheticKeyId(stackName: string, logicalId: string): string {
  const h = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * iam-simulate 0.1.173 only accepts variable context keys whose variable part follows a "/" (like
 * aws:PrincipalTag/x); `kms:EncryptionContext:aws:logs:arn` is dropped as unknown, which would make
 * every encryption-context condition fail closed. Such keys are renamed to one stand-in, in the
 * policies and in the request alike, so the condition is still evaluated with its own operator.
 */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:(.+)$/i;
function standIn(key: string): string {
  const match = ENCRYPTION_CONTEXT.exec(key);
  return match ? `aws:RequestTag/kms-encryption-context/${match[1]}` : key;
}

function renameConditionKeys(document: PolicyDocument): PolicyDocument {
  return {
    ...document,
    Statement: document.Statement.map((statement) => {
      const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
      if (!condition) return statement;
      return {
        ...statement,
        Condition: Object.fromEntries(
          Object.entries(condition).map(([operator, entries]) => [
            operator,
            Object.fromEntries(Object.entries(entries).map(([key, value]) => [standIn(key), value])),
          ]),
        ),
      };
    }),
  };
}

export interface RoleInfo {
  readonly stackName: string;
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly tags: Record<string, string>;
  readonly policies: { name: string; document: PolicyDocument }[];
  /** AWS-managed policies: their documents are not in the template, so they are not modelled. */
  readonly awsManagedPolicies: string[];
}

interface Located {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

export class PermissionModel {
  readonly roles: RoleInfo[] = [];
  /** Resource policies by resource ARN (S3: by bucket ARN; the object ARN is mapped to it). */
  readonly resourcePolicies = new Map<string, PolicyDocument>();
  readonly env: ContractEnv;
  private readonly stacks: StackTemplate[];

  constructor(stacks: StackTemplate[], env: ContractEnv) {
    this.stacks = stacks;
    this.env = env;
    this.collectRoles();
    this.collectResourcePolicies();
  }

  static fromApp(built: NightshiftApp, config: NightshiftConfig): PermissionModel {
    const { stacks, env } = appTemplates(built, config);
    return new PermissionModel(stacks, env);
  }

  /** Every resource of `type` in both stacks. */
  all(type: string): Located[] {
    return this.stacks.flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {})
        .filter(([, resource]) => resource.Type === type)
        .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
    );
  }

  /** Resolves a template value (intrinsics included) in the scope of `stack`. */
  resolve(stack: StackTemplate, value: unknown): unknown {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (value === null || value === undefined) return value;
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = object[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(stack, arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = arg as [string, string];
          return this.getAtt(stack, id, attribute);
        }
        case 'Fn::Join': {
          const [delimiter, items] = arg as [string, unknown[]];
          return items.map((item) => this.str(stack, item)).join(delimiter);
        }
        case 'Fn::ImportValue':
          return this.importValue(this.str(stack, arg));
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(stack, list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg as [string, unknown];
          return this.str(stack, source).split(delimiter);
        }
        case 'Fn::Sub': {
          const template = typeof arg === 'string' ? arg : (arg as [string, unknown])[0];
          const vars = typeof arg === 'string' ? {} : ((arg as [string, Record<string, unknown>])[1] ?? {});
          return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return this.str(stack, vars[name]);
            const [id, attribute] = name.split('.');
            return attribute ? this.getAtt(stack, id as string, attribute) : this.ref(stack, name);
          });
        }
        default:
          if (fn.startsWith('Fn::')) fail(`${fn} is not modelled (in ${stack.stackName})`);
      }
    }
    return Object.fromEntries(keys.map((key) => [key, this.resolve(stack, object[key])]));
  }

  /** Resolves a value of `stack` (a CDK `stack.resolve(token)` result) by stack name. */
  resolveIn(stackName: string, value: unknown): string {
    const stack = this.stacks.find((s) => s.stackName === stackName) ?? fail(`no stack ${stackName}`);
    return this.str(stack, value);
  }

  private str(stack: StackTemplate, value: unknown): string {
    const resolved = this.resolve(stack, value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number')
      fail(`expected a string, got ${JSON.stringify(value)} in ${stack.stackName}`);
    return String(resolved);
  }

  private importValue(name: string): unknown {
    for (const stack of this.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export && this.str(stack, output.Export.Name) === name)
          return this.resolve(stack, output.Value);
      }
    }
    return fail(`no stack exports ${name}`);
  }

  private resource(stack: StackTemplate, logicalId: string): CfnResource {
    return stack.template.Resources?.[logicalId] ?? fail(`${stack.stackName} has no resource ${logicalId}`);
  }

  private nameOf(stack: StackTemplate, logicalId: string, property: string): string {
    const value = this.resource(stack, logicalId).Properties?.[property];
    return value === undefined ? logicalId.toLowerCase() : this.str(stack, value);
  }

  private ref(stack: StackTemplate, id: string): string {
    const { account, region } = this.env;
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
    }
    const type = this.resource(stack, id).Type;
    const name = (property: string) => this.nameOf(stack, id, property);
    switch (type) {
      case 'AWS::IAM::Role':
        return name('RoleName');
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${account}:policy/${name('ManagedPolicyName')}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${name('QueueName')}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${name('TopicName')}`;
      case 'AWS::KMS::Key':
        return syntheticKeyId(stack.stackName, id);
      case 'AWS::S3::Bucket':
        return name('BucketName');
      case 'AWS::Lambda::Function':
        return name('FunctionName');
      case 'AWS::Logs::LogGroup':
        return name('LogGroupName');
      case 'AWS::DynamoDB::Table':
        return name('TableName');
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${name('StateMachineName')}`;
      case 'AWS::Events::Rule':
        return name('Name');
      case 'AWS::ECS::Cluster':
        return name('ClusterName');
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${region}:${account}:task-definition/${name('Family')}:1`;
      case 'AWS::KinesisFirehose::DeliveryStream':
        return name('DeliveryStreamName');
      case 'AWS::CloudFront::Distribution':
        return name('Id');
      default:
        return fail(`Ref of ${type} (${id}) is not modelled`);
    }
  }

  private getAtt(stack: StackTemplate, id: string, attribute: string): string {
    const { account, region } = this.env;
    const type = this.resource(stack, id).Type;
    const ref = () => this.ref(stack, id);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${ref()}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${this.nameOf(stack, id, 'QueueName')}`;
      case 'AWS::SQS::Queue.QueueName':
        return this.nameOf(stack, id, 'QueueName');
      case 'AWS::SNS::Topic.TopicArn':
        return ref();
      case 'AWS::SNS::Topic.TopicName':
        return this.nameOf(stack, id, 'TopicName');
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/${ref()}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${ref()}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${ref()}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${ref()}:*`;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${ref()}`;
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${id.toLowerCase().padEnd(32, '0').slice(0, 32)}.lambda-url.${region}.on.aws/`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${region}:${account}:table/${ref()}/stream/${STREAM_LABEL}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref();
      case 'AWS::StepFunctions::StateMachine.Name':
        return this.nameOf(stack, id, 'StateMachineName');
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${region}:${account}:rule/${ref()}`;
      case 'AWS::ECS::Cluster.Arn':
        return `arn:aws:ecs:${region}:${account}:cluster/${ref()}`;
      case 'AWS::ECS::TaskDefinition.TaskDefinitionArn':
        return ref();
      case 'AWS::Lambda::Url.FunctionArn':
        return this.str(stack, this.resource(stack, id).Properties?.TargetFunctionArn);
      case 'AWS::KinesisFirehose::DeliveryStream.Arn':
        return `arn:aws:firehose:${region}:${account}:deliverystream/${ref()}`;
      default:
        return fail(`Fn::GetAtt ${attribute} of ${type} (${id}) is not modelled`);
    }
  }

  private document(stack: StackTemplate, value: unknown): PolicyDocument {
    const resolved = this.resolve(stack, value) as PolicyDocument;
    const statements = Array.isArray(resolved.Statement) ? resolved.Statement : [resolved.Statement];
    return renameConditionKeys({ ...resolved, Statement: statements });
  }

  private collectRoles(): void {
    const byStackAndId = new Map<string, RoleInfo>();
    for (const { stack, logicalId, resource } of this.all('AWS::IAM::Role')) {
      const props = resource.Properties ?? {};
      const name = this.ref(stack, logicalId);
      const tags = Object.fromEntries(
        ((this.resolve(stack, props.Tags) as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [
          t.Key,
          t.Value,
        ]),
      );
      const policies = ((props.Policies as { PolicyName: unknown; PolicyDocument: unknown }[]) ?? []).map(
        (p) => ({ name: this.str(stack, p.PolicyName), document: this.document(stack, p.PolicyDocument) }),
      );
      const managed = ((this.resolve(stack, props.ManagedPolicyArns) as string[] | undefined) ?? []).filter(
        (arn) => arn.startsWith('arn:aws:iam::aws:policy/'),
      );
      const role: RoleInfo = {
        stackName: stack.stackName,
        logicalId,
        name,
        arn: `arn:aws:iam::${this.env.account}:role/${name}`,
        tags,
        policies,
        awsManagedPolicies: managed,
      };
      this.roles.push(role);
      byStackAndId.set(`${stack.stackName}/${logicalId}`, role);
    }
    const attach = (stack: StackTemplate, roles: unknown, name: string, document: PolicyDocument) => {
      for (const roleRef of (roles as unknown[] | undefined) ?? []) {
        const roleName = this.str(stack, roleRef);
        const role =
          this.roles.find((r) => r.name === roleName) ??
          fail(`policy ${name} names unknown role ${roleName}`);
        role.policies.push({ name, document });
      }
    };
    for (const { stack, logicalId, resource } of this.all('AWS::IAM::Policy')) {
      const props = resource.Properties ?? {};
      attach(stack, props.Roles, logicalId, this.document(stack, props.PolicyDocument));
    }
    for (const { stack, logicalId, resource } of this.all('AWS::IAM::ManagedPolicy')) {
      const props = resource.Properties ?? {};
      attach(stack, props.Roles, logicalId, this.document(stack, props.PolicyDocument));
    }
  }

  private addResourceStatements(arn: string, document: PolicyDocument): void {
    const existing = this.resourcePolicies.get(arn);
    this.resourcePolicies.set(
      arn,
      existing ? { ...existing, Statement: [...existing.Statement, ...document.Statement] } : document,
    );
  }

  private collectResourcePolicies(): void {
    for (const { stack, logicalId, resource } of this.all('AWS::KMS::Key')) {
      this.addResourceStatements(
        this.getAtt(stack, logicalId, 'Arn'),
        this.document(stack, resource.Properties?.KeyPolicy),
      );
    }
    for (const { stack, resource } of this.all('AWS::SQS::QueuePolicy')) {
      const document = this.document(stack, resource.Properties?.PolicyDocument);
      for (const url of this.resolve(stack, resource.Properties?.Queues) as string[]) {
        const name = url.split('/').pop() as string;
        this.addResourceStatements(`arn:aws:sqs:${this.env.region}:${this.env.account}:${name}`, document);
      }
    }
    for (const { stack, resource } of this.all('AWS::SNS::TopicPolicy')) {
      const document = this.document(stack, resource.Properties?.PolicyDocument);
      for (const arn of this.resolve(stack, resource.Properties?.Topics) as string[]) {
        this.addResourceStatements(arn, document);
      }
    }
    for (const { stack, resource } of this.all('AWS::S3::BucketPolicy')) {
      const bucket = this.str(stack, resource.Properties?.Bucket);
      this.addResourceStatements(
        `arn:aws:s3:::${bucket}`,
        this.document(stack, resource.Properties?.PolicyDocument),
      );
    }
    for (const { stack, resource } of this.all('AWS::Lambda::Permission')) {
      const props = this.resolve(stack, resource.Properties) as Record<string, string>;
      const fn = props.FunctionName as string;
      const arn = fn.startsWith('arn:')
        ? fn
        : `arn:aws:lambda:${this.env.region}:${this.env.account}:function:${fn}`;
      const principal = props.Principal as string;
      const condition: Record<string, Record<string, string>> = {};
      if (props.SourceArn) condition.ArnLike = { 'aws:SourceArn': props.SourceArn };
      if (props.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': props.SourceAccount };
      this.addResourceStatements(arn, {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: principal.includes('.') ? { Service: principal } : { AWS: principal },
            Action: props.Action,
            Resource: arn,
            ...(Object.keys(condition).length ? { Condition: condition } : {}),
          },
        ],
      });
    }
  }

  /** The role whose ARN is `arn`. */
  roleByArn(arn: string): RoleInfo {
    return this.roles.find((r) => r.arn === arn) ?? fail(`no role with ARN ${arn}`);
  }

  /** Resolved properties of the one resource of `type` whose `property` resolves to `value`. */
  findBy(
    type: string,
    property: string,
    value: string,
  ): { located: Located; props: Record<string, unknown> } {
    for (const located of this.all(type)) {
      const props = located.resource.Properties ?? {};
      if (props[property] !== undefined && this.resolve(located.stack, props[property]) === value) {
        return { located, props: this.resolve(located.stack, props) as Record<string, unknown> };
      }
    }
    return fail(`no ${type} with ${property} = ${value}`);
  }

  /** The resource policy that governs `resourceArn`, if any. */
  resourcePolicyFor(resourceArn: string): PolicyDocument | undefined {
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(resourceArn);
    if (s3) return this.resourcePolicies.get(`arn:aws:s3:::${s3[1]}`);
    const lambda = /^(arn:aws:lambda:[^:]+:[^:]+:function:[^:]+)/.exec(resourceArn);
    if (lambda) return this.resourcePolicies.get(lambda[1] as string);
    return this.resourcePolicies.get(resourceArn);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

export type ContractPrincipal =
  | { readonly kind: 'role'; readonly role: RoleInfo }
  | { readonly kind: 'service'; readonly service: string }
  /** A role that is not in the templates (another workload in the account). */
  | {
      readonly kind: 'outsider';
      readonly name: string;
      readonly tags: Record<string, string>;
      readonly policy: PolicyDocument;
    };

export interface PermissionCheck {
  /** What the check stands for, e.g. "scheduler backup-postgres → its DLQ's key". */
  readonly path: string;
  readonly principal: ContractPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly expect: 'allow' | 'deny';
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface CheckOutcome {
  readonly check: PermissionCheck;
  readonly decision: Decision;
  readonly ok: boolean;
}

function principalArn(model: PermissionModel, principal: ContractPrincipal): string {
  if (principal.kind === 'service') return principal.service;
  const name = principal.kind === 'role' ? principal.role.name : principal.name;
  return `arn:aws:sts::${model.env.account}:assumed-role/${name}/nightshift-contract`;
}

function baseContext(model: PermissionModel, principal: ContractPrincipal): Record<string, string> {
  const context: Record<string, string> = {
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': model.env.region,
  };
  if (principal.kind === 'service') {
    context['aws:PrincipalServiceName'] = principal.service;
    context['aws:PrincipalIsAWSService'] = 'true';
    return context;
  }
  const name = principal.kind === 'role' ? principal.role.name : principal.name;
  const tags = principal.kind === 'role' ? principal.role.tags : principal.tags;
  context['aws:PrincipalArn'] = `arn:aws:iam::${model.env.account}:role/${name}`;
  context['aws:PrincipalAccount'] = model.env.account;
  context['aws:PrincipalIsAWSService'] = 'false';
  for (const [key, value] of Object.entries(tags)) context[`aws:PrincipalTag/${key}`] = value;
  return context;
}

/** Evaluates one check with iam-simulate; throws on invalid input or a context key it would ignore. */
export async function evaluateCheck(model: PermissionModel, check: PermissionCheck): Promise<CheckOutcome> {
  const { principal } = check;
  const identityPolicies =
    principal.kind === 'role'
      ? principal.role.policies.map((p) => ({ name: p.name, policy: p.document }))
      : principal.kind === 'outsider'
        ? [{ name: 'outsider', policy: principal.policy }]
        : [];
  const context = Object.fromEntries(
    Object.entries({ ...baseContext(model, principal), ...check.context }).map(([k, v]) => [standIn(k), v]),
  );
  const response = await runSimulation(
    {
      request: {
        principal: principalArn(model, principal),
        action: check.action,
        resource: { resource: check.resource, accountId: model.env.account },
        contextVariables: context,
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: model.resourcePolicyFor(check.resource),
    },
    {},
  );
  if (response.resultType === 'error') {
    fail(`${check.path}: ${response.errors.message} ${JSON.stringify(response.errors).slice(0, 600)}`);
  }
  if (response.resultType === 'single') {
    const specific = Object.keys(check.context ?? {})
      .map(standIn)
      .filter((key) => response.result.ignoredContextKeys?.includes(key));
    if (specific.length) fail(`${check.path}: iam-simulate ignores context ${specific.join(', ')}`);
  }
  const decision = response.overallResult as Decision;
  const ok = check.expect === 'allow' ? decision === 'Allowed' : decision !== 'Allowed';
  return { check, decision, ok };
}

export async function evaluateChecks(
  model: PermissionModel,
  checks: PermissionCheck[],
): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const check of checks) outcomes.push(await evaluateCheck(model, check));
  return outcomes;
}

/** One line per failed check, for assertion messages. */
export function describeFailures(outcomes: CheckOutcome[]): string[] {
  return outcomes
    .filter((o) => !o.ok)
    .map(
      (o) =>
        `${o.check.path}: expected ${o.check.expect}, got ${o.decision} (${o.check.action} on ${o.check.resource})`,
    );
}

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

const FAKE_SECRET_SUFFIX = 'Ab12Cd';

/** The ARN Secrets Manager gives a secret named or partially identified by `nameOrArn`. */
export function secretArn(env: ContractEnv, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:'))
    return /-[A-Za-z0-9]{6}$/.test(nameOrArn) ? nameOrArn : `${nameOrArn}-${FAKE_SECRET_SUFFIX}`;
  return `arn:aws:secretsmanager:${env.region}:${env.account}:secret:${nameOrArn}-${FAKE_SECRET_SUFFIX}`;
}

/**
 * How a job reads a secret reference: Secrets Manager GetSecretValue on the secret, or for `ssm:/name`
 * (an SSM SecureString) ssm:GetParameter on the parameter.
 */
export function secretRead(env: ContractEnv, ref: string): { action: string; resource: string } {
  if (ref.startsWith('ssm:')) {
    const name = ref.slice('ssm:'.length).replace(/^\//, '');
    return {
      action: 'ssm:GetParameter',
      resource: `arn:aws:ssm:${env.region}:${env.account}:parameter/${name}`,
    };
  }
  return { action: 'secretsmanager:GetSecretValue', resource: secretArn(env, ref) };
}

/** A secret no config references. */
const UNREFERENCED_SECRET = 'nightshift-contract/unreferenced';

function backupSecrets(target: ReturnType<typeof effectiveBackupTargets>[number]): string[] {
  const connection = target.target[target.engine] as { secret?: string } | undefined;
  return [connection?.secret, target.target.verify?.secret].filter((s): s is string => Boolean(s));
}

interface JobRole {
  readonly label: string;
  readonly role: RoleInfo;
  /** Secrets this role references (by config). */
  readonly secrets: string[];
}

/** Checks of sending to `queueArn` (and its key, when it has one) as `principal`. */
function queueSendChecks(
  model: PermissionModel,
  path: string,
  principal: ContractPrincipal,
  queueArn: string,
  serviceContext: Record<string, string> = {},
): PermissionCheck[] {
  const name = queueArn.split(':').pop() as string;
  const { props } = model.findBy('AWS::SQS::Queue', 'QueueName', name);
  const checks: PermissionCheck[] = [
    {
      path: `${path} → ${name}`,
      principal,
      action: 'sqs:SendMessage',
      resource: queueArn,
      context: serviceContext,
      expect: 'allow',
    },
  ];
  const key = props.KmsMasterKeyId as string | undefined;
  if (key) {
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      checks.push({
        path: `${path} → ${name}'s key`,
        principal,
        action,
        resource: key,
        context: {
          ...serviceContext,
          ...(principal.kind === 'service'
            ? {}
            : { 'kms:ViaService': `sqs.${model.env.region}.amazonaws.com` }),
          'kms:EncryptionContext:aws:sqs:arn': queueArn,
        },
        expect: 'allow',
      });
    }
  }
  return checks;
}

function role(model: PermissionModel, arn: unknown): ContractPrincipal {
  return { kind: 'role', role: model.roleByArn(arn as string) };
}

/**
 * Every allowed path and every required denial for one app. The paths follow the template's own wiring
 * (schedules, rules, subscriptions, functions, log groups); the expectations follow the config.
 */
export function contractChecks(
  model: PermissionModel,
  config: NightshiftConfig,
  built: NightshiftApp,
): PermissionCheck[] {
  const checks: PermissionCheck[] = [];
  const { account, region } = model.env;
  const project = config.project;
  const sourceAccount = { 'aws:SourceAccount': account };
  const buckets = bucketNames(built.data, config);
  const inData = (token: string) => model.resolveIn(built.data.stackName, built.data.resolve(token));
  const resolvedBuckets = { backups: inData(buckets.backups), logs: inData(buckets.logs) };

  // -- schedules: the scheduler role to its target, its DLQ and the DLQ's key ------------------
  for (const { stack, resource } of model.all('AWS::Scheduler::Schedule')) {
    const props = model.resolve(stack, resource.Properties) as {
      Name: string;
      Target: Record<string, unknown>;
    };
    const { Name: name, Target: target } = props;
    const scheduler = role(model, target.RoleArn);
    const ecs = target.EcsParameters as { TaskDefinitionArn: string } | undefined;
    if (ecs) {
      checks.push({
        path: `schedule ${name} → runs its task`,
        principal: scheduler,
        action: 'ecs:RunTask',
        resource: ecs.TaskDefinitionArn,
        context: { 'ecs:cluster': target.Arn as string },
        expect: 'allow',
      });
      const family = ecs.TaskDefinitionArn.split('/').pop()?.replace(/:\d+$/, '') as string;
      const { props: task } = model.findBy('AWS::ECS::TaskDefinition', 'Family', family);
      for (const passed of [task.TaskRoleArn, task.ExecutionRoleArn].filter(Boolean) as string[]) {
        checks.push({
          path: `schedule ${name} → passes ${passed.split('/').pop()}`,
          principal: scheduler,
          action: 'iam:PassRole',
          resource: passed,
          context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
          expect: 'allow',
        });
      }
    } else {
      checks.push({
        path: `schedule ${name} → invokes its function`,
        principal: scheduler,
        action: 'lambda:InvokeFunction',
        resource: target.Arn as string,
        expect: 'allow',
      });
    }
    const dlq = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
    if (!dlq) fail(`schedule ${name} has no dead-letter queue`);
    checks.push(...queueSendChecks(model, `schedule ${name}`, scheduler, dlq));
  }

  // -- functions: failed async invocations to their DLQ, logs to their group -------------------
  for (const { stack, logicalId, resource } of model.all('AWS::Lambda::Function')) {
    const props = model.resolve(stack, resource.Properties) as Record<string, unknown>;
    const name = props.FunctionName as string | undefined;
    // the AwsCustomResource provider (aws-cdk-lib) is deploy-time machinery, not a runtime path
    if (!name?.startsWith(`${project}-`)) continue;
    const fnRole = role(model, props.Role);
    const dlq = (props.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn;
    // A function behind a Function URL only answers HTTP requests (synchronously): nothing to dead-letter.
    const servesUrl = model
      .all('AWS::Lambda::Url')
      .some(
        (url) =>
          url.stack === stack &&
          JSON.stringify(url.resource.Properties?.TargetFunctionArn).includes(`"${logicalId}"`),
      );
    if (!dlq && !servesUrl) fail(`function ${name} has no dead-letter queue`);
    if (dlq) checks.push(...queueSendChecks(model, `function ${name}`, fnRole, dlq));
    const group = (props.LoggingConfig as { LogGroup?: string } | undefined)?.LogGroup;
    if (!group) fail(`function ${name} logs to no explicit log group`);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      checks.push({
        path: `function ${name} → its log group`,
        principal: fnRole,
        action,
        resource: `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
        expect: 'allow',
      });
    }
    if (fnRole.kind === 'role' && fnRole.role.awsManagedPolicies.length) {
      fail(`function ${name}'s role has AWS-managed policies ${fnRole.role.awsManagedPolicies.join(', ')}`);
    }
  }

  // -- log groups: CloudWatch Logs encrypts each with the project key --------------------------
  const logs = `logs.${region}.amazonaws.com`;
  for (const { stack, resource } of model.all('AWS::Logs::LogGroup')) {
    const props = model.resolve(stack, resource.Properties) as Record<string, string>;
    // encryption: aws-managed has no project key: CloudWatch Logs' own encryption, no key to grant
    if (!built.data.key) {
      if (props.KmsKeyId) fail(`log group ${props.LogGroupName} names a key, but the project has none`);
      continue;
    }
    if (!props.KmsKeyId) fail(`log group ${props.LogGroupName} is not encrypted with the project key`);
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      checks.push({
        path: `CloudWatch Logs → key of ${props.LogGroupName}`,
        principal: { kind: 'service', service: logs },
        action,
        resource: props.KmsKeyId,
        context: {
          'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:${props.LogGroupName}`,
        },
        expect: 'allow',
      });
    }
  }
  const key = built.data.key ? inData(built.data.key.keyArn) : undefined;
  if (key) {
    checks.push({
      path: 'CloudWatch Logs → key, for a log group of another project',
      principal: { kind: 'service', service: logs },
      action: 'kms:GenerateDataKey',
      resource: key,
      context: {
        'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:/nightshift/${project}-other/job`,
      },
      expect: 'deny',
    });
  }
  // SSE-KMS with the project key, or (no key) the bucket's default SSE-S3 with no header at all
  const sseContext: Record<string, string> = key
    ? { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key }
    : {};

  // -- EventBridge rules: invoke their target, dead letters to their DLQ ------------------------
  for (const { stack, resource } of model.all('AWS::Events::Rule')) {
    const props = model.resolve(stack, resource.Properties) as Record<string, unknown>;
    const ruleArn = `arn:aws:events:${region}:${account}:rule/${props.Name as string}`;
    const events: ContractPrincipal = { kind: 'service', service: 'events.amazonaws.com' };
    const context = { 'aws:SourceArn': ruleArn, ...sourceAccount };
    for (const target of props.Targets as Record<string, unknown>[]) {
      checks.push({
        path: `rule ${props.Name as string} → invokes its target`,
        principal: events,
        action: 'lambda:InvokeFunction',
        resource: target.Arn as string,
        context,
        expect: 'allow',
      });
      const dlq = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
      if (!dlq) fail(`rule ${props.Name as string} has a target without a dead-letter queue`);
      checks.push(...queueSendChecks(model, `rule ${props.Name as string}`, events, dlq, context));
      checks.push({
        path: `another account's rule → invokes ${props.Name as string}'s target`,
        principal: events,
        action: 'lambda:InvokeFunction',
        resource: target.Arn as string,
        context: {
          'aws:SourceArn': `arn:aws:events:${region}:999988887777:rule/${props.Name as string}`,
          'aws:SourceAccount': '999988887777',
        },
        expect: 'deny',
      });
    }
  }

  // -- Fargate tasks: the execution role writes the container logs -----------------------------
  for (const { stack, resource } of model.all('AWS::ECS::TaskDefinition')) {
    const props = model.resolve(stack, resource.Properties) as Record<string, unknown>;
    const execution = role(model, props.ExecutionRoleArn);
    for (const container of props.ContainerDefinitions as Record<string, unknown>[]) {
      const options = (container.LogConfiguration as { Options?: Record<string, string> } | undefined)
        ?.Options;
      const group = options?.['awslogs-group'] ?? fail(`task ${props.Family as string} logs nowhere`);
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
        checks.push({
          path: `task ${props.Family as string} → its log group`,
          principal: execution,
          action,
          resource: `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:backup/backup/0123456789abcdef`,
          expect: 'allow',
        });
      }
    }
  }

  // -- SNS subscriptions: undeliverable notifications to the delivery DLQ ----------------------
  for (const { stack, resource } of model.all('AWS::SNS::Subscription')) {
    const props = model.resolve(stack, resource.Properties) as Record<string, unknown>;
    const dlq = (props.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)?.deadLetterTargetArn;
    if (!dlq)
      fail(
        `subscription of ${props.TopicArn as string} (${props.Protocol as string}) has no dead-letter queue`,
      );
    checks.push(
      ...queueSendChecks(
        model,
        `SNS ${(props.TopicArn as string).split(':').pop()} (${props.Protocol as string})`,
        { kind: 'service', service: 'sns.amazonaws.com' },
        dlq,
        { 'aws:SourceArn': props.TopicArn as string, ...sourceAccount },
      ),
    );
  }

  // -- publishers: router and escalation to the level topics and the key; acks; executions -----
  const router = model.findBy('AWS::Lambda::Function', 'FunctionName', `${project}-alert-router`).props;
  const escalation = model.findBy(
    'AWS::StepFunctions::StateMachine',
    'StateMachineName',
    `${project}-escalation`,
  ).props;
  const escalationArn = escalation.StateMachineName
    ? `arn:aws:states:${region}:${account}:stateMachine:${escalation.StateMachineName as string}`
    : fail('escalation state machine has no name');
  const routerRoleInfo = model.roleByArn(router.Role as string);
  const escalationRoleInfo = model.roleByArn(escalation.RoleArn as string);
  const routerRole: ContractPrincipal = { kind: 'role', role: routerRoleInfo };
  const escalationRole: ContractPrincipal = { kind: 'role', role: escalationRoleInfo };
  // Level topics, then the e-mail topic of each rotation member: the same publishers, key and denials.
  const topicNames = config.alerts.levels.flatMap((level) => [
    levelTopicName(config, level.name),
    ...(level.rotation?.members ?? [])
      .filter((member) => member.email)
      .map((member) => memberTopicName(project, level.name, member.name)),
  ]);
  const topics = topicNames.map((name) => {
    const topic = model.findBy('AWS::SNS::Topic', 'TopicName', name);
    const topicKey = topic.props.KmsMasterKeyId as string | undefined;
    if (Boolean(topicKey) !== Boolean(key)) {
      fail(
        `topic ${name} ${topicKey ? 'has a key, but the project has none' : 'is not encrypted with the project key'}`,
      );
    }
    return { arn: `arn:aws:sns:${region}:${account}:${name}`, key: topicKey };
  });
  if (config.alerts.levels.some((level) => level.rotation?.members.some((member) => member.sms))) {
    // Texting a rotation member has no topic: the statement that allows it must reach no topic.
    checks.push(
      {
        path: 'router → texts the rotation member on call (no topic)',
        principal: routerRole,
        action: 'sns:Publish',
        resource: '*',
        expect: 'allow',
      },
      {
        path: 'escalation → texts the rotation member on call (no topic)',
        principal: escalationRole,
        action: 'sns:Publish',
        resource: '*',
        expect: 'allow',
      },
      {
        path: 'router → a topic it was not granted',
        principal: routerRole,
        action: 'sns:Publish',
        resource: `arn:aws:sns:${region}:${account}:someone-elses-topic`,
        expect: 'deny',
      },
    );
  }
  for (const [label, publisher] of [
    ['router', routerRole],
    ['escalation', escalationRole],
  ] as const) {
    for (const topic of topics) {
      checks.push({
        path: `${label} → ${topic.arn.split(':').pop()}`,
        principal: publisher,
        action: 'sns:Publish',
        resource: topic.arn,
        expect: 'allow',
      });
      for (const action of topic.key ? ['kms:GenerateDataKey', 'kms:Decrypt'] : []) {
        checks.push({
          path: `${label} → ${topic.arn.split(':').pop()}'s key`,
          principal: publisher,
          action,
          resource: topic.key as string,
          context: { 'kms:ViaService': `sns.${region}.amazonaws.com` },
          expect: 'allow',
        });
      }
    }
  }
  const firstTopic = topics[0] ?? fail('no level topics');
  checks.push(
    {
      path: 'CloudWatch alarm action → first level topic',
      principal: { kind: 'service', service: 'cloudwatch.amazonaws.com' },
      action: 'sns:Publish',
      resource: firstTopic.arn,
      context: sourceAccount,
      expect: 'allow',
    },
    ...(firstTopic.key
      ? [
          {
            path: 'CloudWatch alarm action → first level topic key',
            principal: { kind: 'service', service: 'cloudwatch.amazonaws.com' },
            action: 'kms:GenerateDataKey',
            resource: firstTopic.key,
            context: sourceAccount,
            expect: 'allow',
          } satisfies PermissionCheck,
        ]
      : []),
    {
      path: 'escalation → ack table',
      principal: escalationRole,
      action: 'dynamodb:GetItem',
      resource: `arn:aws:dynamodb:${region}:${account}:table/${ackTableName(project)}`,
      expect: 'allow',
    },
    ...ackLinkChecks(model, project, routerRole, escalationRole),
    {
      path: 'router → starts escalations',
      principal: routerRole,
      action: 'states:StartExecution',
      resource: escalationArn,
      expect: 'allow',
    },
    // long episodes: reminders rendered by the router with a fresh value, parts continue as new
    {
      path: 'router → reads the alarm at reminder time',
      principal: routerRole,
      action: 'cloudwatch:DescribeAlarms',
      resource: `arn:aws:cloudwatch:${region}:${account}:alarm:${project}-api-down`,
      expect: 'allow',
    },
    {
      path: 'router → reads the latest value at reminder time',
      principal: routerRole,
      action: 'cloudwatch:GetMetricData',
      resource: '*',
      expect: 'allow',
    },
    // the jobs-dlq page names the jobs: the router peeks at the shared queue, and may do nothing else
    ...(() => {
      const name = `${project}-jobs-dlq`;
      if (
        !model
          .all('AWS::SQS::Queue')
          .some(
            ({ stack, resource }) =>
              (model.resolve(stack, resource.Properties) as Record<string, unknown>).QueueName === name,
          )
      )
        return [];
      const { props } = model.findBy('AWS::SQS::Queue', 'QueueName', name);
      const arn = `arn:aws:sqs:${region}:${account}:${name}`;
      const key = props.KmsMasterKeyId as string | undefined;
      return [
        {
          path: "router → peeks at the jobs' dead-letter queue",
          principal: routerRole,
          action: 'sqs:ReceiveMessage',
          resource: arn,
          expect: 'allow',
        },
        ...(key
          ? [
              {
                path: "router → decrypts the jobs' dead-letter queue",
                principal: routerRole,
                action: 'kms:Decrypt',
                resource: key,
                context: {
                  'kms:ViaService': `sqs.${region}.amazonaws.com`,
                  'kms:EncryptionContext:aws:sqs:arn': arn,
                },
                expect: 'allow',
              } satisfies PermissionCheck,
            ]
          : []),
        {
          path: "router → deletes from the jobs' dead-letter queue",
          principal: routerRole,
          action: 'sqs:DeleteMessage',
          resource: arn,
          expect: 'deny',
        },
        {
          path: "router → purges the jobs' dead-letter queue",
          principal: routerRole,
          action: 'sqs:PurgeQueue',
          resource: arn,
          expect: 'deny',
        },
      ] satisfies PermissionCheck[];
    })(),
    {
      path: 'escalation → asks the router for a fresh reminder',
      principal: escalationRole,
      action: 'lambda:InvokeFunction',
      resource: `arn:aws:lambda:${region}:${account}:function:${project}-alert-router`,
      expect: 'allow',
    },
    {
      path: 'escalation → continues as a new execution of itself',
      principal: escalationRole,
      action: 'states:StartExecution',
      resource: escalationArn,
      expect: 'allow',
    },
    {
      path: 'escalation → another function',
      principal: escalationRole,
      action: 'lambda:InvokeFunction',
      resource: `arn:aws:lambda:${region}:${account}:function:${project}-health-check`,
      expect: 'deny',
    },
    {
      path: 'escalation → another state machine',
      principal: escalationRole,
      action: 'states:StartExecution',
      resource: `arn:aws:states:${region}:${account}:stateMachine:${project}-log-export`,
      expect: 'deny',
    },
  );
  const publishEverywhere: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*' },
    ],
  };
  for (const topic of topics) {
    for (const [label, tags] of [
      ['an untagged role in the account', {}],
      ['a role tagged for another project', { [PUBLISHER_TAG]: `${project}-other` }],
    ] as const) {
      checks.push({
        path: `${label} → ${topic.arn.split(':').pop()}`,
        principal: { kind: 'outsider', name: 'contract-outsider', tags, policy: publishEverywhere },
        action: 'sns:Publish',
        resource: topic.arn,
        expect: 'deny',
      });
    }
  }

  // -- job roles --------------------------------------------------------------------------------
  const jobRoles: JobRole[] = [
    { label: 'router', role: routerRoleInfo, secrets: [] },
    { label: 'escalation', role: escalationRoleInfo, secrets: [] },
  ];
  const functionRole = (name: string) =>
    model.roleByArn(model.findBy('AWS::Lambda::Function', 'FunctionName', name).props.Role as string);

  // backups: own prefix with SSE-KMS, own secrets; never another target's objects, never delete
  const backupTargets = effectiveBackupTargets(config);
  const backupKey = (target: string, object = '2026/01/01/contract.dump.zst') =>
    `arn:aws:s3:::${resolvedBuckets.backups}/${BACKUP_ROOT}/${target}/${object}`;
  for (const target of backupTargets) {
    const name = target.target.name;
    const roleInfo =
      target.target.runtime === 'fargate'
        ? model.roleByArn(
            model.findBy('AWS::ECS::TaskDefinition', 'Family', `${project}-backup-${name}-backup`).props
              .TaskRoleArn as string,
          )
        : functionRole(`${project}-backup-${name}`);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    const secrets = backupSecrets(target);
    jobRoles.push({ label: `backup ${name}`, role: roleInfo, secrets });
    checks.push({
      path: `backup ${name} → PutObject under its prefix${key ? ' with SSE-KMS' : ''}`,
      principal,
      action: 's3:PutObject',
      resource: backupKey(name),
      context: sseContext,
      expect: 'allow',
    });
    // a failed dump's upload is aborted, then listed until none remains (stream-upload)
    for (const action of ['s3:AbortMultipartUpload', 's3:ListBucketMultipartUploads'] as const) {
      checks.push({
        path: `backup ${name} → ${action} (abort and confirm a failed upload)`,
        principal,
        action,
        resource:
          action === 's3:AbortMultipartUpload' ? backupKey(name) : `arn:aws:s3:::${resolvedBuckets.backups}`,
        expect: 'allow',
      });
    }
    for (const action of key ? ['kms:GenerateDataKey', 'kms:Decrypt'] : []) {
      checks.push({
        path: `backup ${name} → the bucket key`,
        principal,
        action,
        resource: key as string,
        context: {
          'kms:ViaService': `s3.${region}.amazonaws.com`,
          'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${resolvedBuckets.backups}`,
        },
        expect: 'allow',
      });
    }
    for (const secret of secrets) {
      checks.push({
        path: `backup ${name} → its secret ${secret}`,
        principal,
        ...secretRead(model.env, secret),
        expect: 'allow',
      });
    }
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']) {
      checks.push({
        path: `backup ${name} → ${action} on its own backups`,
        principal,
        action,
        resource: backupKey(name),
        expect: 'deny',
      });
    }
    const others = [...backupTargets.map((t) => t.target.name).filter((n) => n !== name), 'contract-other'];
    for (const other of others) {
      for (const action of ['s3:GetObject', 's3:DeleteObject', 's3:PutObject']) {
        checks.push({
          path: `backup ${name} → ${action} on ${other}'s backups`,
          principal,
          action,
          resource: backupKey(other),
          expect: 'deny',
        });
      }
    }
  }

  // health checks: their secrets; no bucket at all
  const healthTargets = effectiveHealthTargets(config);
  if (healthTargets.length) {
    const roleInfo = functionRole(`${project}-health-check`);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    const secrets = referencedSecrets(healthTargets);
    jobRoles.push({ label: 'health-check', role: roleInfo, secrets });
    for (const secret of secrets) {
      checks.push({
        path: `health-check → its secret ${secret}`,
        principal,
        ...secretRead(model.env, secret),
        expect: 'allow',
      });
    }
    // prometheus targets: get and put items of the previous-scrape table, nothing else in DynamoDB
    const scrapeTable = `arn:aws:dynamodb:${region}:${account}:table/${scrapeTableName(project)}`;
    const prometheus = healthTargets.some((t) => t.kind === 'prometheus');
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
      checks.push({
        path: `health-check → ${action} on the scrape table`,
        principal,
        action,
        resource: scrapeTable,
        expect: prometheus ? 'allow' : 'deny',
      });
    }
    for (const [action, resource] of [
      ['dynamodb:Scan', scrapeTable],
      ['dynamodb:DeleteItem', scrapeTable],
      ['dynamodb:DeleteTable', scrapeTable],
      ['dynamodb:GetItem', `arn:aws:dynamodb:${region}:${account}:table/${ackTableName(project)}`],
    ] as const) {
      checks.push({
        path: `health-check → ${action} on ${resource.split('/').pop()}`,
        principal,
        action,
        resource,
        expect: 'deny',
      });
    }
    const everyBucket = [
      resolvedBuckets.backups,
      resolvedBuckets.logs,
      inData(built.data.accessLogBucket.bucketName),
      'a-bucket-of-another-workload',
    ];
    for (const bucket of everyBucket) {
      checks.push(
        {
          path: `health-check → GetObject in ${bucket}`,
          principal,
          action: 's3:GetObject',
          resource: `arn:aws:s3:::${bucket}/${BACKUP_ROOT}/any/object`,
          expect: 'deny',
        },
        {
          path: `health-check → ListBucket ${bucket}`,
          principal,
          action: 's3:ListBucket',
          resource: `arn:aws:s3:::${bucket}`,
          expect: 'deny',
        },
      );
    }
  }

  // log archive: FilterLogEvents on its configured groups (and nothing else), archive under logs/
  if (config.logArchive) {
    const roleInfo = functionRole(`${project}-log-archive`);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    jobRoles.push({ label: 'log-archive', role: roleInfo, secrets: [] });
    const groupArn = (group: string) => `arn:aws:logs:${region}:${account}:log-group:${group}:log-stream:`;
    for (const selector of config.logArchive.groups.filter((g) => (g.mode ?? 'api') === 'api')) {
      const group = selector.name ?? (selector.prefix ? `${selector.prefix}contract` : '/contract/tagged');
      const tag = selector.tag;
      checks.push({
        path: `log-archive → FilterLogEvents on ${group}`,
        principal,
        action: 'logs:FilterLogEvents',
        resource: groupArn(group),
        context: tag ? { [`aws:ResourceTag/${tag.key}`]: tag.value ?? 'any' } : {},
        expect: 'allow',
      });
    }
    checks.push({
      path: 'log-archive → FilterLogEvents on a group it does not archive',
      principal,
      action: 'logs:FilterLogEvents',
      resource: groupArn('/contract/not-archived'),
      expect: 'deny',
    });
    checks.push({
      path: `log-archive → PutObject under logs/${key ? ' with SSE-KMS' : ''}`,
      principal,
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${resolvedBuckets.logs}/${LOG_ARCHIVE_PREFIX}2026/01/01/contract.ndjson.zst`,
      context: sseContext,
      expect: 'allow',
    });
    checks.push({
      path: 'log-archive → ListBucketMultipartUploads (abort and confirm a failed part)',
      principal,
      action: 's3:ListBucketMultipartUploads',
      resource: `arn:aws:s3:::${resolvedBuckets.logs}`,
      expect: 'allow',
    });
    checks.push({
      path: 'log-archive → GetObject of a backup',
      principal,
      action: 's3:GetObject',
      resource: backupKey('any'),
      expect: 'deny',
    });
  }

  // database maintenance: its tasks' secrets; no bucket at all
  const maintenanceTasks = config.maintenance?.tasks ?? [];
  if (maintenanceTasks.length) {
    const roleInfo = functionRole(`${project}-db-maintenance`);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    const secrets = maintenanceSecrets(maintenanceTasks);
    jobRoles.push({ label: 'db-maintenance', role: roleInfo, secrets });
    for (const secret of secrets) {
      checks.push({
        path: `db-maintenance → its secret ${secret}`,
        principal,
        action: 'secretsmanager:GetSecretValue',
        resource: secretArn(model.env, secret),
        expect: 'allow',
      });
    }
    for (const bucket of [resolvedBuckets.backups, resolvedBuckets.logs]) {
      checks.push({
        path: `db-maintenance → GetObject in ${bucket}`,
        principal,
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket}/${BACKUP_ROOT}/any/object`,
        expect: 'deny',
      });
    }
  }

  // status page: reads the Up metric and its own incident table; its URL answers only its distribution
  if (config.statusPage) {
    const fnName = `${project}-status-page`;
    const roleInfo = functionRole(fnName);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    jobRoles.push({ label: 'status-page', role: roleInfo, secrets: [] });
    const incidents = `arn:aws:dynamodb:${region}:${account}:table/${statusTableName(project)}`;
    checks.push({
      path: 'status-page → GetMetricData',
      principal,
      action: 'cloudwatch:GetMetricData',
      resource: '*',
      expect: 'allow',
    });
    for (const action of ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
      checks.push({
        path: 'status-page → incident table',
        principal,
        action,
        resource: incidents,
        expect: 'allow',
      });
    }
    for (const [action, resource, what] of [
      ['dynamodb:DeleteItem', incidents, 'its incident table'],
      ['dynamodb:Scan', incidents, 'its incident table'],
      [
        'dynamodb:PutItem',
        `arn:aws:dynamodb:${region}:${account}:table/${ackTableName(project)}`,
        'the ack table',
      ],
      [
        'cloudwatch:PutMetricAlarm',
        `arn:aws:cloudwatch:${region}:${account}:alarm:${project}-any`,
        'an alarm',
      ],
      ['s3:GetObject', backupKey('any'), 'a backup'],
    ] as const) {
      checks.push({
        path: `status-page → ${action} on ${what}`,
        principal,
        action,
        resource,
        expect: 'deny',
      });
    }
    const fnArn = `arn:aws:lambda:${region}:${account}:function:${fnName}`;
    const cloudfront: ContractPrincipal = { kind: 'service', service: 'cloudfront.amazonaws.com' };
    const distributions = model.all('AWS::CloudFront::Distribution');
    if (config.statusPage.public) {
      const [distribution] = distributions;
      if (!distribution || distributions.length !== 1)
        fail('a public status page needs exactly one distribution');
      const id = model.resolve(distribution.stack, { Ref: distribution.logicalId }) as string;
      checks.push({
        path: 'status page distribution → invokes the function URL',
        principal: cloudfront,
        action: 'lambda:InvokeFunctionUrl',
        resource: fnArn,
        context: { 'aws:SourceArn': `arn:aws:cloudfront::${account}:distribution/${id}` },
        expect: 'allow',
      });
    } else if (distributions.length) fail('a private status page has a CloudFront distribution');
    checks.push(
      {
        path: "another distribution → invokes the status page's function URL",
        principal: cloudfront,
        action: 'lambda:InvokeFunctionUrl',
        resource: fnArn,
        context: { 'aws:SourceArn': `arn:aws:cloudfront::${account}:distribution/EOTHERDISTRIBUTION` },
        expect: 'deny',
      },
      {
        path: "an untagged role in the account → invokes the status page's function URL",
        principal: {
          kind: 'outsider',
          name: 'contract-outsider',
          tags: {},
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' }],
          },
        },
        action: 'lambda:InvokeFunctionUrl',
        resource: fnArn,
        expect: 'deny',
      },
    );
  }

  // webhook delivery: invoked by its level topics only; reads its levels' webhook secrets, sends to
  // its dead-letter queue; nothing else
  const webhookRefs = [...new Set(config.alerts.levels.flatMap((l) => l.webhooks.map((w) => w.secret)))];
  const webhookSecrets = webhookRefs.filter((ref) => ssmParameterName(ref) === undefined);
  const webhookParameters = webhookRefs.flatMap((ref) => ssmParameterName(ref) ?? []);
  const parameterArn = (name: string) => `arn:aws:ssm:${region}:${account}:parameter${name}`;
  if (webhookRefs.length) {
    const roleInfo = functionRole(`${project}-webhook-delivery`);
    const principal: ContractPrincipal = { kind: 'role', role: roleInfo };
    jobRoles.push({ label: 'webhook-delivery', role: roleInfo, secrets: webhookSecrets });
    for (const secret of webhookSecrets) {
      checks.push({
        path: `webhook-delivery → its secret ${secret}`,
        principal,
        action: 'secretsmanager:GetSecretValue',
        resource: secretArn(model.env, secret),
        expect: 'allow',
      });
    }
    for (const name of [...webhookParameters, '/nightshift-contract/unreferenced']) {
      checks.push({
        path: `webhook-delivery → parameter ${name}`,
        principal,
        action: 'ssm:GetParameter',
        resource: parameterArn(name),
        expect: webhookParameters.includes(name) ? 'allow' : 'deny',
      });
    }
    checks.push(
      ...queueSendChecks(
        model,
        'webhook-delivery',
        principal,
        `arn:aws:sqs:${region}:${account}:${project}-webhook-delivery-dlq`,
      ),
    );
    checks.push({
      path: 'webhook-delivery → publishes to a level topic',
      principal,
      action: 'sns:Publish',
      resource: `arn:aws:sns:${region}:${account}:${levelTopicName(config, config.alerts.levels[0]!.name)}`,
      expect: 'deny',
    });
    const sns: ContractPrincipal = { kind: 'service', service: 'sns.amazonaws.com' };
    for (const { stack, resource } of model.all('AWS::SNS::Subscription')) {
      const props = model.resolve(stack, resource.Properties) as Record<string, string>;
      if (props.Protocol !== 'lambda') continue;
      checks.push(
        {
          path: `SNS ${props.TopicArn?.split(':').pop()} → invokes webhook-delivery`,
          principal: sns,
          action: 'lambda:InvokeFunction',
          resource: props.Endpoint as string,
          context: { 'aws:SourceArn': props.TopicArn as string, ...sourceAccount },
          expect: 'allow',
        },
        {
          path: 'SNS topic of another workload → invokes webhook-delivery',
          principal: sns,
          action: 'lambda:InvokeFunction',
          resource: props.Endpoint as string,
          context: { 'aws:SourceArn': `arn:aws:sns:${region}:${account}:another-workload`, ...sourceAccount },
          expect: 'deny',
        },
      );
    }
  }
  // no other role reads the webhook parameters
  for (const job of jobRoles) {
    if (job.label === 'webhook-delivery') continue;
    for (const name of webhookParameters) {
      checks.push({
        path: `${job.label} → webhook parameter ${name}`,
        principal: { kind: 'role', role: job.role },
        action: 'ssm:GetParameter',
        resource: parameterArn(name),
        expect: 'deny',
      });
    }
  }

  // scheduler roles reference no secrets either
  for (const { stack, resource } of model.all('AWS::Scheduler::Schedule')) {
    const target = (model.resolve(stack, resource.Properties) as { Target: { RoleArn: string } }).Target;
    const roleInfo = model.roleByArn(target.RoleArn);
    if (!jobRoles.some((j) => j.role === roleInfo))
      jobRoles.push({ label: `scheduler ${roleInfo.name}`, role: roleInfo, secrets: [] });
  }

  // secrets: every job role reads exactly the secrets it references
  const allSecrets = new Set<string>([
    UNREFERENCED_SECRET,
    ...referencedSecrets(healthTargets),
    ...backupTargets.flatMap(backupSecrets),
    ...maintenanceSecrets(maintenanceTasks),
    ...webhookSecrets,
  ]);
  for (const job of jobRoles) {
    for (const secret of allSecrets) {
      if (job.secrets.includes(secret)) continue;
      checks.push({
        path: `${job.label} → secret it does not reference (${secret})`,
        principal: { kind: 'role', role: job.role },
        ...secretRead(model.env, secret),
        expect: 'deny',
      });
    }
  }
  return checks;
}

/**
 * The ack link (ADR 006): its public function may count, use and give back links (UpdateItem) and write
 * acknowledgements (PutItem) — never read other links in bulk, delete them or page anyone; the router
 * mints links (BatchWriteItem) and reads the acks stream; the escalation never touches links.
 */
function ackLinkChecks(
  model: PermissionModel,
  project: string,
  routerRole: ContractPrincipal,
  escalationRole: ContractPrincipal,
): PermissionCheck[] {
  const { account, region } = model.env;
  const fn = model.findBy('AWS::Lambda::Function', 'FunctionName', `${project}-ack-link`).props;
  const ackLink: ContractPrincipal = { kind: 'role', role: model.roleByArn(fn.Role as string) };
  const table = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  const links = table(ackLinkTableName(project));
  const acks = table(ackTableName(project));
  const check = (
    path: string,
    principal: ContractPrincipal,
    action: string,
    resource: string,
    expect: 'allow' | 'deny',
  ): PermissionCheck => ({ path, principal, action, resource, expect });
  return [
    check('ack link → counts and uses its link', ackLink, 'dynamodb:UpdateItem', links, 'allow'),
    check('ack link → records the acknowledgement', ackLink, 'dynamodb:PutItem', acks, 'allow'),
    check('ack link → reads the alarm state', ackLink, 'cloudwatch:DescribeAlarms', '*', 'allow'),
    check('ack link → lists every link (scan)', ackLink, 'dynamodb:Scan', links, 'deny'),
    check('ack link → reads a link it was not asked for', ackLink, 'dynamodb:GetItem', links, 'deny'),
    check('ack link → deletes links', ackLink, 'dynamodb:DeleteItem', links, 'deny'),
    check('ack link → deletes acknowledgements', ackLink, 'dynamodb:DeleteItem', acks, 'deny'),
    check('ack link → reads the acknowledgements', ackLink, 'dynamodb:Scan', acks, 'deny'),
    check(
      'ack link → another table',
      ackLink,
      'dynamodb:PutItem',
      table(`${project}-something-else`),
      'deny',
    ),
    check(
      'ack link → pages a level',
      ackLink,
      'sns:Publish',
      `arn:aws:sns:${region}:${account}:${project}-alerts-x`,
      'deny',
    ),
    check(
      'ack link → starts an escalation',
      ackLink,
      'states:StartExecution',
      `arn:aws:states:${region}:${account}:stateMachine:${project}-escalation`,
      'deny',
    ),
    check('router → mints ack links', routerRole, 'dynamodb:BatchWriteItem', links, 'allow'),
    check(
      'router → reads the acks stream',
      routerRole,
      'dynamodb:GetRecords',
      `${acks}/stream/${STREAM_LABEL}`,
      'allow',
    ),
    check('router → rewrites an ack link (only mints)', routerRole, 'dynamodb:UpdateItem', links, 'deny'),
    // GetItem/PutItem: the seed item of a delivery, written once and read back by a retry (links.ts)
    check('router → the seed of a retried delivery', routerRole, 'dynamodb:GetItem', links, 'allow'),
    check('router → scans the ack links', routerRole, 'dynamodb:Scan', links, 'deny'),
    check('router → deletes an ack link', routerRole, 'dynamodb:DeleteItem', links, 'deny'),
    check('escalation → ack links', escalationRole, 'dynamodb:GetItem', links, 'deny'),
  ];
}
