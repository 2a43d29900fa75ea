/**
 * Shared benchmark plumbing: the result shape, a table printer, and the JSON writer.
 * Goals are ratios against a baseline measured in the same run; tests never assert timings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface BenchGoal {
  readonly goal: string;
  readonly met: boolean;
  readonly value: string;
}

export interface BenchResult {
  readonly name: string;
  readonly rows: Record<string, string | number>[];
  readonly goals: BenchGoal[];
}

export const RESULTS_DIR = resolve(import.meta.dirname, 'results');

export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: string | number | undefined) => (value === undefined ? '' : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

export function printResult(result: BenchResult): void {
  console.log(`\n## ${result.name}\n`);
  console.log(formatTable(result.rows));
  if (result.goals.length) {
    console.log('');
    console.log(
      formatTable(result.goals.map((g) => ({ goal: g.goal, value: g.value, met: g.met ? 'yes' : 'NO' }))),
    );
  }
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = resolve(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...result, at: new Date().toISOString(), node: process.version }, null, 2)}\n`,
  );
  return file;
}
