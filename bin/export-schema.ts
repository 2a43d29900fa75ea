/** `npm run schema`: writes nightshift.schema.json from the zod schema, for editor autocompletion. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema } from '../lib/config/json-schema';

const out = resolve(process.argv[2] ?? 'nightshift.schema.json');
writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
