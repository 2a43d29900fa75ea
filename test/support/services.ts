/**
 * Test harness for real local services (PostgreSQL, Redis, embedded S3). Re-exports lib/local and
 * adds vitest helpers that start a service before the suite and always stop it after, even when
 * tests fail. A process 'exit' hook and a parent-death watchdog in lib/local are the backstops.
 */
import { createConnection } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import {
  type LocalPostgres,
  type LocalRedis,
  type LocalS3,
  type StartPostgresOptions,
  type StartRedisOptions,
  type StartS3Options,
  startPostgres,
  startRedis,
  startS3,
} from '../../lib/local/index';

export * from '../../lib/local/index';

interface Stoppable {
  stop(): Promise<void>;
}

function withService<T extends Stoppable>(name: string, start: () => Promise<T>): () => T {
  let service: T | undefined;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(async () => {
    await service?.stop();
  });
  return () => {
    if (service === undefined) {
      throw new Error(
        `${name} is not running yet: call the getter inside a test or a hook, not at collection time`,
      );
    }
    return service;
  };
}

/**
 * Starts a disposable PostgreSQL for the enclosing `describe` (or file); returns a getter.
 * @example const pg = withPostgres(); it('…', async () => { new Client({ connectionString: pg().url }) })
 */
export function withPostgres(options?: StartPostgresOptions): () => LocalPostgres {
  return withService('withPostgres()', () => startPostgres(options));
}

/** Starts a disposable redis-server for the enclosing `describe` (or file); returns a getter. */
export function withRedis(options?: StartRedisOptions): () => LocalRedis {
  return withService('withRedis()', () => startRedis(options));
}

/** Starts an embedded S3 store for the enclosing `describe` (or file); returns a getter. */
export function withS3(options?: StartS3Options): () => LocalS3 {
  return withService('withS3()', () => startS3(options));
}

/** Resolves with the error code of a fresh TCP connection attempt (e.g. 'ECONNREFUSED'), or 'CONNECTED'. */
export function connectionOutcome(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(5_000, () =>
      socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => {
      socket.destroy();
      resolve('CONNECTED');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
