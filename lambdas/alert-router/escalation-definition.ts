/**
 * The escalation state machine, as Amazon States Language (JSONPath). One execution per ALARM episode:
 *
 *   [Hold until maintenance ends] → Wait escalateAfter (repeatEvery at the top level)
 *   → DescribeAlarms (SDK integration) → still ALARM? → acknowledged for this episode? (DynamoDB)
 *   → publish the next level's preformatted message (SNS; a rotating level's member is also texted) → loop.
 *
 * Stops (Succeed) when the alarm is OK/INSUFFICIENT_DATA, deleted, or acknowledged after the episode
 * began. Deleted: the levels paged so far are told (alarm.gone) before it stops. A level with
 * notifyTeam carries a `team` notice: once it is paged, the levels paged before it are told too. Failures to read the alarm or the acknowledgement page anyway (a missed page is worse than an
 * extra one); a failed publish is retried, then the loop continues.
 *
 * The ack table name is a definition substitution (`${AckTable}`) so the CDK construct can fill it in.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Step Functions definition substitution, not a JS template
export const ACK_TABLE_PLACEHOLDER = '${AckTable}';

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
  /** alerts.levels[].notifyTeam: told to every level paged before this one, once this one is paged. */
  readonly team?: TeamNotice | undefined;
}

/** A preformatted notice to the levels paged so far (published to each one's topic from `steps`). */
export interface TeamNotice {
  readonly subject: string;
  readonly message: string;
  readonly sms: 'yes' | 'no';
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
}

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
  publishReminder: 'Remind top level',
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

/** The ASL document. `ackTable` defaults to the `${AckTable}` substitution placeholder. */
export function escalationDefinition(ackTable: string = ACK_TABLE_PLACEHOLDER): Record<string, unknown> {
  const textStep = text('$.current.notice', STATE.textStep, STATE.teamStepChoice);
  const textReminder = text('$.reminder', STATE.textReminder, STATE.chooseWait);
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
        Default: STATE.publishReminder,
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
      [STATE.publishReminder]: publish('$.reminder', STATE.textReminderChoice),
      [STATE.textReminderChoice]: textReminder.choice,
      [STATE.textReminder]: textReminder.send,
      [STATE.resolved]: { Type: 'Succeed', Comment: 'the alarm left ALARM' },
      [STATE.acknowledged]: { Type: 'Succeed', Comment: 'someone acknowledged this episode' },
      [STATE.gone]: { Type: 'Succeed', Comment: 'the alarm no longer exists' },
    },
  };
}

const TIME_COMPACT = /[-:.]/g;

/**
 * Execution name for one alarm episode: readable alarm name, a hash of the full name (so two alarms that
 * share a long prefix never collide) and the compact state-change time. ≤ 80 characters of [A-Za-z0-9_-].
 */
export function executionName(alarmName: string, episode: Date): string {
  return `${executionPrefix(alarmName)}${episode.toISOString().replace(TIME_COMPACT, '').replace('Z', '')}`;
}

/** The part of executionName shared by every episode of one alarm. */
export function executionPrefix(alarmName: string): string {
  const readable = alarmName
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 52);
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
