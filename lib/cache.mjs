// Nightshift's caches (the plan's templates, the validated-template keys, the CLI's prebuilt bundle, the
// handler bundles): where they live, how their keys hash the files they were made from, and how a
// cached directory is made once and safely shared between processes. Plain JavaScript, because
// bin/nightshift.js needs it before any TypeScript can be loaded (lib/cli/prebuilt.mjs).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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

/**
 * The directory `name` under `dir`, made by `produce(into)` when it is not there yet. It is produced
 * into a temp sibling and renamed, so a concurrent process sees the whole directory or none (when two
 * produce it at once, the first rename wins; both made the same). A failed `produce` leaves nothing.
 * Keeps the `keep` newest directories of the kind (names of `pattern`), and removes what a killed
 * process left (temp siblings older than ten minutes). When `produce` returns a promise (esbuild's
 * plugins need its asynchronous API), so does this.
 */
export function cachedDirectory(dir, name, produce, { keep = 8, pattern = /^[0-9a-f]{32,64}$/ } = {}) {
  const target = join(dir, name);
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}.tmp`;
  const done = () => {
    try {
      renameSync(partial, target);
    } catch (error) {
      if (!existsSync(target)) throw error; // else another process renamed the same first
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
    pruneCache(dir, keep, pattern);
    return target;
  };
  const failed = (error) => {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  };
  let produced;
  try {
    mkdirSync(partial, { recursive: true });
    produced = produce(partial);
  } catch (error) {
    failed(error);
  }
  return typeof produced?.then === 'function' ? produced.then(done, failed) : done();
}

/** Writes `text` to `file` so that a concurrent reader sees the whole old content or the whole new. */
export function writeFileAtomic(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

/**
 * Keeps the `keep` newest entries of `dir` whose names match `pattern` (files or directories), and
 * removes what a killed process left (temp siblings older than ten minutes).
 */
export function pruneCache(dir, keep, pattern) {
  const entries = readdirSync(dir).map((name) => {
    try {
      return { name, path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs };
    } catch {
      return undefined; // removed meanwhile by another process
    }
  });
  const present = entries.filter((e) => e !== undefined);
  const kept = present.filter((e) => pattern.test(e.name)).sort((a, b) => b.mtime - a.mtime);
  const abandoned = present.filter((e) => e.name.endsWith('.tmp') && Date.now() - e.mtime > 600_000);
  for (const entry of [...kept.slice(keep), ...abandoned])
    rmSync(entry.path, { recursive: true, force: true });
}
