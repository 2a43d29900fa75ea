/**
 * Unit tests of the pure pieces: key layout, part sizing, env contract, the Redis logical format; and
 * the stream pipeline's multi-frame zstd read back by restore's own reader (embedded S3 store).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LOGICAL_HEADER, parseLogical, RedisFormatError } from '../../../lambdas/backup/engines/redis';
import { backupEnv, backupEnvironment } from '../../../lambdas/backup/env';
import { backupBase, timeOfKey } from '../../../lambdas/backup/layout';
import { BackupCorrupt, openBackupStream } from '../../../lambdas/backup/restore';
import { runTool } from '../../../lambdas/backup/tool';
import { EnvironmentInvalid } from '../../../lambdas/shared/env';
import { MemoryLog } from '../../../lambdas/shared/log';
import { choosePartSize, HEADERS, streamUpload } from '../../../lambdas/shared/stream-upload';
import { ZSTD_FRAME_BYTES } from '../../../lambdas/shared/zstd-parallel';
import { backupsSchema } from '../../../lib/config/schema';
import { withS3 } from '../../support/services';
import { BUCKET } from './helpers';

describe('layout', () => {
  it('puts a backup under its UTC date and reads the time back from any of its keys', () => {
    const time = new Date('2026-03-01T23:59:58.123Z');
    const base = backupBase('backups', 'app', time);
    expect(base).toBe('backups/app/2026/03/01/app-20260301T235958.123Z');
    expect(timeOfKey(`${base}.pgdump.zst`, 'app')).toEqual(time);
    expect(timeOfKey(`${base}.manifest.json`, 'app')).toEqual(time);
    expect(
      timeOfKey('backups/app/2026/03/01/other-20260301T235958.123Z.manifest.json', 'app'),
    ).toBeUndefined();
  });
});

describe('part size', () => {
  it('keeps twice the expected size under 9,000 parts, never below 8 MiB', () => {
    expect(choosePartSize(undefined)).toBe(8 * 1024 * 1024);
    expect(choosePartSize(1024 ** 3)).toBe(8 * 1024 * 1024);
    const tb = 1024 ** 4;
    const part = choosePartSize(tb);
    expect((2 * tb) / part).toBeLessThanOrEqual(9_000);
    expect(part % (1024 * 1024)).toBe(0);
  });
});

describe('env contract', () => {
  const section = backupsSchema.parse({
    objectLock: 'governance',
    targets: [{ name: 'app', postgres: { secret: 'prod/app-db' }, compressionLevel: 9 }],
  });
  const target = section.targets[0];
  it('round-trips a target through the environment, names only', () => {
    if (!target) throw new Error('no target');
    const env = backupEnvironment({
      project: 'shop',
      timeZone: 'Europe/Berlin',
      retention: section.retention,
      objectLock: section.objectLock,
      target,
      compressionLevel: 9,
      kmsKeyId: 'key-1',
    }).variables;
    const parsed = backupEnv.read({ ...env, BACKUP_BUCKET: 'b', BACKUP_BUCKET_PREFIX: 'backups/app/' });
    expect(parsed).toMatchObject({
      project: 'shop',
      timeZone: 'Europe/Berlin',
      bucket: 'b',
      root: 'backups',
      kmsKeyId: 'key-1',
      objectLock: 'GOVERNANCE',
      compressionLevel: 9,
      retention: { daily: 7, weekly: 4, monthly: 3 },
    });
    expect(parsed.target.postgres?.secret).toBe('prod/app-db');
  });
  it('names the variable that is wrong', () => {
    expect(() =>
      backupEnv.read({
        NIGHTSHIFT_PROJECT: 'p',
        BACKUP_BUCKET: 'b',
        BACKUP_RETENTION: '{}',
        BACKUP_TARGET: '{',
      }),
    ).toThrow(EnvironmentInvalid);
    expect(() =>
      backupEnv.read({ NIGHTSHIFT_PROJECT: 'p', BACKUP_RETENTION: '{}', BACKUP_TARGET: '{}' }),
    ).toThrow(/BACKUP_TARGET is not a backup target/);
  });
});

describe('redis logical format', () => {
  const header = (meta: object) => {
    const json = Buffer.from(JSON.stringify(meta));
    const head = Buffer.alloc(LOGICAL_HEADER.length + 4);
    head.write('NSREDIS', 'latin1');
    head[7] = 1;
    head.writeUInt32BE(json.length, 8);
    return Buffer.concat([head, json]);
  };
  const record = (key: string, expireAt: number, payload: string) => {
    const k = Buffer.from(key);
    const p = Buffer.from(payload);
    const b = Buffer.alloc(1 + 4 + k.length + 12 + p.length);
    b[0] = 1;
    b.writeUInt32BE(k.length, 1);
    k.copy(b, 5);
    b.writeBigInt64BE(BigInt(expireAt), 5 + k.length);
    b.writeUInt32BE(p.length, 13 + k.length);
    p.copy(b, 17 + k.length);
    return b;
  };
  const end = (n: number) => {
    const b = Buffer.alloc(9);
    b[0] = 0xff;
    b.writeBigUInt64BE(BigInt(n), 1);
    return b;
  };
  async function* chunks(buffer: Buffer, size: number) {
    for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
  }
  const collect = async (buffer: Buffer, size = 3) => {
    const out = [];
    for await (const r of parseLogical(chunks(buffer, size)))
      out.push([r.key.toString(), r.expireAt, r.payload.toString()]);
    return out;
  };

  it('parses records split across arbitrary chunk boundaries', async () => {
    const dump = Buffer.concat([header({ db: 0 }), record('a', -1, 'x'), record('bb', 1234, 'yy'), end(2)]);
    expect(await collect(dump)).toEqual([
      ['a', -1, 'x'],
      ['bb', 1234, 'yy'],
    ]);
  });
  it('refuses a truncated dump and a wrong record count', async () => {
    const truncated = Buffer.concat([header({ db: 0 }), record('a', -1, 'x')]);
    await expect(collect(truncated)).rejects.toThrow(/truncated/);
    const miscounted = Buffer.concat([header({ db: 0 }), record('a', -1, 'x'), end(5)]);
    await expect(collect(miscounted)).rejects.toThrow(RedisFormatError);
    await expect(collect(Buffer.from('REDIS0011garbage'))).rejects.toThrow(
      /not a Nightshift logical Redis dump/,
    );
  });
});

describe('stream upload → restore reader, across zstd frames', () => {
  const store = withS3({ buckets: [BUCKET] });
  // 'PGDMP' + text that compresses + random bytes that do not: five frames, the last one partial
  const dump = Buffer.concat([
    Buffer.from('PGDMP'),
    Buffer.from('create table t (id int, note text);\n'.repeat(240_000)),
    randomBytes(2 * ZSTD_FRAME_BYTES + 12_345),
  ]);
  const upload = async (key: string) => {
    const s3 = store().client();
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < dump.length; i += 65_536) yield dump.subarray(i, i + 65_536);
      })(),
    );
    const result = await streamUpload(
      { stream, done: Promise.resolve(), stop: () => stream.destroy() },
      { s3, bucket: BUCKET, key, header: HEADERS.pgCustom, compressionLevel: 3, log: new MemoryLog() },
    );
    return { s3, result };
  };

  it('stores several frames whose SHA-256 restore checks and whose bytes come back identical', async () => {
    const { s3, result } = await upload('frames/app.pgdump.zst');
    expect(dump.length).toBeGreaterThan(4 * ZSTD_FRAME_BYTES);
    expect(result.bytesIn).toBe(dump.length);
    expect(result.bytesOut).toBeLessThan(dump.length);
    const opened = await openBackupStream(s3, BUCKET, result.key, result.sha256, 'app');
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    await opened.done;
    expect(opened.check.bytes).toBe(result.bytesOut);
    expect(Buffer.concat(chunks).equals(dump)).toBe(true);
  });

  it('refuses the stream when the recorded SHA-256 is not the stored one', async () => {
    const { s3, result } = await upload('frames/other.pgdump.zst');
    const opened = await openBackupStream(s3, BUCKET, result.key, '0'.repeat(64), 'app');
    const draining = (async () => {
      for await (const _ of opened.stream);
    })();
    await expect(Promise.all([opened.done, draining])).rejects.toThrow(BackupCorrupt);
  });
});

describe('stream upload of an empty dump', () => {
  const store = withS3({ buckets: [BUCKET] });
  const uploadOf = (script: string, key: string) => {
    const tool = runTool({
      name: 'pg_dump',
      command: 'sh',
      args: ['-c', script],
      secrets: [],
      log: new MemoryLog(),
    });
    return streamUpload(
      { stream: tool.stdout, done: tool.done, stop: tool.stop },
      {
        s3: store().client(),
        bucket: BUCKET,
        key,
        header: HEADERS.pgCustom,
        compressionLevel: 1,
        log: new MemoryLog(),
      },
    );
  };

  it("gives the tool's own failure as the reason, not only that the dump was empty", async () => {
    // stdout closes before the exit status arrives: the reason must still be pg_dump's error
    const failing = uploadOf(
      'exec 1>&-; echo "pg_dump: error: connection to server at 127.0.0.1 failed: Connection refused" >&2; sleep 0.3; exit 1',
      'empty/failing.pgdump.zst',
    );
    await expect(failing).rejects.toThrow(/pg_dump exited with code 1: .*Connection refused/);
    await expect(failing).rejects.not.toThrow(/the dump is empty/);
  });

  it('says the dump is empty when the tool succeeded without output', async () => {
    await expect(uploadOf('exit 0', 'empty/silent.pgdump.zst')).rejects.toThrow(/the dump is empty/);
  });
});
