import { z } from 'zod';
import { configSchema } from './schema';

/** JSON Schema of the config file as users write it (defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  allowAliasPolicyKeys(schema as JsonObject);
  return {
    ...schema,
    $id: 'https://nightshift.dev/nightshift.schema.json',
    title: 'Nightshift config (nightshift.config.yaml)',
  };
}

type JsonObject = { [key: string]: unknown };
const child = (node: unknown, key: string): JsonObject | undefined =>
  typeof node === 'object' && node !== null
    ? ((node as JsonObject)[key] as JsonObject | undefined)
    : undefined;

/**
 * Policies under alerts.severities may be keyed by an alias (`P1: { escalateAfter: 1h }`); validation
 * rewrites them (lib/config/severity-names.ts), so editors must accept any key with a policy's shape.
 */
function allowAliasPolicyKeys(schema: JsonObject): void {
  const severities = child(child(child(child(schema, 'properties'), 'alerts'), 'properties'), 'severities');
  const policy = child(child(severities, 'properties'), 'critical');
  if (!severities || !policy) throw new Error('alerts.severities.critical is missing from the JSON schema');
  const { default: _default, description: _description, ...shape } = structuredClone(policy);
  // The per-severity defaults in the field descriptions (critical's) do not hold for any alias.
  for (const field of Object.values(child(shape, 'properties') ?? {})) {
    const described = field as JsonObject;
    if (typeof described.description === 'string')
      described.description = described.description.replace(/ @default \d+[smhd]$/, ' @default per severity');
  }
  severities.additionalProperties = { ...shape, description: 'the policy of the severity an alias maps to' };
}
