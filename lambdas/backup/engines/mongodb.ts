/**
 * MongoDB: `mongodump --archive` (one stream of every collection, restorable with `mongorestore
 * --archive`), `--oplog` on replica sets when configured.
 *
 * Credentials: the connection string holds the password, and `--uri` would put it in argv (readable in
 * /proc/<pid>/cmdline and in process listings). Instead the tools get `--config=/dev/fd/3`: a YAML file
 * `uri: "…"` written to an extra pipe on fd 3 that the tool reads once at start-up (mongodump and
 * mongorestore ≥ 100.3 accept --config; Go's ReadFile reads a pipe to EOF). Nothing is written to disk,
 * and stdin stays free for mongorestore's archive.
 */
import type { Writable } from 'node:stream';
import { MongoClient } from 'mongodb';
import { findBinary } from '../../shared/binaries';
import type { MongoParams } from '../../shared/connections';
import type { Log } from '../../shared/log';
import { HEADERS } from '../../shared/stream-upload';
import { type RunningTool, runTool, toolOutput } from '../tool';
import type { CountEntry, Counts, DumpPlan, EngineContext, ToolPaths } from './types';

const SYSTEM_DBS = new Set(['admin', 'local', 'config']);
/** Collections with at most this many documents (estimated) are counted exactly. */
const EXACT_COUNT_MAX = 100_000;
const MONGO_ERROR = /\b(Failed|error|Error):/;

/** The YAML config the tools read from fd 3 (JSON is valid YAML; the URI is quoted safely). */
export function toolConfig(p: MongoParams): string {
  return `uri: ${JSON.stringify(p.url)}\n`;
}

export async function mongoClient(p: MongoParams): Promise<MongoClient> {
  const client = new MongoClient(p.url, {
    serverSelectionTimeoutMS: 10_000,
    connectTimeoutMS: 10_000,
    appName: 'nightshift',
  });
  await client.connect();
  return client;
}

function databaseOf(p: MongoParams): string | undefined {
  if (p.database) return p.database;
  try {
    const path = new URL(p.url).pathname.slice(1);
    return path ? decodeURIComponent(path) : undefined;
  } catch {
    return undefined;
  }
}

/** Documents per collection of the dumped databases ("db.collection"). */
export async function countDocuments(client: MongoClient, only?: string, exact = false): Promise<Counts> {
  const names = only
    ? [only]
    : (await client.db().admin().listDatabases({ nameOnly: true })).databases
        .map((d) => d.name)
        .filter((name) => !SYSTEM_DBS.has(name));
  const items: CountEntry[] = [];
  for (const name of names.sort()) {
    const db = client.db(name);
    const collections = await db.listCollections({ type: 'collection' }, { nameOnly: true }).toArray();
    for (const c of collections.sort((a, b) => a.name.localeCompare(b.name))) {
      if (c.name.startsWith('system.')) continue;
      const collection = db.collection(c.name);
      const estimate = await collection.estimatedDocumentCount();
      if (exact || estimate <= EXACT_COUNT_MAX)
        items.push({ name: `${name}.${c.name}`, count: await collection.countDocuments(), exact: true });
      else items.push({ name: `${name}.${c.name}`, count: estimate, exact: false });
    }
  }
  return { unit: 'documents', items };
}

export function mongoTool(tools: ToolPaths, name: 'mongodump' | 'mongorestore'): string {
  return (
    (name === 'mongodump' ? tools.mongodump : tools.mongorestore) ??
    findBinary(name, 'mongodb-database-tools')
  );
}

export async function prepareMongo(
  p: MongoParams,
  options: { oplog: boolean; secrets: readonly string[] },
  context: EngineContext,
): Promise<DumpPlan> {
  const mongodump = mongoTool(context.tools, 'mongodump');
  const toolVersion =
    (
      await toolOutput({
        name: 'mongodump',
        command: mongodump,
        args: ['--version'],
        secrets: [],
        log: context.log,
      })
    )
      .split('\n')[0]
      ?.trim() ?? 'mongodump';
  const client = await mongoClient(p);
  try {
    const build = await client.db('admin').command({ buildInfo: 1 });
    const only = databaseOf(p);
    const counts = await countDocuments(client, only);
    const stats = only ? await client.db(only).stats() : undefined;
    return {
      serverVersion: String(build.version ?? 'unknown'),
      toolVersion,
      counts,
      details: { database: only ?? '(all)', oplog: options.oplog },
      streams: [
        {
          role: 'data',
          ext: 'archive',
          header: HEADERS.mongoArchive,
          expectedBytes: stats ? Number(stats.dataSize ?? 0) : undefined,
          start: () => {
            const tool = runTool({
              name: 'mongodump',
              command: mongodump,
              args: ['--config=/dev/fd/3', '--archive', ...(options.oplog ? ['--oplog'] : [])],
              fd3: toolConfig(p),
              secrets: options.secrets,
              log: context.log,
              errorLine: MONGO_ERROR,
              quietLine: /\bwriting\b|\bdone dumping\b|\[#*\.*\]/,
            });
            return { stream: tool.stdout, done: tool.done, stop: tool.stop };
          },
        },
      ],
      close: async () => {},
    };
  } finally {
    await client.close().catch(() => {});
  }
}

/** Non-system databases holding collections. */
export async function mongoUserDatabases(p: MongoParams): Promise<string[]> {
  const client = await mongoClient(p);
  try {
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    return databases.map((d) => d.name).filter((name) => !SYSTEM_DBS.has(name));
  } finally {
    await client.close().catch(() => {});
  }
}

/** Drops every non-system database of a scratch server. */
export async function wipeMongo(p: MongoParams): Promise<void> {
  const client = await mongoClient(p);
  try {
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    for (const d of databases) if (!SYSTEM_DBS.has(d.name)) await client.db(d.name).dropDatabase();
  } finally {
    await client.close().catch(() => {});
  }
}

export async function countMongo(p: MongoParams, only?: string): Promise<Counts> {
  const client = await mongoClient(p);
  try {
    return await countDocuments(client, only, true);
  } finally {
    await client.close().catch(() => {});
  }
}

export function startMongorestore(
  p: MongoParams,
  options: { drop: boolean; oplog: boolean; secrets: readonly string[]; tools: ToolPaths; log: Log },
): RunningTool & { stdin: Writable } {
  const tool = runTool({
    name: 'mongorestore',
    command: mongoTool(options.tools, 'mongorestore'),
    args: [
      '--config=/dev/fd/3',
      '--archive',
      ...(options.drop ? ['--drop'] : []),
      ...(options.oplog ? ['--oplogReplay'] : []),
    ],
    fd3: toolConfig(p),
    stdin: 'pipe',
    secrets: options.secrets,
    log: options.log,
    errorLine: MONGO_ERROR,
    quietLine: /\brestoring\b|\bfinished restoring\b|\[#*\.*\]/,
  });
  tool.stdout.resume();
  if (!tool.stdin) throw new Error('mongorestore has no stdin');
  return tool as RunningTool & { stdin: Writable };
}
