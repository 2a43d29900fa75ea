/**
 * `npm run schema`: writes nightshift.schema.json (editor autocompletion for the YAML), regenerates the
 * config reference in README.md from the zod schema, and the command reference in docs/cli.md from the
 * CLI program.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withCliReference } from '../lib/cli/reference';
import { configJsonSchema } from '../lib/config/json-schema';
import { withReference } from '../lib/config/reference';

const root = resolve(import.meta.dirname, '..');
const schemaFile = resolve(root, 'nightshift.schema.json');
writeFileSync(schemaFile, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${schemaFile}`);

const readmeFile = resolve(root, 'README.md');
writeFileSync(readmeFile, withReference(readFileSync(readmeFile, 'utf8')));
console.log(`updated the config reference in ${readmeFile}`);

const cliDoc = resolve(root, 'docs/cli.md');
writeFileSync(cliDoc, withCliReference(readFileSync(cliDoc, 'utf8')));
console.log(`updated the command reference in ${cliDoc}`);
