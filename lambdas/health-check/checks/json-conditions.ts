/**
 * JSON conditions on a response body: a JSONPath-style path ($.a.b, $.a[0], $['a b']) and one
 * comparison (equals, in, exists, gt, gte, lt, lte). Failures read like
 * `$.database was "disconnected", expected "connected"`.
 */

import type { HttpCheck } from '../../../lib/config/schema';
import { redact } from '../../shared/redact';

export type JsonCondition = HttpCheck['json'][number];

type Segment = string | number;

const SEGMENT = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']+)'\]/y;

/** Splits "$.checks[0].status" into ['checks', 0, 'status']; throws on anything else. */
export function parsePath(path: string): Segment[] {
  if (!path.startsWith('$')) throw new Error(`${path}: a path starts with $, e.g. $.database`);
  const segments: Segment[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const at = SEGMENT.lastIndex;
    const match = SEGMENT.exec(path);
    if (!match) throw new Error(`${path}: cannot read the path at "${path.slice(at)}"`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? '');
  }
  return segments;
}

const MISSING: unique symbol = Symbol('missing');

export function lookup(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of parsePath(path)) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return MISSING;
      current = current[segment];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** A short, redacted rendering of a JSON value for a reason: strings quoted, objects abbreviated. */
export function show(value: unknown): string {
  if (value === MISSING) return 'missing';
  if (typeof value === 'string') {
    // redact before cutting: a cut secret no longer matches the redactor
    const clean = redact(value);
    const text = clean.length > 60 ? `${clean.slice(0, 59)}…` : clean;
    return JSON.stringify(text);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

const NUMBER_OPS = [
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
] as const;

/** Returns the failure reason of one condition, or undefined when it holds. */
export function evaluateCondition(body: unknown, condition: JsonCondition): string | undefined {
  const { path } = condition;
  const value = lookup(body, path);
  const found = value !== MISSING;
  if (condition.exists !== undefined) {
    if (condition.exists && !found) return `${path} is missing`;
    if (!condition.exists && found) return `${path} is present (${show(value)}), expected it absent`;
  }
  if (condition.equals !== undefined) {
    if (!found) return `${path} is missing, expected ${show(condition.equals)}`;
    if (value !== condition.equals) return `${path} was ${show(value)}, expected ${show(condition.equals)}`;
  }
  if (condition.in !== undefined) {
    const options = condition.in.map(show).join(', ');
    if (!found) return `${path} is missing, expected one of ${options}`;
    if (!condition.in.some((option) => option === value)) {
      return `${path} was ${show(value)}, expected one of ${options}`;
    }
  }
  for (const [key, symbol] of NUMBER_OPS) {
    const limit = condition[key];
    if (limit === undefined) continue;
    if (!found) return `${path} is missing, expected a number ${symbol} ${limit}`;
    const number = typeof value === 'number' ? value : Number.NaN;
    if (Number.isNaN(number)) return `${path} was ${show(value)}, expected a number ${symbol} ${limit}`;
    const holds =
      key === 'gt'
        ? number > limit
        : key === 'gte'
          ? number >= limit
          : key === 'lt'
            ? number < limit
            : number <= limit;
    if (!holds) return `${path} was ${number}, expected ${symbol} ${limit}`;
  }
  return undefined;
}

/** Failure reasons of every condition that does not hold. */
export function evaluateConditions(body: unknown, conditions: readonly JsonCondition[]): string[] {
  const failures: string[] = [];
  for (const condition of conditions) {
    const failure = evaluateCondition(body, condition);
    if (failure) failures.push(failure);
  }
  return failures;
}
