/**
 * The escalation state machine: one execution per ALARM episode walks the levels until the alarm is OK
 * or acknowledged, asking the router to render each reminder with the alarm's values at that time
 * (ADR 002). Created in the caller's scope, so its logical ids are those of `Alerting`.
 */
import { RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { DefinitionBody, LogLevel, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { escalationDefinition } from '../../../lambdas/alert-router/escalation-definition';
import type { NightshiftContext } from '../context';
import { acknowledgeTracingOff, arnFor, jobLogGroup, tracingEnabled } from '../function-defaults';
import { acknowledgeWildcard } from '../nag';
import { PUBLISHER_TAG } from './level-topics';

export interface EscalationProps {
  readonly context: NightshiftContext;
  /** Read at every step: an acknowledged alarm stops escalating. */
  readonly ackTable: ITable;
}

export interface Escalation {
  readonly stateMachine: StateMachine;
  readonly role: Role;
}

/** Name of the state machine; the router starts and stops its executions by it. */
export function escalationName(project: string): string {
  return `${project}-escalation`;
}

export function escalation(scope: Construct, props: EscalationProps): Escalation {
  const { context, ackTable } = props;
  const { project } = context;
  // Built from names, not from the resources: the router's environment names the state machine, and
  // the state machine's definition names the router (and itself), which would be a cycle.
  const routerArn = arnFor(scope, 'lambda', `function:${project}-alert-router`);
  const role = escalationRole(scope, { context, ackTable, routerArn });
  const logGroup = jobLogGroup(scope, 'EscalationLogs', context, 'escalation', {
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new StateMachine(scope, 'Escalation', {
    stateMachineName: escalationName(project),
    comment: `Escalates ${project} alarms level by level until OK or acknowledged`,
    definitionBody: DefinitionBody.fromString(JSON.stringify(escalationDefinition())),
    definitionSubstitutions: { AckTable: ackTable.tableName, AlertRouter: routerArn },
    role,
    tracingEnabled: tracingEnabled(context),
    logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
  });
  acknowledgeTracingOff(stateMachine, context);
  acknowledgeWildcard(
    role,
    '*',
    'cloudwatch:DescribeAlarms must be scoped to * to return composite alarms; X-Ray and CloudWatch Logs delivery support no resource-level permissions.',
  );
  return { stateMachine, role };
}

/** Reads alarms and acks, renders reminders through the router, continues long episodes as new. */
function escalationRole(scope: Construct, props: EscalationProps & { readonly routerArn: string }): Role {
  const { context, ackTable, routerArn } = props;
  const { project } = context;
  const role = new Role(scope, 'EscalationRole', {
    assumedBy: new ServicePrincipal('states.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `Nightshift ${project} escalation: reads alarms and acks, publishes to level topics`,
  });
  Tags.of(role).add(PUBLISHER_TAG, project);
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
  );
  ackTable.grant(role, 'dynamodb:GetItem');
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'RenderRemindersWithFreshValues',
      actions: ['lambda:InvokeFunction'],
      resources: [routerArn],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ContinueLongEpisodesAsNew',
      actions: ['states:StartExecution'],
      resources: [arnFor(scope, 'states', `stateMachine:${escalationName(project)}`)],
    }),
  );
  return role;
}
