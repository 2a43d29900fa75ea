#!/usr/bin/env node
// The `nightshift` CLI entry (package bin). Registers tsx's ESM loader so the TypeScript sources run
// as they are, then hands over to lib/cli/main.ts, which returns the exit code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv);
process.exitCode = code;
// Exit even if a library left a handle open (a pool, a socket); unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(code), 3000).unref();
