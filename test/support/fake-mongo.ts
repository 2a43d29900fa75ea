/**
 * A fake MongoDB server, just enough of the wire protocol for the health check's commands: the
 * handshake (OP_QUERY `hello`/`isMaster` answered with OP_REPLY), then OP_MSG commands (`hello`, `ping`,
 * `serverStatus`, `buildInfo`, `endSessions`). It presents itself as the primary of a one-member replica
 * set. Wire protocol: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 * There is no MongoDB server on this machine; the driver itself is real.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { BSON } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

export interface FakeMongo {
  readonly port: number;
  /** `mongodb://127.0.0.1:PORT/app?directConnection=true` */
  readonly url: string;
  /** Command names received, in order. */
  readonly commands: string[];
  stop(): Promise<void>;
}

function answer(command: Record<string, unknown>, port: number): Record<string, unknown> {
  const name = Object.keys(command)[0] ?? '';
  switch (name) {
    case 'hello':
    case 'isMaster':
    case 'ismaster':
      return {
        helloOk: true,
        isWritablePrimary: true,
        ismaster: true,
        setName: 'rs0',
        primary: `127.0.0.1:${port}`,
        hosts: [`127.0.0.1:${port}`],
        me: `127.0.0.1:${port}`,
        maxBsonObjectSize: 16 * 1024 * 1024,
        maxMessageSizeBytes: 48_000_000,
        maxWriteBatchSize: 100_000,
        localTime: new Date(),
        logicalSessionTimeoutMinutes: 30,
        connectionId: 1,
        minWireVersion: 0,
        maxWireVersion: 21,
        ok: 1,
      };
    case 'serverStatus':
      return { connections: { current: 12, available: 788 }, ok: 1 };
    case 'buildInfo':
      return { version: '7.0.0', ok: 1 };
    default:
      return { ok: 1 };
  }
}

function reply(socket: Socket, responseTo: number, opCode: number, doc: Record<string, unknown>): void {
  const body = Buffer.from(BSON.serialize(doc));
  const prefix =
    opCode === OP_REPLY
      ? Buffer.alloc(20) // responseFlags, cursorID (int64), startingFrom, numberReturned
      : Buffer.alloc(5); // flagBits, section kind 0
  if (opCode === OP_REPLY) prefix.writeInt32LE(1, 16);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + prefix.length + body.length, 0);
  header.writeInt32LE(responseTo + 1_000_000, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  socket.write(Buffer.concat([header, prefix, body]));
}

export async function startFakeMongo(): Promise<FakeMongo> {
  const commands: string[] = [];
  let port = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        const length = buffered.readInt32LE(0);
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        const requestId = message.readInt32LE(4);
        const opCode = message.readInt32LE(12);
        let command: Record<string, unknown>;
        if (opCode === OP_QUERY) {
          const nameEnd = message.indexOf(0, 20);
          command = BSON.deserialize(message.subarray(nameEnd + 1 + 8));
        } else if (opCode === OP_MSG) {
          command = BSON.deserialize(message.subarray(21, 21 + message.readInt32LE(21)));
        } else {
          socket.destroy();
          return;
        }
        commands.push(Object.keys(command)[0] ?? '');
        reply(socket, requestId, opCode === OP_QUERY ? OP_REPLY : OP_MSG, answer(command, port));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `mongodb://127.0.0.1:${port}/app?directConnection=true`,
    commands,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
