/**
 * Finding the external tools (pg_dump, redis-cli, mongodump, redis-server…) on PATH or in Debian's
 * PostgreSQL directories, with the Debian package to install when one is missing. Shared by the backup
 * engines and the local harness (lib/local re-exports it).
 */
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A program needed to run a local service is not installed. */
export class MissingBinaryError extends Error {
  override readonly name = 'MissingBinaryError';

  constructor(
    /** The executable that was looked for, e.g. `initdb`. */
    readonly binary: string,
    /** The Debian package that provides it, e.g. `postgresql`. */
    readonly debianPackage: string,
    /** Every directory that was searched, in order. */
    readonly searched: readonly string[],
  ) {
    super(
      `${binary} not found — install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    );
  }
}

const POSTGRES_LIB = '/usr/lib/postgresql';

/** `/usr/lib/postgresql/<major>/bin` directories, newest major first. */
export function postgresBinDirs(root = POSTGRES_LIB): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((entry) => join(root, entry, 'bin'));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds an executable: first in `extraDirs`, then on PATH, then in
 * `/usr/lib/postgresql/<major>/bin` (newest major first; Debian keeps the server binaries there).
 * Returns the path as found (symlinks are NOT resolved: Debian's redis-server is a symlink to a
 * multi-call binary that dispatches on argv[0]).
 *
 * @throws MissingBinaryError naming the Debian package to install.
 */
export function findBinary(name: string, debianPackage: string, extraDirs: readonly string[] = []): string {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const searched = [...new Set([...extraDirs, ...pathDirs, ...postgresBinDirs()])];
  for (const dir of searched) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  throw new MissingBinaryError(name, debianPackage, searched);
}
