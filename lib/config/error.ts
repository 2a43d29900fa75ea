/**
 * The error an invalid config raises, with one issue per problem. Kept apart from validate.ts (zod and
 * the schema) so that the CLI can recognise it without loading them (`nightshift --help` stays fast).
 */
import { formatPath, type PathSegment } from './path';

export interface ConfigIssue {
  /** Path into the config, e.g. ['backups', 'targets', 1, 'postgres', 'secret']. */
  readonly path: PathSegment[];
  /** What is wrong and what to do. Never contains a secret value. */
  readonly message: string;
  /** 1-based line in the YAML file, when known. */
  line?: number;
  /** The source line with a caret under the column (YAML syntax errors); credentials hidden. */
  readonly excerpt?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly file?: string,
  ) {
    super(formatIssues(issues, file));
    this.name = 'ConfigError';
  }
}

export function formatIssues(issues: ConfigIssue[], file?: string): string {
  const head = `${file ?? 'config'}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  const lines = issues.map((issue) => {
    const where = issue.path.length ? formatPath(issue.path) : '(top level)';
    const line = issue.line ? ` (line ${issue.line})` : '';
    return `  ${where}${line}: ${issue.message}${issue.excerpt ? `\n${issue.excerpt}` : ''}`;
  });
  return [head, ...lines].join('\n');
}
