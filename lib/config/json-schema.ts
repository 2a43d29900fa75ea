import { z } from 'zod';
import { configSchema } from './schema';

/** JSON Schema of the config file as users write it (defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    $id: 'https://nightshift.dev/nightshift.schema.json',
    title: 'Nightshift config (nightshift.config.yaml)',
  };
}
