// Types of lib/cache.mjs (plain JavaScript, read by bin/nightshift.js before TypeScript can load).
import type { Hash } from 'node:crypto';

/** The repository (or installed package) root. */
export declare const ROOT: string;
/** node_modules/.cache/nightshift under `root`, as other tools keep theirs, else the OS temp dir. */
export declare function cacheDir(root?: string): string;
/** Feeds `hash` the names (relative to `root`) and contents of the files under each input. */
export declare function hashFiles(hash: Hash, inputs: readonly string[], root?: string): Hash;
/**
 * The directory `name` under `dir`, made by `produce(into)` when it is not there yet (into a temp sibling,
 * then renamed); keeps the `keep` newest directories whose names match `pattern`. Asynchronous when
 * `produce` is.
 */
export declare function cachedDirectory(
  dir: string,
  name: string,
  produce: (into: string) => Promise<unknown>,
  options?: { keep?: number; pattern?: RegExp },
): string | Promise<string>;
export declare function cachedDirectory(
  dir: string,
  name: string,
  produce: (into: string) => void,
  options?: { keep?: number; pattern?: RegExp },
): string;
/** Writes `text` to `file` so that a concurrent reader sees the whole old content or the whole new. */
export declare function writeFileAtomic(file: string, text: string): void;
/** Keeps the `keep` newest entries of `dir` whose names match `pattern`, and removes abandoned temp files. */
export declare function pruneCache(dir: string, keep: number, pattern: RegExp): void;
