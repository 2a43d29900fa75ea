/**
 * The config reference in README.md, generated from the same zod schema that validates the file, so
 * that documentation and validation cannot drift (`npm run schema` rewrites it; a test checks it).
 */
import { configJsonSchema } from './json-schema';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
}

export interface ReferenceRow {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default: string;
  readonly description: string;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| ');
  if (schema.oneOf) return 'mapping';
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  if (schema.type === 'object') return 'mapping';
  const range =
    schema.minimum !== undefined && schema.maximum !== undefined
      ? ` (${schema.minimum}–${schema.maximum})`
      : '';
  return `${Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any')}${range}`;
}

function split(description = ''): { text: string; documentedDefault?: string } {
  const match = /@default\s+(.*)$/.exec(description);
  const text = description.replace(/\s*@default.*$/, '').replace(/\.$/, '');
  return match ? { text, documentedDefault: match[1] } : { text };
}

/** `@details <where>` in a description: one row pointing there instead of a row per nested field. */
const DETAILS = /\s*@details\s+(\S+)/;

function walk(schema: JsonSchema, path: string, required: boolean, rows: ReferenceRow[]): void {
  const details = DETAILS.exec(schema.description ?? '')?.[1];
  const split_ = split(schema.description?.replace(DETAILS, ''));
  const documentedDefault = split_.documentedDefault;
  const text = details ? `${split_.text} (${details})` : split_.text;
  const isObject = schema.type === 'object' && schema.properties;
  const fallbackDefault =
    schema.default === undefined || (isObject && typeof schema.default === 'object')
      ? ''
      : JSON.stringify(schema.default);
  if (path && !(path.endsWith('[]') && isObject)) {
    rows.push({
      path,
      type: typeOf(schema),
      required,
      default: documentedDefault ?? fallbackDefault,
      description: text,
    });
  }
  if (details) return;
  if (isObject) {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      if (key === '$schema') continue;
      walk(child, path ? `${path}.${key}` : key, schema.required?.includes(key) ?? false, rows);
    }
  }
  if (schema.type === 'array' && schema.items?.properties)
    walk({ ...schema.items, description: undefined }, `${path}[]`, false, rows);
  if (schema.type === 'array' && schema.items?.type === 'array') walk(schema.items, `${path}[]`, false, rows);
  if (schema.type === 'array' && schema.items?.oneOf) unionRows(schema.items.oneOf, `${path}[]`, rows);
  for (const option of schema.anyOf ?? []) {
    if (option.type === 'object' && option.properties)
      walk({ ...option, description: undefined }, path, false, rows);
  }
}

/**
 * A discriminated union (maintenance.tasks): the fields every option has once, the discriminator with
 * all its values, and each other field with the options (by discriminator value) it belongs to.
 */
function unionRows(options: JsonSchema[], path: string, rows: ReferenceRow[]): void {
  const objects = options.filter((o) => o.type === 'object' && o.properties);
  const keys = objects.map((o) => Object.keys(o.properties ?? {}));
  const discriminator = keys[0]?.find((key) =>
    objects.every((o) => o.properties?.[key]?.const !== undefined),
  );
  const perOption = objects.map((option) => {
    const own: ReferenceRow[] = [];
    walk({ ...option, description: undefined }, path, false, own);
    return { name: String(option.properties?.[discriminator ?? '']?.const ?? ''), rows: own };
  });
  const seen = new Map<string, { row: ReferenceRow; kinds: string[] }>();
  for (const { name, rows: own } of perOption) {
    for (const row of own) {
      const found = seen.get(row.path);
      if (found) found.kinds.push(name);
      else seen.set(row.path, { row, kinds: [name] });
    }
  }
  const all = perOption.map((o) => o.name);
  for (const { row, kinds } of seen.values()) {
    if (discriminator && row.path === `${path}.${discriminator}`) {
      rows.push({ ...row, type: all.map((k) => JSON.stringify(k)).join(' \\| '), required: true });
    } else if (kinds.length === all.length) {
      rows.push(row);
    } else {
      rows.push({ ...row, description: `${discriminator} ${kinds.join(', ')}: ${row.description}` });
    }
  }
}

export function referenceRows(): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  walk(configJsonSchema() as JsonSchema, '', true, rows);
  // anyOf objects repeat their parent row; keep the first of each path. The options of a
  // discriminated union share fields: one row each, with the types of every option.
  const byPath = new Map<string, ReferenceRow>();
  for (const row of rows) {
    const first = byPath.get(row.path);
    if (!first) byPath.set(row.path, row);
    else if (first.type.startsWith('"') && row.type.startsWith('"') && !first.type.includes(row.type))
      byPath.set(row.path, { ...first, type: `${first.type} \\| ${row.type}` });
  }
  return [...byPath.values()];
}

export function referenceMarkdown(): string {
  const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of referenceRows()) {
    const name = `\`${row.path}\`${row.required ? ' (required)' : ''}`;
    lines.push(
      `| ${name} | ${row.type} | ${row.default ? `\`${escapeCell(row.default)}\`` : ''} | ${escapeCell(row.description)} |`,
    );
  }
  return lines.join('\n');
}

export const REFERENCE_START = '<!-- config-reference:start (generated by npm run schema) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

/** Replaces the text between the markers; throws if the markers are missing. */
export function withReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error('README.md has no config-reference markers');
  return `${readme.slice(0, start + REFERENCE_START.length)}\n\n${referenceMarkdown()}\n\n${readme.slice(end)}`;
}
