/**
 * Exponential backoff with full jitter for CloudWatch Logs calls. Throttles (FilterLogEvents is
 * limited per account and region) are retried and counted, so that sustained throttling shows up
 * as a metric and an alarm instead of a silent slowdown.
 */

export interface BackoffOptions {
  /** Attempts in total, including the first. @default 8 */
  readonly maxAttempts?: number;
  /** First delay cap in ms; doubles each retry. @default 200 */
  readonly baseMs?: number;
  /** Largest delay in ms. @default 20000 */
  readonly capMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** [0, 1) */
  readonly random: () => number;
  /** Called before each retry that follows a throttle. */
  readonly onThrottle?: (attempt: number, delayMs: number) => void;
}

const THROTTLES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const TRANSIENT = new Set(['ServiceUnavailableException', 'InternalServerError', 'InternalFailure']);
const NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN']);

export function isThrottle(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLES.has(error.name) || status === 429;
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as NodeJS.ErrnoException).code;
  return TRANSIENT.has(error.name) || (status !== undefined && status >= 500) || NETWORK.has(code ?? '');
}

export async function withBackoff<T>(call: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseMs = options.baseMs ?? 200;
  const capMs = options.capMs ?? 20_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const throttled = isThrottle(error);
      if ((!throttled && !isTransient(error)) || attempt >= maxAttempts) throw error;
      const delayMs = Math.floor(options.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
      if (throttled) options.onThrottle?.(attempt, delayMs);
      await options.sleep(delayMs);
    }
  }
}
