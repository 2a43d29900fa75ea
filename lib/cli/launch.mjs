// How bin/nightshift.js starts the CLI. Plain JavaScript: it runs before TypeScript can be loaded.
//
// The commands that synthesize the CDK app (plan, doctor, page) build the construct tree on the main
// thread while the CloudFormation validation engine starts on a worker thread (lib/validation). With
// V8's default GC, helper threads also mark and scavenge in parallel, and on a 2-core machine they only
// take CPU from the two threads doing the work: `nightshift plan` after a config change took 3.2 s of
// wall and 5.3 s of CPU, and 2.4 s and 4.0 s with `--single-threaded-gc` (docs/development.md). V8
// takes the flag only at start-up (switching concurrent marking off later aborts the process), so
// these commands start Node again with it. NIGHTSHIFT_SINGLE_THREADED_GC=0 turns that off.

/** Commands that synthesize the app. */
export const SYNTHESIZING = new Set(['plan', 'doctor', 'page']);
const FLAG = '--single-threaded-gc';

/**
 * The Node.js arguments to start this CLI again with (`script` and `args` after them), or undefined to
 * run it in this process: when the command synthesizes and the flag is not set yet.
 */
export function relaunchArgs({ script, args, execArgv, env }) {
  if (execArgv.includes(FLAG) || env.NIGHTSHIFT_SINGLE_THREADED_GC === '0') return undefined;
  // help is printed without a synthesis; a command name is the first argument that is one
  if (args.includes('--help') || args.includes('-h')) return undefined;
  if (!args.some((arg) => SYNTHESIZING.has(arg))) return undefined;
  return [FLAG, ...execArgv, script, ...args];
}
