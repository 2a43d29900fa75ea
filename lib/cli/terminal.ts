/**
 * Terminal output and exit codes for every `nightshift` command. Rules they implement:
 * - results go to stdout (a table or lines for people, one JSON document with `--json`);
 * - progress and diagnostics go to stderr, so `--json` output stays parseable;
 * - colors only on a TTY, and never with `--no-color` or NO_COLOR set;
 * - failures throw `CliError` (or set `process.exitCode`); main.ts maps them to exit codes.
 * It loads no config module (zod, yaml), so main.ts can import it and `nightshift --help` stays fast;
 * commands import lib/cli/output.ts, which re-exports it with the option and config helpers.
 */
import { redact, redactDeep } from '../../lambdas/shared/redact';

// ---------------------------------------------------------------------------------------------
// Exit codes and errors
// ---------------------------------------------------------------------------------------------

export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** A job (check, backup, …) ran and failed, or an unexpected error. */
  FAILED: 1,
  /** Bad usage or an invalid/missing config file. */
  USAGE: 2,
} as const;

/** An error with a user-facing message and the exit code it maps to. Never put secrets in it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * No AWS credentials could be found: a usage problem (exit 2), with one message for every command.
 * main.ts turns any error caused by the SDK's credential chain into this one.
 */
export class MissingCredentials extends CliError {
  constructor(region: string | undefined, reason: string) {
    super(
      `no AWS credentials found (${reason}). Provide them the way the AWS CLI reads them: AWS_PROFILE=<profile> (after "aws configure" or "aws sso login --profile <profile>"), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys).${region ? ` The region, ${region}, comes from "region" in the config file.` : ''}`,
      EXIT.USAGE,
    );
    this.name = 'MissingCredentials';
  }
}

/** The SDK's "no credentials" error (CredentialsProviderError) in `error` or its causes, if any. */
export function credentialsProblem(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof MissingCredentials) return undefined;
    if (
      e.name === 'CredentialsProviderError' ||
      /Could not load credentials from any providers/.test(e.message)
    )
      return e;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Colors
// ---------------------------------------------------------------------------------------------

let colorEnabled = colorAllowed();

/** Colors are allowed: NO_COLOR is unset or empty, and stdout is a terminal. */
export function colorAllowed(): boolean {
  const noColor = process.env.NO_COLOR;
  return (noColor === undefined || noColor === '') && process.stdout.isTTY === true;
}

/** Turns colors on or off for this process (main.ts calls it with the global options). */
export function setColor(enabled: boolean): void {
  colorEnabled = enabled && colorAllowed();
}

const paint =
  (open: number, close: number) =>
  (text: string): string =>
    colorEnabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;

export const color = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  red: paint(31, 39),
  green: paint(32, 39),
  yellow: paint(33, 39),
  cyan: paint(36, 39),
};

/** "✓" (green) or "✗" (red). */
export function mark(ok: boolean): string {
  return ok ? color.green('✓') : color.red('✗');
}

// ---------------------------------------------------------------------------------------------
// Text width
// ---------------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI color escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const WIDE = /\p{Emoji_Presentation}|\p{Regional_Indicator}|\uFE0F/u;
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;

/** East Asian wide and fullwidth ranges (CJK, Hangul, fullwidth forms). */
function isWideCodePoint(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function graphemeWidth(grapheme: string): number {
  if (ZERO.test(grapheme)) return 0;
  // emoji presentation (😀, ✅, 🇩🇪, ❤️) is 2 columns; text-presentation symbols (✓, ✗, →) are 1
  if (WIDE.test(grapheme)) return 2;
  return isWideCodePoint(grapheme.codePointAt(0) ?? 0) ? 2 : 1;
}

/** Terminal columns `text` occupies: ANSI colors ignored, CJK and emoji count 2, combining marks 0. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text.replace(ANSI, ''))) width += graphemeWidth(segment);
  return width;
}

/** Cuts `text` to at most `width` columns, ending with "…" when cut. Colors are dropped when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text.replace(ANSI, ''))) {
    const w = graphemeWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

// ---------------------------------------------------------------------------------------------
// Tables, JSON, lines
// ---------------------------------------------------------------------------------------------

export interface Column<Row> {
  /** Header text. */
  readonly header: string;
  /** The cell text for a row (a key of the row, or a function). */
  readonly value: keyof Row | ((row: Row) => string | number | undefined);
  /** @default 'left' ('right' suits numbers) */
  readonly align?: 'left' | 'right';
  /** Cells wider than this are cut with "…". @default no limit */
  readonly maxWidth?: number;
  /** Whether this column may be cut to fit the terminal. @default true for the last column */
  readonly shrink?: boolean;
}

export interface TableOptions {
  /** Total width to fit into. @default the terminal width on a TTY, unlimited otherwise */
  readonly width?: number;
  /** Indentation of every line. @default '' */
  readonly indent?: string;
  /** Column separator. @default two spaces */
  readonly gap?: string;
}

/** Formats rows as an aligned table (header in bold, then one line per row). */
export function formatTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: TableOptions = {},
): string[] {
  const gap = options.gap ?? '  ';
  const indent = options.indent ?? '';
  const cell = (row: Row, column: Column<Row>): string => {
    const raw = typeof column.value === 'function' ? column.value(row) : row[column.value];
    const text = raw === undefined || raw === null ? '' : String(raw);
    return column.maxWidth ? truncate(text, column.maxWidth) : text;
  };
  const cells = rows.map((row) => columns.map((column) => cell(row, column)));
  const widths = columns.map((column, i) =>
    Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[i] ?? ''))),
  );
  const limit = options.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined);
  if (limit) {
    const total = () =>
      displayWidth(indent) + widths.reduce((a, b) => a + b, 0) + gap.length * (widths.length - 1);
    const shrinkable = columns
      .map((column, i) => ({ i, ok: column.shrink ?? i === columns.length - 1 }))
      .filter((c) => c.ok)
      .map((c) => c.i);
    // take columns from the widest shrinkable one first, never below its header or 8 columns
    while (total() > limit) {
      const widest = shrinkable
        .filter((i) => (widths[i] ?? 0) > Math.max(8, displayWidth(columns[i]?.header ?? '')))
        .sort((a, b) => (widths[b] ?? 0) - (widths[a] ?? 0))[0];
      if (widest === undefined) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
    }
  }
  const line = (texts: string[]) =>
    indent +
    texts
      .map((text, i) => pad(truncate(text, widths[i] ?? 0), widths[i] ?? 0, columns[i]?.align ?? 'left'))
      .join(gap)
      .trimEnd();
  return [line(columns.map((column) => color.bold(column.header))), ...cells.map((texts) => line(texts))];
}

/** Prints rows as an aligned table on stdout. */
export function printTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options?: TableOptions,
): void {
  print(...formatTable(rows, columns, options));
}

// Every writer below passes its text through the redactor (lambdas/shared/redact.ts): a secret value
// resolved anywhere in this process never reaches stdout or stderr, --json and --verbose included.

/** Prints lines on stdout (redacted). */
export function print(...lines: string[]): void {
  clearProgress();
  for (const line of lines) process.stdout.write(`${redact(line)}\n`);
}

/** Prints one JSON document on stdout (Dates as ISO strings, 2-space indent), every string redacted. */
export function printJson(value: unknown): void {
  clearProgress();
  // redact the values, not the serialized text, so the document stays valid JSON
  process.stdout.write(
    `${JSON.stringify(redactDeep(JSON.parse(JSON.stringify(value) ?? 'null')), null, 2)}\n`,
  );
}

/** Prints a warning or diagnostic on stderr (redacted). */
export function printError(message: string): void {
  clearProgress();
  process.stderr.write(`${redact(message)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Progress (stderr)
// ---------------------------------------------------------------------------------------------

let progressPending = false;

/**
 * Shows a progress line on stderr: rewritten in place on a TTY (the next progress or output replaces
 * it), one plain line each otherwise (CI logs, pipes).
 */
export function progress(line: string): void {
  const text = redact(line);
  if (process.stderr.isTTY) {
    const columns = process.stderr.columns || 80;
    process.stderr.write(`\r\x1b[2K${truncate(text, columns - 1)}`);
    progressPending = true;
  } else {
    process.stderr.write(`${text}\n`);
  }
}

/** Removes a pending in-place progress line (output helpers call it first). */
export function clearProgress(): void {
  if (progressPending) {
    process.stderr.write('\r\x1b[2K');
    progressPending = false;
  }
}
