/**
 * What every engine (postgres, mongodb, redis) provides to the backup core: probes (versions, counts),
 * then one or more streams for the shared upload pipeline.
 */
import type { Log } from '../../shared/log';
import type { StreamHeader, StreamSource } from '../../shared/stream-upload';

/** Paths of the external tools; each defaults to a lookup on PATH (then /usr/lib/postgresql/<major>/bin). */
export interface ToolPaths {
  readonly pgDump?: string;
  readonly pgDumpall?: string;
  readonly pgRestore?: string;
  readonly psql?: string;
  readonly mongodump?: string;
  readonly mongorestore?: string;
  readonly redisCli?: string;
  readonly redisServer?: string;
}

/** One count the verification compares: rows of a table, keys of a db, documents of a collection. */
export interface CountEntry {
  readonly name: string;
  readonly count: number;
  /** false when estimated (pg reltuples of a big table, Redis INFO keyspace for rdb). */
  readonly exact: boolean;
}

export interface Counts {
  readonly unit: 'rows' | 'keys' | 'documents';
  readonly items: CountEntry[];
}

/** A stream to store: the main dump or a companion (pg globals). */
export interface DumpStream {
  /** Role in the manifest: "data" for the dump, "globals" for pg_dumpall --globals-only. */
  readonly role: 'data' | 'globals';
  /** File extension before .zst, e.g. "pgdump". */
  readonly ext: string;
  readonly header: StreamHeader;
  /** Upper bound of the dump size (bytes), for the part size. */
  readonly expectedBytes?: number | undefined;
  start(): StreamSource;
}

/** A prepared dump: the probes are done, the streams are ready to start. */
export interface DumpPlan {
  readonly serverVersion: string;
  readonly toolVersion: string;
  readonly counts: Counts;
  /** Engine-specific facts for the manifest (e.g. redis mode, mongo oplog). */
  readonly details: Record<string, unknown>;
  readonly streams: DumpStream[];
  /** Releases what the plan holds (the pg snapshot transaction, connections). Idempotent. */
  close(): Promise<void>;
}

export interface EngineContext {
  readonly log: Log;
  readonly tools: ToolPaths;
}
