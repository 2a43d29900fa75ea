/**
 * Verification: restore a backup into a scratch database (wiped first) and compare what arrived with the
 * counts the manifest recorded — table rows (pg), keys (redis), documents per collection (mongo). Emits
 * BackupVerified = 1 or 0. Called monthly in AWS and by `nightshift verify`.
 */
import { backupEngine } from '../../lib/config/resolved';
import {
  type ConnectionRef,
  resolveMongo,
  resolvePostgres,
  resolveRedis,
  secretValuesOf,
} from '../shared/connections';
import type { MetricsSink } from '../shared/metrics';
import { reasonOf } from '../shared/redact';
import { countMongo, wipeMongo } from './engines/mongodb';
import { countPostgres, wipePostgres } from './engines/postgres';
import { keyspace, redisClient } from './engines/redis';
import type { CountEntry, Counts } from './engines/types';
import { DEFAULT_ROOT } from './layout';
import { BackupMetric, backupDimensions } from './metrics';
import { findBackup, type RestoreDeps, type RestoreInput, type RestoreResult, restore } from './restore';

export interface VerifyDeps extends RestoreDeps {
  readonly metrics: MetricsSink;
  readonly project: string;
}

export interface VerifyInput {
  readonly target: RestoreInput['target'];
  /** @default "latest" */
  readonly backup?: string;
  /** The scratch database: it is wiped. */
  readonly scratch: ConnectionRef & { readonly ssl?: 'disable' | 'require' | 'verify-full' | undefined };
}

export interface CountCheck {
  readonly name: string;
  readonly expected: number;
  readonly actual: number | undefined;
  readonly exact: boolean;
  readonly ok: boolean;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly key: string;
  readonly checks: CountCheck[];
  readonly restore: RestoreResult;
}

export class VerifyFailed extends Error {
  override readonly name = 'VerifyFailed';
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: { cause: unknown },
  ) {
    super(`verification of ${target} failed: ${reason}`, options);
  }
}

/** Estimated counts (reltuples, INFO keyspace) may be off by this share. */
const ESTIMATE_TOLERANCE = 0.1;

export function compareCounts(expected: Counts, actual: Counts): CountCheck[] {
  const found = new Map(actual.items.map((i) => [i.name, i.count]));
  return expected.items.map((e: CountEntry) => {
    const got = found.get(e.name);
    const ok =
      got !== undefined &&
      (e.exact ? got === e.count : Math.abs(got - e.count) <= Math.max(ESTIMATE_TOLERANCE * e.count, 100));
    return { name: e.name, expected: e.count, actual: got, exact: e.exact, ok };
  });
}

export async function verify(deps: VerifyDeps, input: VerifyInput): Promise<VerifyResult> {
  const name = input.target.name;
  const dimensions = backupDimensions(deps.project, name);
  try {
    const { manifestKey } = await findBackup(
      deps.s3,
      deps.bucket,
      deps.root ?? DEFAULT_ROOT,
      name,
      input.backup ?? 'latest',
    );
    const engine = backupEngine(input.target);
    // wipe the scratch database, restore, count
    let actual: () => Promise<Counts>;
    if (engine === 'postgres') {
      const p = await resolvePostgres(input.scratch, deps.secrets);
      await wipePostgres(p);
      actual = () => countPostgres(p);
    } else if (engine === 'mongodb') {
      const p = await resolveMongo(input.scratch, deps.secrets);
      await wipeMongo(p);
      actual = () => countMongo(p);
    } else {
      const p = await resolveRedis(input.scratch, deps.secrets);
      const client = redisClient(p);
      client.on('error', () => {});
      await client.connect();
      await client.flushall();
      client.disconnect();
      actual = async () => {
        const probe = redisClient(p);
        probe.on('error', () => {});
        await probe.connect();
        try {
          const keys = await keyspace(probe);
          return {
            unit: 'keys',
            items: [...keys].map(([db, count]) => ({ name: `db${db}`, count, exact: true })),
          };
        } finally {
          probe.disconnect();
        }
      };
    }
    const restored = await restore(deps, {
      target: input.target,
      backup: manifestKey,
      to: input.scratch,
      force: engine !== 'redis', // scratch is wiped; redis: no REPLACE so SCAN duplicates are counted
      noOwner: true,
    });
    const { manifest } = restored;
    let checks: CountCheck[];
    if (engine === 'redis' && manifest.mode !== 'rdb' && restored.redis) {
      // logical: every record must be accounted for (restored, expired since, or a SCAN duplicate)
      const stats = restored.redis;
      const expected = manifest.counts.items.reduce((sum, i) => sum + i.count, 0);
      const accounted = stats.restored + stats.expired + stats.duplicates;
      checks = [
        {
          name: manifest.counts.items[0]?.name ?? 'db',
          expected,
          actual: accounted,
          exact: true,
          ok: accounted === expected,
        },
      ];
      const present = (await actual()).items.reduce((sum, i) => sum + i.count, 0);
      checks.push({
        name: 'keys present in scratch',
        expected: stats.restored,
        actual: present,
        exact: false,
        ok: Math.abs(present - stats.restored) <= Math.max(stats.restored * 0.01, 5),
      });
    } else {
      checks = compareCounts(manifest.counts, await actual());
    }
    const ok = checks.every((c) => c.ok);
    deps.metrics.put(BackupMetric.BackupVerified, 'Count', ok ? 1 : 0, dimensions);
    const bad = checks.filter((c) => !c.ok);
    if (ok) deps.log.info('verification passed', { target: name, key: manifest.key, checks: checks.length });
    else
      deps.log.error('verification found different counts', {
        target: name,
        key: manifest.key,
        mismatches: bad.slice(0, 20),
      });
    return { ok, key: manifest.key, checks, restore: restored };
  } catch (error) {
    deps.metrics.put(BackupMetric.BackupVerified, 'Count', 0, dimensions);
    const scratchSecrets = input.scratch.url ? secretValuesOf({ url: input.scratch.url }) : [];
    const reason = reasonOf(error, scratchSecrets);
    deps.log.error('verification failed', { target: name, reason });
    throw new VerifyFailed(name, reason, { cause: error });
  }
}
