/**
 * The test page event: `nightshift page --test --level <name>` invokes the deployed alert router with it,
 * and the router sends one labelled message to that level through the same format and notifier code as
 * a real page. Defined once here (DESIGN rule 11): the CLI writes it, the router reads it. Only a direct
 * Lambda invocation can deliver it — the EventBridge rule passes nothing but CloudWatch alarm events.
 */
export const TEST_PAGE_SOURCE = 'nightshift.cli';
export const TEST_PAGE_DETAIL_TYPE = 'Nightshift Test Page';
/** Longest "requested by" text a message quotes. */
const MAX_REQUESTER = 64;

export interface TestPageEvent {
  readonly source: typeof TEST_PAGE_SOURCE;
  readonly 'detail-type': typeof TEST_PAGE_DETAIL_TYPE;
  /** When it was requested (ISO 8601). */
  readonly time: string;
  readonly detail: {
    /** The level (alerts.levels[].name) to page. */
    readonly level: string;
    /** Who asked, quoted in the message. */
    readonly requestedBy: string;
  };
}

export function testPageEvent(level: string, requestedBy: string, now: Date): TestPageEvent {
  return {
    source: TEST_PAGE_SOURCE,
    'detail-type': TEST_PAGE_DETAIL_TYPE,
    time: now.toISOString(),
    detail: { level, requestedBy },
  };
}

export function isTestPageEvent(event: unknown): event is TestPageEvent {
  const e = event as Partial<TestPageEvent> | undefined;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.source === TEST_PAGE_SOURCE &&
    e['detail-type'] === TEST_PAGE_DETAIL_TYPE &&
    typeof e.time === 'string' &&
    !Number.isNaN(Date.parse(e.time)) &&
    typeof e.detail?.level === 'string'
  );
}

/** The requester as a message may quote it: printable, one line, bounded. */
export function requesterText(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
          .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
          .replace(/\s+/g, ' ')
          .trim()
      : '';
  if (!text) return 'someone';
  return text.length > MAX_REQUESTER ? `${text.slice(0, MAX_REQUESTER - 1)}…` : text;
}
