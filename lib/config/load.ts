/**
 * Finding and reading the config file. Precedence: --config flag, CDK context `config`,
 * NIGHTSHIFT_CONFIG, then ./nightshift.config.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type ErrorCode,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { findCredentials } from './credentials';
import type { PathSegment } from './path';
import type { NightshiftConfig } from './schema';
import { ConfigError, type ConfigIssue, validateConfig } from './validate';

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

/** Largest config file read: a real one is a few KiB; anything near this is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists: the schema needs 7 levels, so 64 is only ever hit on purpose. */
export const MAX_CONFIG_DEPTH = 64;
/** Most nodes that alias expansion (*name) may produce: stops "billion laughs" documents. */
export const MAX_ALIAS_EXPANSION = 100;
/** Most aliases (*name) in one file: a config needs a handful; each one costs a node to resolve. */
export const MAX_ALIASES = 100;
/**
 * Most values (keys and scalars) in one file. A config with 500 targets has about 5,000; building the
 * document costs CPU per value, and this bound keeps any file under the cap well inside 2 s.
 */
export const MAX_VALUES = 20_000;
/** The lexer's marker before a plain scalar token. */
const SCALAR = '\x1f';
/** Problems listed at most; more than this are summarized in one line. */
const MAX_ISSUES = 50;

const YAML_PROBLEM: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias (*name) cannot have an anchor or a tag',
  BAD_ALIAS: 'this alias (*name) refers to no anchor (&name) above it — define the anchor first',
  BAD_DIRECTIVE: 'this % directive is not understood — remove it',
  BAD_DQ_ESCAPE:
    'invalid escape in a "double-quoted" string — write \\\\ for a backslash, or use single quotes',
  BAD_INDENT:
    'wrong indentation, or a bracket or quote that is not closed — indent with spaces, one level deeper than the parent key',
  BAD_PROP_ORDER: 'the anchor (&name) or tag (!tag) must come before the value',
  BAD_SCALAR_START: 'a plain value cannot start with this character — put the value in quotes',
  BLOCK_AS_IMPLICIT_KEY: 'a key cannot be a nested block — write the key on one line followed by ":"',
  BLOCK_IN_FLOW: 'inside [ ] or { } write values on one line — or drop the brackets and use indented lines',
  DUPLICATE_KEY: 'this key appears twice in the same mapping — keep one',
  IMPOSSIBLE: 'this line cannot be read as YAML — check quotes, brackets and indentation',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters — keys are short names',
  MISSING_CHAR: 'a closing bracket, brace or quote is missing',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line — is a ":" missing at the end of the previous line?',
  MULTIPLE_ANCHORS: 'a value can have only one anchor (&name)',
  MULTIPLE_DOCS: 'the file holds more than one YAML document (---) — keep one config per file',
  MULTIPLE_TAGS: 'a value can have only one tag (!tag)',
  NON_STRING_KEY: 'keys must be plain names, not lists or mappings',
  RESOURCE_EXHAUSTION: `lists and mappings are nested too deeply to read — a config needs fewer than 10 levels (at most ${MAX_CONFIG_DEPTH}); check the indentation and for unclosed [ or {`,
  TAB_AS_INDENT: 'a tab is used for indentation — indent with spaces only (YAML does not allow tabs)',
  TAG_RESOLVE_FAILED:
    'this tag (!tag) is not supported — remove it; config values are plain text, numbers, lists and mappings',
  UNEXPECTED_TOKEN: 'unexpected character here — check for a missing ":" or "-", or a stray bracket or quote',
  BAD_COLLECTION_TYPE: 'this tag does not fit a list or mapping — remove it',
};

/** Reads config bytes: size cap, strict UTF-8, then YAML and validation. Throws ConfigError. */
export function parseConfigBytes(bytes: Uint8Array, file = 'config'): NightshiftConfig {
  checkSize(bytes.length, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const { offset, line, column } = firstInvalidUtf8(bytes);
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: `not valid UTF-8: byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0').toUpperCase()} at line ${line}, column ${column} — save the file as UTF-8 (it was probably written in Latin-1 or Windows-1252)`,
        },
      ],
      file,
    );
  }
  return parseConfigText(text, file);
}

function checkSize(bytes: number, file: string): void {
  if (bytes <= MAX_CONFIG_BYTES) return;
  throw new ConfigError(
    [
      {
        path: [],
        message: `the file is ${bytes} bytes (${(bytes / 1024 / 1024).toFixed(1)} MiB); a config may be at most 1 MiB (${MAX_CONFIG_BYTES} bytes) — is this the right file? Keep data (lists of hosts, long bodies) out of the config`,
      },
    ],
    file,
  );
}

/** Position of the first byte that breaks UTF-8 (1-based line and column, the column in bytes). */
export function firstInvalidUtf8(bytes: Uint8Array): { offset: number; line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (offset: number) => ({ offset, line, column: offset - lineStart + 1 });
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b === 0x0a) {
      line++;
      lineStart = i + 1;
    }
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return at(i);
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return at(i);
    }
    // Overlong forms, surrogates and code points above U+10FFFF.
    const second = bytes[i + 1] ?? 0;
    if (
      (b === 0xe0 && second < 0xa0) ||
      (b === 0xed && second > 0x9f) ||
      (b === 0xf0 && second < 0x90) ||
      (b === 0xf4 && second > 0x8f)
    )
      return at(i);
    i += length;
  }
  return at(bytes.length);
}

/** One-line excerpt of `line` with a caret under `column`; hides the value if the line may hold a credential. */
function excerpt(source: string, lineStarts: readonly number[], line: number, column: number): string {
  const start = lineStarts[line - 1] ?? 0;
  const end = source.indexOf('\n', start);
  const full = source.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
  const keyEnd = full.search(/:\s/);
  // A hidden line has no caret: the column would point into the hidden part.
  if (mayHoldCredential(full, keyEnd)) {
    return `    | ${full.slice(0, keyEnd >= 0 ? Math.min(keyEnd + 1, 120) : 0)} <hidden: may hold a credential>`;
  }
  const visible = full;
  // Long lines are cut to 60 characters either side of the column.
  const from = Math.max(0, column - 61);
  const shown = visible.slice(from, from + 120).replace(/\t/g, ' ');
  const offset = column - 1 - from;
  const caret = offset <= shown.length ? `\n    | ${' '.repeat(Math.max(0, offset))}^` : '';
  return `    | ${shown}${caret}`;
}

/** A line whose key suggests a credential, with user-info in a URL, or with any word the detector flags. */
function mayHoldCredential(line: string, keyEnd: number): boolean {
  if (keyEnd >= 0 && CREDENTIAL_KEY.test(line.slice(0, keyEnd))) return true;
  if (/:\/\/[^\s/@]*@/.test(line)) return true;
  return line.split(/[\s"'{}[\],]+/).some((word) => word !== '' && findCredentials(word).length > 0);
}
const CREDENTIAL_KEY = /pass|pwd|secret|token|key|auth|cookie|session|signature|credential/i;

/** Parses YAML text and validates it; throws ConfigError with line numbers. */
export function parseConfigText(text: string, file = 'config'): NightshiftConfig {
  checkSize(Buffer.byteLength(text, 'utf8'), file);
  const lineCounter = new LineCounter();
  const scan = scanTokens(text);
  if (scan.tooDeep !== undefined) {
    const { line, col } = positionOf(text, scan.tooDeep);
    throw new ConfigError(
      [{ path: [], line, message: tooDeep(line, col), excerpt: excerptAt(text, line, col) }],
      file,
    );
  }
  if (scan.tooManyAliases !== undefined) {
    const { line, col } = positionOf(text, scan.tooManyAliases);
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: `the file uses more than ${MAX_ALIASES} aliases (*name); alias number ${MAX_ALIASES + 1} is at line ${line}, column ${col} — write the repeated parts out`,
        },
      ],
      file,
    );
  }
  if (scan.tooManyValues !== undefined) {
    const { line } = positionOf(text, scan.tooManyValues);
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: `the file holds more than ${MAX_VALUES} keys and values (the limit is passed at line ${line}) — a config needs far fewer; keep data (lists of hosts, generated entries) out of it`,
        },
      ],
      file,
    );
  }
  // Duplicate keys are found by walkDocument in linear time (yaml's uniqueKeys check is quadratic).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const issues: ConfigIssue[] = [];
  const syntax = doc.errors.filter((error) => error.code !== 'DUPLICATE_KEY');
  for (const error of syntax.slice(0, 10)) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    issues.push({
      path: [],
      line,
      message: `YAML syntax at line ${line}, column ${col}: ${YAML_PROBLEM[error.code] ?? YAML_PROBLEM.IMPOSSIBLE}`,
      excerpt: excerpt(text, lineCounter.lineStarts, line, col),
    });
  }
  if (syntax.length > 10)
    issues.push({ path: [], message: `… and ${syntax.length - 10} more YAML syntax errors` });
  if (issues.length) throw new ConfigError(issues, file);

  const shape = walkDocument(doc.contents, lineCounter);
  if (shape.depth) {
    const { line, col } = lineCounter.linePos(shape.depth);
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: tooDeep(line, col),
          excerpt: excerpt(text, lineCounter.lineStarts, line, col),
        },
      ],
      file,
    );
  }
  if (shape.duplicates.length) throw new ConfigError(shape.duplicates, file);
  if (shape.unresolvedAlias !== undefined) {
    const { line, col } = lineCounter.linePos(shape.unresolvedAlias);
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: `YAML syntax at line ${line}, column ${col}: ${YAML_PROBLEM.BAD_ALIAS}`,
          excerpt: excerpt(text, lineCounter.lineStarts, line, col),
        },
      ],
      file,
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch {
    // The only failure left after the checks above is alias expansion ("billion laughs").
    const line = shape.firstAlias !== undefined ? lineCounter.linePos(shape.firstAlias).line : undefined;
    throw new ConfigError(
      [
        {
          path: [],
          line,
          message: `the aliases (*name) in this file expand to more than ${MAX_ALIAS_EXPANSION} nodes${line ? ` (the first alias is on line ${line})` : ''} — write the repeated parts out instead of nesting aliases`,
        },
      ],
      file,
    );
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError(
      [{ path: [], line: 1, message: 'the file is empty — start from one of the files in examples/' }],
      file,
    );
  }
  const result = validateConfig(raw);
  if (result.ok) return result.config;
  const listed = result.issues.slice(0, MAX_ISSUES);
  for (const issue of listed) {
    issue.line = lineOf(doc.contents, issue.path, lineCounter);
  }
  if (result.issues.length > MAX_ISSUES) {
    listed.push({
      path: [],
      message: `… and ${result.issues.length - MAX_ISSUES} more problems — fix the ones above first`,
    });
  }
  throw new ConfigError(listed, file);
}

const tooDeep = (line: number, col: number) =>
  `lists and mappings are nested more than ${MAX_CONFIG_DEPTH} levels deep at line ${line}, column ${col} — a config needs fewer than 10; check for unclosed [ or {`;

function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

function excerptAt(text: string, line: number, col: number): string {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) counter.addNewLine(i + 1);
  return excerpt(text, counter.lineStarts, line, col);
}

/**
 * One pass of the YAML lexer (iterative, so it cannot overflow the stack the way the parser does on
 * 20,000 brackets) before anything is built: the offset of the first `[` or `{` nested deeper than
 * MAX_CONFIG_DEPTH, of the first alias beyond MAX_ALIASES and of the first value beyond MAX_VALUES.
 */
function scanTokens(text: string): { tooDeep?: number; tooManyAliases?: number; tooManyValues?: number } {
  let depth = 0;
  let offset = 0;
  let aliases = 0;
  let values = 0;
  for (const token of new Lexer().lex(text)) {
    const first = token[0];
    if (first === SCALAR || first === '"' || first === "'" || first === '|' || first === '>') {
      values++;
      if (values > MAX_VALUES) return { tooManyValues: offset };
    }
    if (token === '[' || token === '{') {
      depth++;
      if (depth > MAX_CONFIG_DEPTH) return { tooDeep: offset };
    } else if (token === ']' || token === '}') {
      depth = Math.max(0, depth - 1);
    } else if (token.length > 1 && token.startsWith('*')) {
      aliases++;
      if (aliases > MAX_ALIASES) return { tooManyAliases: offset };
    }
    // Control tokens (document start, scalar marker, flow end) are one character outside the source.
    if (!(token.length === 1 && token < ' ' && token !== '\t' && token !== '\n' && token !== '\r')) {
      offset += token.length;
    }
  }
  return {};
}

interface DocumentShape {
  /** Offset of the first node nested deeper than MAX_CONFIG_DEPTH. */
  readonly depth?: number;
  /** Keys given twice in one mapping, with both lines. */
  readonly duplicates: ConfigIssue[];
  /** Offset of the first alias node. */
  readonly firstAlias?: number;
  /** Offset of the first alias (*name) with no anchor (&name) before it. */
  readonly unresolvedAlias?: number;
}

/** One iterative pass over the YAML nodes: nesting depth, duplicate keys (both lines), first alias. */
function walkDocument(root: unknown, lines: LineCounter): DocumentShape {
  const duplicates: ConfigIssue[] = [];
  let firstAlias: number | undefined;
  const anchors = new Map<string, number>();
  const aliases: { name: string; offset: number }[] = [];
  const stack: { node: unknown; path: PathSegment[]; depth: number }[] = [{ node: root, path: [], depth: 0 }];
  while (stack.length) {
    const { node, path, depth } = stack.pop() as { node: unknown; path: PathSegment[]; depth: number };
    if (isAlias(node)) {
      if (node.range) {
        firstAlias = Math.min(firstAlias ?? node.range[0], node.range[0]);
        aliases.push({ name: node.source, offset: node.range[0] });
      }
      continue;
    }
    if (isNode(node) && node.anchor && node.range) {
      anchors.set(node.anchor, Math.min(anchors.get(node.anchor) ?? node.range[0], node.range[0]));
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_CONFIG_DEPTH) return { depth: node.range?.[0] ?? 0, duplicates };
    if (isSeq(node)) {
      node.items.forEach((item, index) => {
        stack.push({ node: item, path: [...path, index], depth: depth + 1 });
      });
      continue;
    }
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const keyNode = pair.key as Node | null;
      const line = keyNode?.range ? lines.linePos(keyNode.range[0]).line : undefined;
      if (key !== undefined) {
        const first = seen.get(key);
        if (first !== undefined && line !== undefined) {
          duplicates.push({
            path: [...path, key],
            line,
            message: `"${key}" is given twice in the same mapping, on line ${first} and line ${line} — keep one (YAML does not merge them)`,
          });
        } else if (line !== undefined) {
          seen.set(key, line);
        }
      }
      stack.push({ node: pair.value, path: [...path, key ?? '?'], depth: depth + 1 });
    }
  }
  const unresolved = aliases
    .filter(({ name, offset }) => (anchors.get(name) ?? Number.POSITIVE_INFINITY) >= offset)
    .sort((a, b) => a.offset - b.offset)[0];
  return { duplicates, firstAlias, unresolvedAlias: unresolved?.offset };
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
  return parseConfigBytes(readFileSync(file), file);
}
