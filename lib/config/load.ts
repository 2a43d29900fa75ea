/**
 * Finding and reading the config file. Precedence: --config flag, CDK context `config`,
 * NIGHTSHIFT_CONFIG, then ./nightshift.config.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { PathSegment } from './path';
import type { NightshiftConfig } from './schema';
import { ConfigError, validateConfig } from './validate';

export const DEFAULT_CONFIG_FILE = 'nightshift.config.yaml';

export interface ConfigSource {
  /** --config on the command line. */
  readonly flag?: string | undefined;
  /** CDK context value `config` (cdk synth -c config=FILE). */
  readonly context?: string | undefined;
  /** Environment, for NIGHTSHIFT_CONFIG. */
  readonly env?: Record<string, string | undefined>;
  /** Directory relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
}

export function resolveConfigPath(source: ConfigSource = {}): string {
  const cwd = source.cwd ?? process.cwd();
  const env = source.env ?? process.env;
  const chosen = source.flag ?? source.context ?? env.NIGHTSHIFT_CONFIG ?? DEFAULT_CONFIG_FILE;
  return resolve(cwd, chosen);
}

/** Parses YAML text and validates it; throws ConfigError with line numbers. */
export function parseConfigText(text: string, file = 'config'): NightshiftConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        path: [],
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
        line: error.linePos?.[0]?.line,
      })),
      file,
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new ConfigError(
      [{ path: [], message: 'the file is empty — start from one of the files in examples/' }],
      file,
    );
  }
  const result = validateConfig(raw);
  if (result.ok) return result.config;
  for (const issue of result.issues) {
    issue.line = lineOf(doc.contents, issue.path, lineCounter);
  }
  throw new ConfigError(result.issues, file);
}

function lineOf(root: unknown, path: PathSegment[], lines: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let lastKnown: number | undefined;
  const lineAt = (n: Node | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : undefined);
  lastKnown = lineAt(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return lastKnown;
      lastKnown = lineAt(pair.key as Node) ?? lastKnown;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
      lastKnown = lineAt(node) ?? lastKnown;
    } else {
      return lastKnown;
    }
  }
  return lastKnown;
}

/** Reads and validates the config file; throws ConfigError (with a hint when the file is missing). */
export function loadConfig(file: string): NightshiftConfig {
  if (!existsSync(file)) {
    throw new ConfigError(
      [
        {
          path: [],
          message: `no config file at ${file} — copy one from examples/ to nightshift.config.yaml, or pass --config FILE (or set NIGHTSHIFT_CONFIG, or cdk -c config=FILE)`,
        },
      ],
      file,
    );
  }
  return parseConfigText(readFileSync(file, 'utf8'), file);
}
