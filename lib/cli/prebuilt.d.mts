// Types of lib/cli/prebuilt.mjs (plain JavaScript: bin/nightshift.js runs it before TypeScript can load).

/** The bundle's key: its sources, the builder, the esbuild and Node.js versions, the root. */
export declare function bundleKey(root?: string): string;
/** The path of a current bundle of lib/cli/main.ts, built now if there is none; undefined if it cannot be. */
export declare function prebuiltCli(options?: { root?: string; dir?: string }): Promise<string | undefined>;
/** Bundles lib/cli/main.ts into one CommonJS file; throws on any esbuild warning. */
export declare function buildCli(options: { root?: string; outfile: string }): Promise<string>;
