export { findBinary, MissingBinaryError, postgresBinDirs } from '../../lambdas/shared/binaries';
export { freePort } from './ports';
export { type LocalPostgres, type StartPostgresOptions, startPostgres } from './postgres';
export { ServiceStartError } from './process';
export { type LocalRedis, type StartRedisOptions, startRedis } from './redis';
export { type LocalS3, type StartS3Options, startS3 } from './s3';
