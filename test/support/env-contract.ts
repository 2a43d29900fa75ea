/**
 * The template side of the environment contract (lambdas/shared/env.ts): which contract each deployed
 * function and Fargate task has, its variables as written in the synthesized template, plausible values
 * for the intrinsics among them, and the check of a written environment against its contract's reader.
 */
import { ackLinkEnv } from '../../lambdas/ack-link/env';
import { alertRouterEnv } from '../../lambdas/alert-router/env';
import { backupEnv, backupTaskEnv } from '../../lambdas/backup/env';
import { dbMaintenanceEnv } from '../../lambdas/db-maintenance/env';
import { healthCheckEnv } from '../../lambdas/health-check/env';
import { logArchiveEnv } from '../../lambdas/log-archive/env';
import {
  type EnvContract,
  EnvironmentInvalid,
  type EnvSource,
  NODE_OPTIONS_VAR,
  nodeOptions,
} from '../../lambdas/shared/env';
import { statusPageEnv } from '../../lambdas/status-page/env';
import { webhookDeliveryEnv } from '../../lambdas/webhook-delivery/env';

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties?: Json };
export interface TemplateJson {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface DeployedEnvironment {
  /** Function name or task family. */
  readonly name: string;
  readonly kind: 'function' | 'task';
  /** undefined: a function with no contract (CDK's own provider functions must then have no variables). */
  readonly contract: EnvContract<unknown> | undefined;
  /** The variables as the template has them (strings or intrinsics). */
  readonly written: Readonly<Record<string, unknown>>;
  /** The template the resource is in, for resolving intrinsics. */
  readonly template: TemplateJson;
}

/** The contract of a Nightshift function (by name) or backup task (by family). */
export function contractFor(project: string, name: string, kind: 'function' | 'task') {
  if (kind === 'task') return name.startsWith(`${project}-backup-`) ? backupTaskEnv : undefined;
  if (name === `${project}-health-check`) return healthCheckEnv;
  if (name === `${project}-alert-router`) return alertRouterEnv;
  if (name === `${project}-ack-link`) return ackLinkEnv;
  if (name === `${project}-log-archive`) return logArchiveEnv;
  if (name === `${project}-db-maintenance`) return dbMaintenanceEnv;
  if (name === `${project}-status-page`) return statusPageEnv;
  if (name === `${project}-webhook-delivery`) return webhookDeliveryEnv;
  if (name.startsWith(`${project}-backup-`)) return backupEnv;
  return undefined;
}

/** Every Lambda function and ECS task definition container in the templates, with its variables. */
export function deployedEnvironments(
  project: string,
  templates: readonly TemplateJson[],
): DeployedEnvironment[] {
  const out: DeployedEnvironment[] = [];
  for (const template of templates) {
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Lambda::Function') {
        const name = typeof props.FunctionName === 'string' ? props.FunctionName : id;
        const written = ((props.Environment as Json | undefined)?.Variables ?? {}) as Json;
        out.push({
          name,
          kind: 'function',
          contract: contractFor(project, name, 'function'),
          written,
          template,
        });
      }
      if (resource.Type === 'AWS::ECS::TaskDefinition') {
        const name = String(props.Family);
        for (const container of props.ContainerDefinitions as {
          Environment?: { Name: string; Value: unknown }[];
        }[]) {
          const written = Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value]));
          out.push({ name, kind: 'task', contract: contractFor(project, name, 'task'), written, template });
        }
      }
    }
  }
  return out;
}

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * A plausible deployed value for a template value: what CloudFormation would put there (ARNs, names),
 * with Fn::ImportValue followed to the exporting template. An intrinsic it does not know fails loudly.
 */
export function resolveValue(
  value: unknown,
  template: TemplateJson,
  all: readonly TemplateJson[],
  env: { region: string; account: string },
): string {
  const again = (v: unknown, t = template) => resolveValue(v, t, all, env);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const node = value as Json;
  const [key] = Object.keys(node);
  const arg = key === undefined ? undefined : node[key];
  const { region, account } = env;
  switch (key) {
    case 'Ref': {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': region,
        'AWS::AccountId': account,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const id = String(arg);
      if (pseudo[id]) return pseudo[id];
      const resource = template.Resources[id];
      const props = resource?.Properties ?? {};
      switch (resource?.Type) {
        case 'AWS::SNS::Topic':
          return `arn:aws:sns:${region}:${account}:${props.TopicName ? again(props.TopicName) : id}`;
        case 'AWS::S3::Bucket':
          return props.BucketName ? again(props.BucketName) : id.toLowerCase();
        case 'AWS::StepFunctions::StateMachine':
          return `arn:aws:states:${region}:${account}:stateMachine:${props.StateMachineName ? again(props.StateMachineName) : id}`;
        case 'AWS::KMS::Key':
          return KEY_ID;
        case 'AWS::SQS::Queue':
          return `https://sqs.${region}.amazonaws.com/${account}/${props.QueueName ? again(props.QueueName) : id}`;
        case undefined:
          throw new Error(`Ref to unknown resource ${id}`);
        default:
          return id;
      }
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = arg as [string, string];
      const type = template.Resources[id]?.Type;
      if (!type) throw new Error(`Fn::GetAtt of unknown resource ${id}`);
      // a Function URL as Lambda writes it: 32 lower-case characters of url id, then the region
      if (type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl')
        return `https://${id.toLowerCase().padEnd(32, '0').slice(0, 32)}.lambda-url.${region}.on.aws/`;
      if (attribute !== 'Arn') return `${id}-${attribute}`;
      if (type === 'AWS::KMS::Key') return `arn:aws:kms:${region}:${account}:key/${KEY_ID}`;
      if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${again({ Ref: id })}`;
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return `arn:aws:${service}:${region}:${account}:${id}`;
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => again(p)).join(separator);
    }
    case 'Fn::ImportValue': {
      const exportName = again(arg);
      for (const t of all) {
        for (const output of Object.values(t.Outputs ?? {})) {
          if (output.Export && again(output.Export.Name, t) === exportName) return again(output.Value, t);
        }
      }
      throw new Error(`no stack exports ${exportName}`);
    }
    default:
      throw new Error(`unsupported intrinsic ${key ?? JSON.stringify(value)} in an environment variable`);
  }
}

/** Records which variables a reader looks at. */
export function recordingEnv(env: EnvSource): { env: EnvSource; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name);
    },
  });
  return { env: proxy, read };
}

/**
 * Everything wrong between a written environment and its contract, as sentences (empty: they meet):
 * - a written variable the contract does not declare, or that the reader does not look at;
 * - a variable the contract requires that is not written;
 * - NODE_OPTIONS other than the contract's flags;
 * - the reader failing on the written values (`resolved`, intrinsics replaced), or reading a variable
 *   the contract does not declare.
 */
export function contractFindings(
  contract: EnvContract<unknown>,
  written: Readonly<Record<string, unknown>>,
  resolved: EnvSource,
): string[] {
  const findings: string[] = [];
  const declared = new Map(contract.variables.map((v) => [v.name, v]));
  const recorder = recordingEnv(resolved);
  try {
    contract.read(recorder.env);
  } catch (error) {
    findings.push(`the reader fails on the written environment: ${(error as Error).message}`);
  }
  for (const name of Object.keys(written)) {
    const variable = declared.get(name);
    if (!variable)
      findings.push(`${name} is written but not in the contract (lambdas/${contract.job}/env.ts)`);
    else if (variable.readBy === 'handler' && !recorder.read.has(name))
      findings.push(`${name} is written and declared but the reader never reads it`);
  }
  for (const variable of contract.variables) {
    if (variable.required && !(variable.name in written))
      findings.push(
        `${variable.name} is required by the ${variable.readBy === 'node' ? 'Node.js runtime' : 'reader'} but not written`,
      );
  }
  for (const name of recorder.read) {
    if (!declared.has(name)) findings.push(`the reader reads ${name}, which the contract does not declare`);
  }
  if (declared.has(NODE_OPTIONS_VAR) && NODE_OPTIONS_VAR in written) {
    const expected = nodeOptions(contract.nodeFlags);
    if (written[NODE_OPTIONS_VAR] !== expected)
      findings.push(
        `NODE_OPTIONS is "${String(written[NODE_OPTIONS_VAR])}", the contract wants "${expected}"`,
      );
  }
  return findings;
}

/** The error a contract's reader gives for `env`, or undefined when it parses. */
export function readerError(contract: EnvContract<unknown>, env: EnvSource): EnvironmentInvalid | undefined {
  try {
    contract.read(env);
    return undefined;
  } catch (error) {
    if (error instanceof EnvironmentInvalid) return error;
    throw error;
  }
}
