#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional dependencies a registry mirror lacks.
//
// `npm install` against a mirror that only carries the packages for this machine's platform (e.g. only
// @biomejs/cli-linux-*) leaves the other platforms' optional packages out of the lock, and `npm ci`
// then refuses the lock as "not in sync". This adds an entry for each missing one, with its os/cpu/libc
// taken from its name, so npm ci skips it on other platforms and installs it where it belongs.
// Run after `npm install` that changes the lock: `node scripts/complete-lock.mjs`. `--check` only reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const file = resolve(import.meta.dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = [
  'android',
  'darwin',
  'linux',
  'win32',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'openharmony',
];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

/** os/cpu/libc from a platform package name such as @biomejs/cli-linux-arm64-musl. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return undefined;
  return {
    os: [os],
    cpu: [cpu],
    ...(parts.includes('musl') ? { libc: ['musl'] } : os === 'linux' ? {} : {}),
  };
}

const missing = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? '' : `${path}/`;
    const nested = `${base}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (packages[nested] || packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform) continue; // not a platform package: leave it to npm
    missing.push(dep);
    packages[hoisted] = {
      version,
      ...(platform.cpu ? { cpu: platform.cpu } : {}),
      ...(entry.dev ? { dev: true } : {}),
      ...(platform.libc ? { libc: platform.libc } : {}),
      optional: true,
      os: platform.os,
      ...(entry.license ? { license: entry.license } : {}),
    };
  }
}

if (process.argv.includes('--check')) {
  if (missing.length) {
    console.error(
      `package-lock.json lacks ${missing.length} platform package(s): ${missing.join(', ')} — run node scripts/complete-lock.mjs`,
    );
    process.exit(1);
  }
  console.log('package-lock.json lists every platform package');
} else if (missing.length) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  );
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.length} platform package(s) to package-lock.json: ${missing.join(', ')}`);
} else {
  console.log('package-lock.json already lists every platform package');
}
