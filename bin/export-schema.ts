/**
 * `npm run schema`: writes nightshift.schema.json (editor autocompletion for the YAML) and regenerates
 * the config reference in README.md, both from the zod schema.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema } from '../lib/config/json-schema';
import { withReference } from '../lib/config/reference';

const root = resolve(import.meta.dirname, '..');
const schemaFile = resolve(root, 'nightshift.schema.json');
writeFileSync(schemaFile, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${schemaFile}`);

const readmeFile = resolve(root, 'README.md');
writeFileSync(readmeFile, withReference(readFileSync(readmeFile, 'utf8')));
console.log(`updated the config reference in ${readmeFile}`);
