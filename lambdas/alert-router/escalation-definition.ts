/**
 * The escalation state machine, as Amazon States Language (JSONPath). One execution per ALARM episode:
 *
 *   [Hold until maintenance ends] → Wait escalateAfter (repeatEvery at the top level)
 *   → DescribeAlarms (SDK integration) → still ALARM? → acknowledged for this episode? (DynamoDB)
 *   → publish the next level's preformatted message (SNS; a rotating level's member is also texted) → loop.
 *
 * At the top level, each reminder is rendered afresh by the alert router (Lambda): it reads the alarm's
 * state and latest value then, and quotes "now: 97.2 (was 99.5)". If the alarm has left ALARM by then,
 * nothing is sent; if the router cannot be reached, the preformatted reminder goes out (it says that the
 * value could not be read).
 *
 * Long episodes continue as new: after REMINDERS_PER_EXECUTION reminders the execution starts a new
 * execution of this state machine with the carried-over state (same alarm and episode, level, reminder
 * count, start time) named `<first execution>-<part>`, and ends. A Standard execution's history stops at
 * 25,000 events; see HISTORY_EVENTS_PER_REMINDER for the budget.
 *
 * Stops (Succeed) when the alarm is OK/INSUFFICIENT_DATA, deleted, or acknowledged after the episode
 * began. Deleted (seen by the execution's check or by the router at reminder time): the levels paged
 * so far are told (alarm.gone) before it stops. A level with notifyTeam carries a `team` notice: once
 * it is paged, the levels paged before it are told too. Failures to read the alarm or the
 * acknowledgement page anyway (a missed page is worse than an extra one); a failed publish is retried,
 * then the loop continues.
 *
 * The ack table name and the router function ARN are definition substitutions (`${AckTable}`,
 * `${AlertRouter}`) so the CDK construct can fill them in.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Step Functions definition substitution, not a JS template
export const ACK_TABLE_PLACEHOLDER = '${AckTable}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Step Functions definition substitution, not a JS template
export const ROUTER_FUNCTION_PLACEHOLDER = '${AlertRouter}';

/**
 * Reminders one execution sends before it hands over to a new execution. One reminder loop (wait,
 * DescribeAlarms, ack read, fresh reminder from the router, publish, text) writes about 48 history events
 * (HISTORY_EVENTS_PER_REMINDER with a rotating top level's text and an old ack), 16 more per task retried
 * to its limit (4 retries), so even with every one of its 5 tasks failing every retry 100 reminders stay
 * under 13,000 of the 25,000 events a Standard execution may have (escalation-long.test.ts measures it:
 * 4,816 per part; 7,718 with DescribeAlarms and the router failing every attempt).
 */
export const REMINDERS_PER_EXECUTION = 100;
/**
 * A Standard execution also ends after one year: a part lasts at most this long in reminders (weekly
 * reminders hand over after 4), plus the escalation steps before them.
 */
export const MAX_PART_SECONDS = 30 * 86_400;

/** Reminders per execution for these repeatEvery values (a severity and those it may be raised to). */
export function remindersPerExecution(repeatEverySeconds: readonly number[]): number {
  const longest = Math.max(1, ...repeatEverySeconds);
  return Math.max(1, Math.min(REMINDERS_PER_EXECUTION, Math.floor(MAX_PART_SECONDS / longest)));
}
/** History events of one reminder loop without retries (counted as test/…/escalation-harness.ts does). */
export const HISTORY_EVENTS_PER_REMINDER = 60;
/** A Standard workflow execution fails when its history reaches this many events. */
export const HISTORY_EVENT_LIMIT = 25_000;

/** One preformatted notification: the topic of its level and the SNS message (MessageStructure=json). */
export interface EscalationNotice {
  readonly level: string;
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  /** "yes" when SMS subscribers receive it (SMS subscriptions filter on nightshift.sms). */
  readonly sms: 'yes' | 'no';
  /** Rotating level: the number of the member on call when the notice is due, texted directly. */
  readonly phone?: string | undefined;
  /** The SMS body for `phone`. */
  readonly text?: string | undefined;
  /**
   * Reminders only: what the router needs to render the reminder again with a fresh value
   * (lambdas/alert-router/reminder.ts). The preformatted message above is the fallback.
   */
  readonly render?: ReminderRender | undefined;
  /** alerts.levels[].notifyTeam: told to every level paged before this one, once this one is paged. */
  readonly team?: TeamNotice | undefined;
}

/** A preformatted notice to the levels paged so far (published to each one's topic from `steps`). */
export interface TeamNotice {
  readonly subject: string;
  readonly message: string;
  readonly sms: 'yes' | 'no';
}

/** The facts, plan and options of a reminder, as JSON (dates as ISO strings). */
export interface ReminderRender {
  readonly facts: Record<string, unknown>;
  readonly plan: Record<string, unknown>;
  readonly options: Record<string, unknown>;
}

/** Continue-as-new bookkeeping, carried from one execution of an episode to the next. */
export interface EscalationContinuation {
  /** Name of the episode's first execution; part n > 1 runs as `<name>-<n>` (continuationName). */
  readonly name: string;
  /** 1 for the execution the router started. */
  readonly part: number;
  /** ISO time the episode's escalation started (the alarm time, or the end of a maintenance hold). */
  readonly startedAt: string;
  /** Reminders sent in the whole episode, across executions. */
  readonly reminders: number;
  /** Reminders sent by this execution; at `perPart` it hands over. */
  readonly inPart: number;
  readonly perPart: number;
}

/** What the escalation asks the router before each reminder (lambdas/alert-router/reminder.ts). */
export interface ReminderRequest {
  readonly kind: typeof REMINDER_REQUEST;
  readonly alarm: EscalationInput['alarm'];
  readonly reminder: EscalationNotice;
  /** This reminder's number in the episode (1 = the first reminder). */
  readonly count: number;
}

export const REMINDER_REQUEST = 'nightshift.reminder';

/** The router's answer: page with `notice`, or not at all (the alarm left ALARM or is gone). */
export interface ReminderReply {
  readonly page: 'yes' | 'no';
  /** The alarm's state as read now; UNKNOWN when it could not be read. */
  readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' | 'DELETED' | 'UNKNOWN';
  readonly notice: EscalationNotice;
}

export interface EscalationInput {
  readonly alarm: {
    readonly name: string;
    readonly type: 'MetricAlarm' | 'CompositeAlarm';
    /** ISO time the ALARM episode began; acknowledgements at or after it stop this execution. */
    readonly episode: string;
    /** Told to the levels paged so far when the alarm is deleted mid-episode (kept through promotions). */
    readonly gone?: TeamNotice | undefined;
  };
  /** ISO time to hold until before the first check (end of a maintenance window). */
  readonly holdUntil?: string;
  readonly escalateAfterSeconds: number;
  readonly repeatEverySeconds: number;
  /** steps[next] is the next notice; next = 1 when the router already sent steps[0]. */
  readonly pos: { readonly next: number; readonly count: number };
  readonly steps: readonly EscalationNotice[];
  /** Sent every repeatEvery once every step has been sent. */
  readonly reminder: EscalationNotice;
  /** Seconds waited since the escalation began (after any maintenance hold); promotions compare with it. */
  readonly clock: { readonly elapsed: number };
  /** Raising the severity while the alarm stays unacknowledged (alerts.severities.<s>.promoteAfter). */
  readonly promotion?: EscalationPromotion;
  /** Lambda request id of the router invocation: a re-delivered event carries another one, so a
   * duplicate StartExecution fails with ExecutionAlreadyExists instead of being silently accepted. */
  readonly deliveryId: string;
  readonly continuation: EscalationContinuation;
  /** Set by Step Functions' startExecution integration convention: links a part to the one before. */
  readonly AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: string;
}

/**
 * The fields a hand-over carries to the next execution (all of EscalationInput but holdUntil, which only
 * the first execution waits for, and the continuation, which is updated). Optional ones have their own
 * states, as a Parameters path that does not exist is an uncatchable error.
 */
export const CARRIED_FIELDS = [
  'alarm',
  'deliveryId',
  'escalateAfterSeconds',
  'repeatEverySeconds',
  'pos',
  'steps',
  'reminder',
  'clock',
] as const satisfies readonly (keyof EscalationInput)[];
export const CARRIED_OPTIONAL_FIELDS = ['promotion'] as const satisfies readonly (keyof EscalationInput)[];

/**
 * The escalation of the raised severity, preformatted like the first one. At `at` (= `afterSeconds` into
 * the escalation) the execution re-pages steps[0] and continues with these timings and steps.
 */
export interface EscalationPromotion {
  readonly severity: string;
  readonly afterSeconds: number;
  /** ISO time of the promotion: the escalation start plus afterSeconds. */
  readonly at: string;
  readonly escalateAfterSeconds: number;
  readonly repeatEverySeconds: number;
  readonly count: number;
  readonly steps: readonly EscalationNotice[];
  readonly reminder: EscalationNotice;
  /** A further promotion from the raised severity (medium → high → critical). */
  readonly promotion?: EscalationPromotion;
}

export const STATE = {
  start: 'Start',
  hold: 'Hold for maintenance',
  chooseWait: 'Choose wait',
  waitEscalate: 'Wait escalateAfter',
  waitRepeat: 'Wait repeatEvery',
  countEscalate: 'Count escalateAfter',
  countRepeat: 'Count repeatEvery',
  probeEscalate: 'Promotion before next level?',
  probeRepeat: 'Promotion before reminder?',
  promoteFirstEscalate: 'Promote before next level?',
  promoteFirstRepeat: 'Promote before reminder?',
  waitPromote: 'Wait promoteAfter',
  promotionDue: 'Promotion due',
  promote: 'Promote?',
  promoteChained: 'Raise severity (more to come)',
  promoteLast: 'Raise severity',
  describe: 'Describe alarm',
  alarmFound: 'Alarm found?',
  metricState: 'Metric alarm still ALARM?',
  compositeState: 'Composite alarm still ALARM?',
  readAck: 'Read acknowledgement',
  hasAck: 'Acknowledged?',
  ackForEpisode: 'Acknowledged this episode?',
  chooseNotice: 'Next level or reminder?',
  pickStep: 'Pick next level',
  publishStep: 'Notify next level',
  advance: 'Advance level',
  countReminder: 'Count reminder',
  freshReminder: 'Render reminder with fresh value',
  freshAnswer: 'Still page?',
  useFresh: 'Use fresh reminder',
  useStale: 'Use preformatted reminder',
  freshStop: 'Why no reminder?',
  publishReminder: 'Remind top level',
  handOverDue: 'Hand over?',
  carryChoice: 'Carry a promotion?',
  carryWithPromotion: 'Carry over (with promotion)',
  carry: 'Carry over',
  handOver: 'Continue as new execution',
  handedOver: 'Handed over',
  textStepChoice: 'Text the next level member?',
  textStep: 'Text the next level member',
  textReminderChoice: 'Text the top level member?',
  textReminder: 'Text the top level member',
  teamStepChoice: 'Tell the team about this level?',
  teamStep: 'Tell the team about this level',
  goneChoice: 'Tell the team the alarm is gone?',
  goneTeam: 'Tell the team the alarm is gone',
  tellGone: 'Tell a level paged so far: alarm gone',
  tellReached: 'Tell a level paged before: level reached',
  resolved: 'Resolved',
  acknowledged: 'Acknowledged',
  gone: 'Alarm deleted',
} as const;

const RETRY_AWS = [
  {
    ErrorEquals: ['States.ALL'],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

function publish(source: string, next: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::sns:publish',
    Parameters: {
      'TopicArn.$': `${source}.topicArn`,
      'Subject.$': `${source}.subject`,
      'Message.$': `${source}.message`,
      MessageStructure: 'json',
      MessageAttributes: {
        'nightshift.sms': { DataType: 'String', 'StringValue.$': `${source}.sms` },
      },
    },
    ResultPath: null,
    Retry: RETRY_AWS,
    // A failed e-mail still goes on to the text (if any), then the loop continues.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.publishError', Next: next }],
    Next: next,
  };
}

/** Sums the next wait onto the elapsed seconds, to compare with the promotion's. */
function probe(waitPath: string, next: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Parameters: { 'after.$': `States.MathAdd($.clock.elapsed, ${waitPath})` },
    ResultPath: '$.probe',
    Next: next,
  };
}

function promoteFirst(otherwise: string): Record<string, unknown> {
  return {
    Type: 'Choice',
    Choices: [
      {
        Variable: '$.probe.after',
        NumericGreaterThanEqualsPath: '$.promotion.afterSeconds',
        Next: STATE.waitPromote,
      },
    ],
    Default: otherwise,
  };
}

function count(waitPath: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Parameters: { 'elapsed.$': `States.MathAdd($.clock.elapsed, ${waitPath})` },
    ResultPath: '$.clock',
    Next: STATE.describe,
  };
}

/**
 * The raised severity's escalation replaces the current one: its first level is paged next (pos 0),
 * then its own timings, steps and any further promotion apply. A Parameters path that does not exist
 * is an uncatchable error, hence one state with and one without a further promotion.
 */
function raise(chained: boolean): Record<string, unknown> {
  return {
    Type: 'Pass',
    Parameters: {
      'alarm.$': '$.alarm',
      'deliveryId.$': '$.deliveryId',
      'continuation.$': '$.continuation',
      'escalateAfterSeconds.$': '$.promotion.escalateAfterSeconds',
      'repeatEverySeconds.$': '$.promotion.repeatEverySeconds',
      pos: { next: 0, 'count.$': '$.promotion.count' },
      'steps.$': '$.promotion.steps',
      'reminder.$': '$.promotion.reminder',
      clock: { 'elapsed.$': '$.promotion.afterSeconds' },
      ...(chained ? { 'promotion.$': '$.promotion.promotion' } : {}),
    },
    // No ResultPath: the default ("$") makes the result the whole state (an explicit "$" is the same in
    // Step Functions, but aws-local-stepfunctions, which the tests run, drops the result then).
    Next: STATE.pickStep,
  };
}

/**
 * A rotating level's member has no topic for SMS: when the notice carries a phone, text it directly
 * (after the e-mail, whether or not that worked).
 */
function text(source: string, send: string, next: string): Record<string, Record<string, unknown>> {
  return {
    choice: {
      Type: 'Choice',
      Choices: [{ Variable: `${source}.phone`, IsPresent: true, Next: send }],
      Default: next,
    },
    send: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        'PhoneNumber.$': `${source}.phone`,
        'Message.$': `${source}.text`,
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        },
      },
      ResultPath: null,
      Retry: RETRY_AWS,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.textError', Next: next }],
      Next: next,
    },
  };
}

/**
 * Publishes `source` (a TeamNotice) to the topic of every step already paged (index < pos.next), one at
 * a time. A failed publish is retried, then skipped: telling the team never blocks the escalation.
 */
function tellTeam(source: string, tell: string, next: string): Record<string, unknown> {
  // state names are unique across the whole machine, Map iterators included
  const check = `${tell}?`;
  const skip = `${tell}: skip`;
  return {
    Type: 'Map',
    ItemsPath: '$.steps',
    ItemSelector: {
      'topicArn.$': '$$.Map.Item.Value.topicArn',
      'index.$': '$$.Map.Item.Index',
      'paged.$': '$.pos.next',
      'notice.$': source,
    },
    MaxConcurrency: 1,
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: check,
      States: {
        [check]: {
          Type: 'Choice',
          Choices: [{ Variable: '$.index', NumericLessThanPath: '$.paged', Next: tell }],
          Default: skip,
        },
        [tell]: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sns:publish',
          Parameters: {
            'TopicArn.$': '$.topicArn',
            'Subject.$': '$.notice.subject',
            'Message.$': '$.notice.message',
            MessageStructure: 'json',
            MessageAttributes: {
              'nightshift.sms': { DataType: 'String', 'StringValue.$': '$.notice.sms' },
            },
          },
          ResultPath: null,
          Retry: RETRY_AWS,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: skip }],
          End: true,
        },
        [skip]: { Type: 'Pass', End: true },
      },
    },
    ResultPath: null,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.teamError', Next: next }],
    Next: next,
  };
}

/** The error a startExecution task fails with when the name is taken (an earlier attempt started it). */
const ALREADY_STARTED = [
  'StepFunctions.ExecutionAlreadyExistsException',
  'StepFunctions.ExecutionAlreadyExists',
];

/** The next execution's input: the carried fields, the continuation of the next part. */
function carry(withPromotion: boolean): Record<string, unknown> {
  const fields = withPromotion ? [...CARRIED_FIELDS, ...CARRIED_OPTIONAL_FIELDS] : CARRIED_FIELDS;
  return {
    Type: 'Pass',
    Parameters: {
      ...Object.fromEntries(fields.map((field) => [`${field}.$`, `$.${field}`])),
      continuation: {
        'name.$': '$.continuation.name',
        'part.$': 'States.MathAdd($.continuation.part, 1)',
        'startedAt.$': '$.continuation.startedAt',
        'reminders.$': '$.continuation.reminders',
        inPart: 0,
        'perPart.$': '$.continuation.perPart',
      },
      'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
    },
    ResultPath: '$.carry',
    Next: STATE.handOver,
  };
}

/**
 * The ASL document. `ackTable` and `routerFunction` default to the `${AckTable}` and `${AlertRouter}`
 * substitution placeholders.
 */
export function escalationDefinition(
  ackTable: string = ACK_TABLE_PLACEHOLDER,
  routerFunction: string = ROUTER_FUNCTION_PLACEHOLDER,
): Record<string, unknown> {
  const textStep = text('$.current.notice', STATE.textStep, STATE.teamStepChoice);
  const textReminder = text('$.current.notice', STATE.textReminder, STATE.handOverDue);
  return {
    Comment:
      'Nightshift escalation: one execution per alarm episode; notifies the next level until the alarm is OK or acknowledged',
    StartAt: STATE.start,
    States: {
      [STATE.start]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.holdUntil', IsPresent: true, Next: STATE.hold }],
        Default: STATE.chooseWait,
      },
      [STATE.hold]: { Type: 'Wait', TimestampPath: '$.holdUntil', Next: STATE.describe },
      [STATE.chooseWait]: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.promotion', IsPresent: true },
              { Variable: '$.pos.next', NumericLessThanPath: '$.pos.count' },
            ],
            Next: STATE.probeEscalate,
          },
          { Variable: '$.promotion', IsPresent: true, Next: STATE.probeRepeat },
          { Variable: '$.pos.next', NumericLessThanPath: '$.pos.count', Next: STATE.waitEscalate },
        ],
        Default: STATE.waitRepeat,
      },
      // A promotion due before the end of the next wait cuts that wait short: ASL has no date arithmetic,
      // so the elapsed seconds are summed and compared, and the wait runs to the promotion's timestamp.
      [STATE.probeEscalate]: probe('$.escalateAfterSeconds', STATE.promoteFirstEscalate),
      [STATE.probeRepeat]: probe('$.repeatEverySeconds', STATE.promoteFirstRepeat),
      [STATE.promoteFirstEscalate]: promoteFirst(STATE.waitEscalate),
      [STATE.promoteFirstRepeat]: promoteFirst(STATE.waitRepeat),
      [STATE.waitPromote]: { Type: 'Wait', TimestampPath: '$.promotion.at', Next: STATE.promotionDue },
      [STATE.promotionDue]: {
        Type: 'Pass',
        Result: { due: true },
        ResultPath: '$.promoting',
        Next: STATE.describe,
      },
      [STATE.waitEscalate]: {
        Type: 'Wait',
        SecondsPath: '$.escalateAfterSeconds',
        Next: STATE.countEscalate,
      },
      [STATE.waitRepeat]: { Type: 'Wait', SecondsPath: '$.repeatEverySeconds', Next: STATE.countRepeat },
      [STATE.countEscalate]: count('$.escalateAfterSeconds'),
      [STATE.countRepeat]: count('$.repeatEverySeconds'),
      [STATE.describe]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms',
        Parameters: {
          'AlarmNames.$': 'States.Array($.alarm.name)',
          'AlarmTypes.$': 'States.Array($.alarm.type)',
        },
        // No ResultSelector: a path that does not match there is an uncatchable States.Runtime error.
        ResultPath: '$.check',
        Retry: RETRY_AWS,
        // Cannot tell whether it is still broken: page rather than stay silent.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: STATE.readAck }],
        Next: STATE.alarmFound,
      },
      [STATE.alarmFound]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.check.MetricAlarms[0]', IsPresent: true, Next: STATE.metricState },
          { Variable: '$.check.CompositeAlarms[0]', IsPresent: true, Next: STATE.compositeState },
        ],
        Default: STATE.goneChoice,
      },
      [STATE.goneChoice]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.alarm.gone', IsPresent: true, Next: STATE.goneTeam }],
        Default: STATE.gone,
      },
      [STATE.goneTeam]: tellTeam('$.alarm.gone', STATE.tellGone, STATE.gone),
      [STATE.metricState]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.check.MetricAlarms[0].StateValue', StringEquals: 'ALARM', Next: STATE.readAck },
        ],
        Default: STATE.resolved,
      },
      [STATE.compositeState]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.check.CompositeAlarms[0].StateValue', StringEquals: 'ALARM', Next: STATE.readAck },
        ],
        Default: STATE.resolved,
      },
      [STATE.readAck]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: {
          TableName: ackTable,
          Key: { alarm: { 'S.$': '$.alarm.name' } },
          ConsistentRead: true,
        },
        ResultPath: '$.ack',
        Retry: RETRY_AWS,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.ackError', Next: STATE.chooseNotice }],
        Next: STATE.hasAck,
      },
      [STATE.hasAck]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.ack.Item.at.S', IsPresent: true, Next: STATE.ackForEpisode }],
        Default: STATE.chooseNotice,
      },
      [STATE.ackForEpisode]: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.ack.Item.at.S',
            TimestampGreaterThanEqualsPath: '$.alarm.episode',
            Next: STATE.acknowledged,
          },
        ],
        Default: STATE.chooseNotice,
      },
      [STATE.chooseNotice]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.promoting', IsPresent: true, Next: STATE.promote },
          { Variable: '$.pos.next', NumericLessThanPath: '$.pos.count', Next: STATE.pickStep },
        ],
        Default: STATE.countReminder,
      },
      [STATE.promote]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.promotion.promotion', IsPresent: true, Next: STATE.promoteChained }],
        Default: STATE.promoteLast,
      },
      [STATE.promoteChained]: raise(true),
      [STATE.promoteLast]: raise(false),
      [STATE.pickStep]: {
        Type: 'Pass',
        Parameters: { 'notice.$': 'States.ArrayGetItem($.steps, $.pos.next)' },
        ResultPath: '$.current',
        Next: STATE.publishStep,
      },
      [STATE.publishStep]: publish('$.current.notice', STATE.textStepChoice),
      [STATE.textStepChoice]: textStep.choice,
      [STATE.textStep]: textStep.send,
      [STATE.teamStepChoice]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.current.notice.team', IsPresent: true, Next: STATE.teamStep }],
        Default: STATE.advance,
      },
      [STATE.teamStep]: tellTeam('$.current.notice.team', STATE.tellReached, STATE.advance),
      [STATE.advance]: {
        Type: 'Pass',
        Parameters: { 'next.$': 'States.MathAdd($.pos.next, 1)', 'count.$': '$.pos.count' },
        ResultPath: '$.pos',
        Next: STATE.chooseWait,
      },
      [STATE.countReminder]: {
        Type: 'Pass',
        Parameters: {
          'name.$': '$.continuation.name',
          'part.$': '$.continuation.part',
          'startedAt.$': '$.continuation.startedAt',
          'reminders.$': 'States.MathAdd($.continuation.reminders, 1)',
          'inPart.$': 'States.MathAdd($.continuation.inPart, 1)',
          'perPart.$': '$.continuation.perPart',
        },
        ResultPath: '$.continuation',
        Next: STATE.freshReminder,
      },
      // The router reads the alarm now and renders the reminder with the fresh value (reminder.ts).
      [STATE.freshReminder]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: routerFunction,
          Payload: {
            kind: REMINDER_REQUEST,
            'alarm.$': '$.alarm',
            'reminder.$': '$.reminder',
            'count.$': '$.continuation.reminders',
          },
        },
        ResultSelector: { 'reply.$': '$.Payload' },
        ResultPath: '$.fresh',
        Retry: RETRY_AWS,
        // Never drop a reminder: without the router, the preformatted one goes out.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.freshError', Next: STATE.useStale }],
        Next: STATE.freshAnswer,
      },
      // Rules are tried in order: page is only compared once it is known to be there.
      [STATE.freshAnswer]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.fresh.reply.page', IsPresent: false, Next: STATE.useStale },
          { Variable: '$.fresh.reply.page', StringEquals: 'no', Next: STATE.freshStop },
          { Variable: '$.fresh.reply.notice.topicArn', IsPresent: true, Next: STATE.useFresh },
        ],
        Default: STATE.useStale,
      },
      [STATE.freshStop]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.fresh.reply.state', IsPresent: false, Next: STATE.resolved },
          { Variable: '$.fresh.reply.state', StringEquals: 'DELETED', Next: STATE.goneChoice },
        ],
        Default: STATE.resolved,
      },
      [STATE.useFresh]: {
        Type: 'Pass',
        Parameters: { 'notice.$': '$.fresh.reply.notice' },
        ResultPath: '$.current',
        Next: STATE.publishReminder,
      },
      [STATE.useStale]: {
        Type: 'Pass',
        Parameters: { 'notice.$': '$.reminder' },
        ResultPath: '$.current',
        Next: STATE.publishReminder,
      },
      [STATE.publishReminder]: publish('$.current.notice', STATE.textReminderChoice),
      [STATE.textReminderChoice]: textReminder.choice,
      [STATE.textReminder]: textReminder.send,
      [STATE.handOverDue]: {
        Type: 'Choice',
        Choices: [
          {
            Variable: '$.continuation.inPart',
            NumericGreaterThanEqualsPath: '$.continuation.perPart',
            Next: STATE.carryChoice,
          },
        ],
        Default: STATE.chooseWait,
      },
      [STATE.carryChoice]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.promotion', IsPresent: true, Next: STATE.carryWithPromotion }],
        Default: STATE.carry,
      },
      [STATE.carryWithPromotion]: carry(true),
      [STATE.carry]: carry(false),
      // Continue as new: the same state machine, the same episode, a fresh history.
      [STATE.handOver]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': "States.Format('{}-{}', $.carry.continuation.name, $.carry.continuation.part)",
          'Input.$': '$.carry',
        },
        ResultPath: null,
        Retry: [{ ErrorEquals: ALREADY_STARTED, MaxAttempts: 0 }, ...RETRY_AWS],
        Catch: [
          // An earlier attempt started it (its answer was lost): that execution carries on.
          { ErrorEquals: ALREADY_STARTED, ResultPath: null, Next: STATE.handedOver },
          // Keep reminding here and try again after the next reminder (history has room to spare).
          { ErrorEquals: ['States.ALL'], ResultPath: '$.handOverError', Next: STATE.chooseWait },
        ],
        Next: STATE.handedOver,
      },
      [STATE.handedOver]: {
        Type: 'Succeed',
        Comment: 'a new execution of this state machine continues the episode',
      },
      [STATE.resolved]: { Type: 'Succeed', Comment: 'the alarm left ALARM' },
      [STATE.acknowledged]: { Type: 'Succeed', Comment: 'someone acknowledged this episode' },
      [STATE.gone]: { Type: 'Succeed', Comment: 'the alarm no longer exists' },
    },
  };
}

const TIME_COMPACT = /[-:.]/g;

/**
 * Execution name for one alarm episode: readable alarm name, a hash of the full name (so two alarms that
 * share a long prefix never collide) and the compact state-change time. ≤ 74 characters of [A-Za-z0-9_-]: a continuation adds "-<part>".
 */
export function executionName(alarmName: string, episode: Date): string {
  return `${executionPrefix(alarmName)}${episode.toISOString().replace(TIME_COMPACT, '').replace('Z', '')}`;
}

/**
 * Name of part `part` (≥ 2) of an episode whose first execution is `first`: the definition builds the
 * same with States.Format. Shares executionPrefix, so stopping an alarm's executions finds it.
 */
export function continuationName(first: string, part: number): string {
  return `${first}-${part}`;
}

/** Whether `name` is the first execution of an episode or one of its continuations. */
export function isExecutionOf(name: string, first: string): boolean {
  return name === first || new RegExp(`^${first}-[0-9]{1,5}$`).test(name);
}

/** The part of executionName shared by every episode of one alarm. */
export function executionPrefix(alarmName: string): string {
  // 46 readable characters leave room for "-<part>" (up to 5 digits) within the 80 allowed.
  const readable = alarmName
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 46);
  return `${readable || 'alarm'}-${fnv1a(alarmName)}-`;
}

/** 8 hex digits of FNV-1a: stable, dependency-free, enough to tell alarm names apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
