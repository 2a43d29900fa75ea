// Nightshift's caches (the plan's templates, the validated-template keys, the CLI's prebuilt bundle):
// where they live and how their keys hash the files they were made from. Plain JavaScript, because
// bin/nightshift.js needs it before any TypeScript can be loaded (lib/cli/prebuilt.mjs).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository (or installed package) root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** node_modules/.cache/nightshift under `root`, as other tools keep theirs, else the OS temp dir. */
export function cacheDir(root = ROOT) {
  const modules = join(root, 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'nightshift') : join(tmpdir(), 'nightshift-cache');
}

/**
 * Feeds `hash` the names (relative to `root`) and contents of the files under each input, in a fixed
 * order. Folders are read whole; an absent input is part of the key by its absence.
 */
export function hashFiles(hash, inputs, root = ROOT) {
  for (const input of inputs) {
    for (const file of filesUnder(join(root, input))) {
      hash.update(`\0${file.slice(root.length)}\0`);
      hash.update(readFileSync(file));
    }
  }
  return hash;
}

function* filesUnder(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if (stat.isFile()) {
    yield path;
    return;
  }
  if (!stat.isDirectory()) return;
  for (const name of readdirSync(path).sort()) yield* filesUnder(join(path, name));
}
