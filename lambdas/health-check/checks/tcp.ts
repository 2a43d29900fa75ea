/** tcp: the port accepts a connection within the timeout. */
import { connect } from 'node:net';
import type { HealthTarget } from '../../../lib/config/schema';
import { type CheckContext, type CheckOutcome, elapsedMs } from './types';

export type TcpCheck = NonNullable<HealthTarget['tcp']>;

export async function checkTcp(spec: TcpCheck, ctx: CheckContext): Promise<CheckOutcome> {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: spec.host, port: spec.port, timeout: ctx.timeoutMs });
    const onAbort = () => socket.destroy(ctx.signal.reason as Error);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => ctx.signal.removeEventListener('abort', onAbort));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
  const latencyMs = elapsedMs(start);
  return {
    up: true,
    latencyMs,
    detail: `connected to ${spec.host}:${spec.port}`,
    warnings: [],
    metrics: [],
  };
}
