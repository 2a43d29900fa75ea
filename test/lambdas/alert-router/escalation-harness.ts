/**
 * Runs an escalation state machine definition locally with aws-local-stepfunctions: the task states are
 * played by local functions standing in for CloudWatch (DescribeAlarms), DynamoDB (the ack item) and
 * SNS (Publish), and every Wait is cut to 0 ms. Also validates the definition with asl-validator.
 */
import { createRequire } from 'node:module';
import { StateMachine } from 'aws-local-stepfunctions';
import { type EscalationInput, STATE } from '../../../lambdas/alert-router/escalation-definition';

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
  /** The terminal state, or "aborted" when maxPublishes cut the run. */
  readonly end: string;
}

type Json = Parameters<StateMachine['run']>[0];

export async function runEscalation(
  definition: object,
  input: EscalationInput,
  world: World,
): Promise<EscalationRun> {
  const machine = new StateMachine(definition as never);
  const publishes: Publish[] = [];
  const describeCalls: unknown[] = [];
  const ackReads: unknown[] = [];
  let checks = 0;
  let abort: () => void = () => {};
  const max = world.maxPublishes ?? 20;

  const publish = async (params: Json) => {
    publishes.push(params as unknown as Publish);
    if (publishes.length >= max) abort();
    return { MessageId: `m-${publishes.length}` };
  };
  const execution = machine.run(input as unknown as Json, {
    noThrowOnAbort: true,
    overrides: {
      taskResourceLocalHandlers: {
        [STATE.describe]: async (params) => {
          checks++;
          describeCalls.push(params);
          if (world.describeFails) throw new Error('CloudWatch.ThrottlingException');
          const value = world.states[Math.min(checks, world.states.length) - 1] ?? 'ALARM';
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
        [STATE.tellGone]: 0,
        [STATE.tellReached]: 0,
      },
    },
  });
  abort = execution.abort;
  const path: string[] = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered' && 'state' in event) path.push(event.state.name);
    }
  })();
  const result = await execution.result;
  await collect;
  const end = result === null ? 'aborted' : (path.at(-1) ?? 'unknown');
  return { publishes, checks, describeCalls, ackReads, path, end };
}
