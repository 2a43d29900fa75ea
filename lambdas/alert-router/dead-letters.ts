/**
 * The jobs' shared dead-letter queue (lib/constructs/jobs-dead-letter-queue.ts): when its alarm fires,
 * the router peeks at the queue — ReceiveMessage with a zero visibility timeout, so every message
 * stays for a redrive — and names the jobs and errors in the page. A peek that fails leaves the
 * generic summary.
 */
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The alarm's name after the project prefix. */
export const JOBS_DLQ_ALARM = 'jobs-dlq';

export function jobsDeadLetterQueueName(project: string): string {
  return `${project}-jobs-dlq`;
}

export interface DeadLetter {
  /** The job (from the schedule's or function's name), or undefined when neither is given. */
  readonly job?: string | undefined;
  /** The schedule (Scheduler's SCHEDULE_ARN, or the event's `schedule`). */
  readonly schedule?: string | undefined;
  /** Scheduler's ERROR_CODE or Lambda's ErrorCode. */
  readonly error?: string | undefined;
}

type Attributes = Record<string, { StringValue?: string | undefined } | undefined> | undefined;

/**
 * What one dead letter says. EventBridge Scheduler sets the message attributes SCHEDULE_ARN,
 * TARGET_ARN, ERROR_CODE and ERROR_MESSAGE; Lambda's asynchronous DLQ sets ErrorCode and
 * ErrorMessage, and the body is the event (which carries `schedule`).
 */
export function readDeadLetter(
  project: string,
  body: string | undefined,
  attributes: Attributes,
): DeadLetter {
  const attr = (name: string) => attributes?.[name]?.StringValue;
  const scheduleArn = attr('SCHEDULE_ARN');
  const targetArn = attr('TARGET_ARN');
  // arn:aws:scheduler:…:schedule/<group>/<project>-<job>-<schedule>; arn:aws:lambda:…:function:<project>-<job>
  const scheduleName = scheduleArn?.split('/').pop();
  const functionName = targetArn?.split(':function:')[1]?.split(':')[0];
  let eventSchedule: string | undefined;
  try {
    const parsed = body ? (JSON.parse(body) as { schedule?: unknown }) : undefined;
    if (typeof parsed?.schedule === 'string') eventSchedule = parsed.schedule;
  } catch {
    // not JSON: no schedule from the body
  }
  const prefix = `${project}-`;
  const job = functionName?.startsWith(prefix) ? functionName.slice(prefix.length) : undefined;
  const schedule =
    eventSchedule ??
    (scheduleName?.startsWith(prefix) && job && scheduleName.startsWith(`${prefix}${job}-`)
      ? scheduleName.slice(prefix.length + job.length + 1)
      : scheduleName);
  return {
    job: job ?? (scheduleName?.startsWith(prefix) ? scheduleName.slice(prefix.length) : undefined),
    schedule,
    error: attr('ERROR_CODE') ?? attr('ErrorCode'),
  };
}

/** One line for the page: "backup-postgres (schedule backup: ThrottlingException) and 2 more". */
export function describeDeadLetters(letters: readonly DeadLetter[]): string | undefined {
  if (letters.length === 0) return undefined;
  const seen = new Map<string, number>();
  for (const l of letters) {
    const key = `${l.job ?? 'unknown job'}${l.schedule ? ` (schedule ${l.schedule}${l.error ? `: ${l.error}` : ''})` : l.error ? ` (${l.error})` : ''}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key)).join(', ');
}

/** Peeks at up to 10 messages; throws what SQS throws (the caller keeps the generic summary). */
export async function peekDeadLetters(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  project: string,
): Promise<DeadLetter[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      // the messages stay visible: nightshift doctor, a redrive or the next page still see them
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  return (out.Messages ?? []).map((m) => readDeadLetter(project, m.Body, m.MessageAttributes));
}
