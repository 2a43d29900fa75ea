// Types of lib/cli/launch.mjs (plain JavaScript: bin/nightshift.js runs it before TypeScript can load).

/** Commands that synthesize the app. */
export declare const SYNTHESIZING: ReadonlySet<string>;
/** The Node.js arguments to start this CLI again with, or undefined to run it in this process. */
export declare function relaunchArgs(options: {
  script: string;
  args: readonly string[];
  execArgv: readonly string[];
  env: Record<string, string | undefined>;
}): string[] | undefined;
