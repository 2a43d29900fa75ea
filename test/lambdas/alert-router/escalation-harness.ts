/**
 * Runs an escalation state machine definition locally with aws-local-stepfunctions: the task states are
 * played by local functions standing in for CloudWatch (DescribeAlarms), DynamoDB (the ack item), SNS
 * (Publish), the alert router's reminder (the real reminder core, reading a fake CloudWatch) and Step
 * Functions itself (a hand-over's StartExecution runs the next execution of the same definition), and
 * every Wait is cut to 0 ms. Also validates the definition with asl-validator, and counts each
 * execution's history events as Step Functions would.
 */
import { createRequire } from 'node:module';
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  ACK_TABLE_PLACEHOLDER,
  type EscalationInput,
  escalationDefinition,
  type ReminderReply,
  type ReminderRequest,
  STATE,
} from '../../../lambdas/alert-router/escalation-definition';
import { freshReminder } from '../../../lambdas/alert-router/reminder';
import type { RouterSettings } from '../../../lambdas/alert-router/settings';
import { MemoryLog } from '../../../lambdas/shared/log';
import { testSettings } from './support';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: { message?: string; path?: string }[] };

export function validateAsl(definition: object): string[] {
  const { isValid, errors } = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return isValid ? [] : errors.map((e) => `${e.path ?? ''} ${e.message ?? JSON.stringify(e)}`);
}

export interface World {
  /** StateValue returned by each DescribeAlarms call (the last one repeats); "DELETED" → no alarm. */
  readonly states: readonly string[];
  /** An acknowledgement visible from the n-th check (1-based), written at `at`. */
  readonly ack?: { readonly fromCheck: number; readonly at: string };
  /** DescribeAlarms throws on every call. */
  readonly describeFails?: boolean;
  /** Stop the run after this many publishes (an unacknowledged alarm escalates forever). */
  readonly maxPublishes?: number;
  /** The router's fresh read at reminder n (1-based): state and latest value; default ALARM, 40 + n. */
  readonly fresh?: (reminder: number) => { readonly state?: string; readonly value?: number };
  /** The router invocation fails (Lambda error) at these reminders. */
  readonly routerFailsAt?: (reminder: number) => boolean;
  /** StartExecution of the next part fails this many times before it works. */
  readonly handOverFailures?: number;
  /** Settings the router reads (rotations); default testSettings(). */
  readonly settings?: RouterSettings;
}

/** The real escalation definition, with the acknowledgement table name the tests use. */
export function testDefinition(): object {
  return JSON.parse(
    JSON.stringify(escalationDefinition()).replace(ACK_TABLE_PLACEHOLDER, 'shop-acks'),
  ) as object;
}

export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-escalation';

/** One execution of an episode. */
export interface ExecutionRecord {
  readonly name: string;
  readonly input: EscalationInput;
  /** History events as Step Functions would record them (historyEvents). */
  readonly historyEvents: number;
  readonly end: string;
}

/** A topic publish, or (rotating levels) a text with PhoneNumber and no topic. */
export interface Publish {
  readonly TopicArn: string;
  readonly PhoneNumber?: string;
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: string;
  readonly MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
}

export interface EscalationRun {
  readonly publishes: Publish[];
  readonly checks: number;
  readonly describeCalls: unknown[];
  readonly ackReads: unknown[];
  /** Names of the states entered, in order. */
  readonly path: string[];
  /** The terminal state of the last execution, or "aborted" when maxPublishes cut the run. */
  readonly end: string;
  /** Every execution of the episode, in order (more than one after a hand-over). */
  readonly executions: ExecutionRecord[];
  /** What the state machine asked the router, in order. */
  readonly reminderRequests: ReminderRequest[];
  /** StartExecution calls of hand-overs (including failed ones). */
  readonly handOvers: { Name: string; StateMachineArn: string; Input: EscalationInput }[];
}

/** Task states: Entered, Scheduled, Started, (Submitted), Succeeded/Failed, Exited — counted high. */
const TASK_EVENTS = 4;

/**
 * History events Step Functions records for these local events: ExecutionStarted/-Succeeded/-Failed;
 * per state Entered and Exited; per Task also Scheduled, Started, Submitted and the outcome; per retry
 * the failure and a new Scheduled, Started and Submitted; per catch an Exited. Counted high on purpose
 * (Submitted only appears for some integrations).
 */
export function historyEvents(events: readonly EventLog[]): number {
  let count = 0;
  for (const event of events) {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
      case 'StateExited':
      case 'StateCaught':
        count += 1;
        break;
      case 'StateEntered':
        count += 1 + (event.state.type === 'Task' ? TASK_EVENTS : 0);
        break;
      case 'StateRetried':
        count += TASK_EVENTS;
        break;
      default:
        break;
    }
  }
  return count;
}

type Json = Parameters<StateMachine['run']>[0];
type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type EventLog = Awaited<
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never
>;

export async function runEscalation(
  definition: object,
  input: EscalationInput,
  world: World,
): Promise<EscalationRun> {
  const machine = new StateMachine(definition as never);
  const publishes: Publish[] = [];
  const describeCalls: unknown[] = [];
  const ackReads: unknown[] = [];
  const reminderRequests: ReminderRequest[] = [];
  const handOvers: EscalationRun['handOvers'] = [];
  const executions: ExecutionRecord[] = [];
  const path: string[] = [];
  let checks = 0;
  let handOverFailures = world.handOverFailures ?? 0;
  let aborted = false;
  let abort: () => void = () => {};
  const max = world.maxPublishes ?? 20;
  const currentState = () => world.states[Math.min(checks, world.states.length) - 1] ?? 'ALARM';

  // The router's CloudWatch at reminder time: the world's fresh reading for this reminder.
  let reminderNumber = 0;
  const cloudwatch = {
    async send(command: unknown) {
      const fresh = world.fresh?.(reminderNumber) ?? {};
      if (command instanceof DescribeAlarmsCommand) {
        const state = fresh.state ?? currentState();
        const type = command.input.AlarmTypes?.[0];
        if (state === 'DELETED') return { MetricAlarms: [], CompositeAlarms: [] };
        const alarm = {
          AlarmName: command.input.AlarmNames?.[0],
          StateValue: state,
          StateReason: 'Threshold Crossed: 1 datapoint was greater than the threshold (50.0).',
          Namespace: 'Nightshift',
          MetricName: 'HealthCheckFailed',
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
        };
        return type === 'CompositeAlarm'
          ? { MetricAlarms: [], CompositeAlarms: [alarm] }
          : { MetricAlarms: [alarm], CompositeAlarms: [] };
      }
      if (command instanceof GetMetricDataCommand) {
        const id = command.input.MetricDataQueries?.find((q) => q.ReturnData)?.Id;
        return {
          MetricDataResults: [
            { Id: id, Values: [fresh.value ?? 40 + reminderNumber], Timestamps: [new Date(0)] },
          ],
        };
      }
      throw new Error(`unexpected CloudWatch call ${String(command)}`);
    },
  };
  const routerDeps = {
    settings: world.settings ?? testSettings(),
    cloudwatch,
    log: new MemoryLog(),
    now: () => new Date(),
  };

  const publish = async (params: Json) => {
    publishes.push(params as unknown as Publish);
    if (publishes.length >= max) {
      aborted = true;
      abort();
    }
    return { MessageId: `m-${publishes.length}` };
  };
  let next: { name: string; input: EscalationInput } | undefined = {
    name: input.continuation.name,
    input,
  };
  while (next) {
    const current = next;
    next = undefined;
    const execution = machine.run(current.input as unknown as Json, {
      noThrowOnAbort: true,
      context: {
        StateMachine: { Id: STATE_MACHINE_ARN, Name: 'shop-escalation' },
        Execution: {
          Id: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${current.name}`,
          Name: current.name,
          Input: current.input,
          StartTime: new Date().toISOString(),
        },
      } as unknown as RunOptions['context'],
      overrides: {
        taskResourceLocalHandlers: {
          [STATE.describe]: async (params) => {
            checks++;
            describeCalls.push(params);
            if (world.describeFails) throw new Error('CloudWatch.ThrottlingException');
            const value = currentState();
            const p = params as { AlarmNames: string[]; AlarmTypes: string[] };
            if (value === 'DELETED') return { MetricAlarms: [], CompositeAlarms: [] };
            const alarm = { AlarmName: p.AlarmNames[0] ?? '', StateValue: value };
            return p.AlarmTypes[0] === 'CompositeAlarm'
              ? { MetricAlarms: [], CompositeAlarms: [alarm] }
              : { MetricAlarms: [alarm], CompositeAlarms: [] };
          },
          [STATE.readAck]: async (params) => {
            ackReads.push(params);
            if (world.ack && checks >= world.ack.fromCheck) {
              const key = (params as { Key: { alarm: { S: string } } }).Key.alarm.S;
              return { Item: { alarm: { S: key }, at: { S: world.ack.at }, by: { S: 'alice' } } } as Json;
            }
            return {} as Json;
          },
          // lambda:invoke returns the function's answer as Payload.
          [STATE.freshReminder]: async (params) => {
            const request = (params as unknown as { Payload: ReminderRequest }).Payload;
            reminderRequests.push(request);
            reminderNumber = request.count;
            if (world.routerFailsAt?.(request.count)) throw new Error('Lambda.ServiceException');
            const reply: ReminderReply = await freshReminder(routerDeps, request);
            return { StatusCode: 200, Payload: reply } as unknown as Json;
          },
          [STATE.handOver]: async (params) => {
            const call = params as unknown as EscalationRun['handOvers'][number];
            handOvers.push(call);
            if (handOverFailures > 0) {
              handOverFailures--;
              throw new Error('StepFunctions.ExecutionLimitExceededException');
            }
            if (executions.some((e) => e.name === call.Name) || call.Name === current.name) {
              throw new Error('StepFunctions.ExecutionAlreadyExistsException');
            }
            next = { name: call.Name, input: call.Input };
            return { ExecutionArn: `${STATE_MACHINE_ARN}:${call.Name}`, StartDate: new Date().toISOString() };
          },
          [STATE.publishStep]: publish,
          [STATE.publishReminder]: publish,
          [STATE.textStep]: publish,
          [STATE.textReminder]: publish,
          // inside the "tell the team" Map states
          [STATE.tellGone]: publish,
          [STATE.tellReached]: publish,
        },
        waitTimeOverrides: {
          [STATE.hold]: 0,
          [STATE.waitEscalate]: 0,
          [STATE.waitRepeat]: 0,
          [STATE.waitPromote]: 0,
        },
        retryIntervalOverrides: {
          [STATE.describe]: 0,
          [STATE.readAck]: 0,
          [STATE.publishStep]: 0,
          [STATE.textStep]: 0,
          [STATE.freshReminder]: 0,
          [STATE.publishReminder]: 0,
          [STATE.textReminder]: 0,
          [STATE.handOver]: 0,
          [STATE.tellGone]: 0,
          [STATE.tellReached]: 0,
        },
      },
    });
    abort = execution.abort;
    const events: EventLog[] = [];
    const collect = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        if (event.type === 'StateEntered' && 'state' in event) path.push(event.state.name);
      }
    })();
    const result = await execution.result;
    await collect;
    const end = result === null || aborted ? 'aborted' : (path.at(-1) ?? 'unknown');
    executions.push({ name: current.name, input: current.input, historyEvents: historyEvents(events), end });
    if (end === 'aborted') next = undefined;
  }
  const end = executions.at(-1)?.end ?? 'unknown';
  return {
    publishes,
    checks,
    describeCalls,
    ackReads,
    path,
    end,
    executions,
    reminderRequests,
    handOvers,
  };
}
