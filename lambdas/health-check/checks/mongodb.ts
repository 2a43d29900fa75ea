/**
 * mongodb: ping (the latency), replica-set state with a primary present, and connections current
 * against available (serverStatus; needs the clusterMonitor role, skipped with a note without it).
 */
import { MongoClient } from 'mongodb';
import type { HealthTarget } from '../../../lib/config/schema';
import { describeMongo, resolveMongo, secretValuesOf } from '../../shared/connections';
import { HealthMetric } from '../metrics';
import {
  answered,
  type CheckContext,
  type CheckMetric,
  type CheckOutcome,
  elapsedMs,
  percent,
} from './types';

export type MongoCheck = NonNullable<HealthTarget['mongodb']>;

interface Hello {
  setName?: string;
  primary?: string;
  isWritablePrimary?: boolean;
  secondary?: boolean;
}

interface ServerStatus {
  connections?: { current?: number; available?: number };
}

export async function checkMongo(spec: MongoCheck, ctx: CheckContext): Promise<CheckOutcome> {
  const params = await resolveMongo(spec, ctx.secrets);
  ctx.known.push(...secretValuesOf(params));
  const client = new MongoClient(params.url, {
    serverSelectionTimeoutMS: ctx.timeoutMs,
    connectTimeoutMS: ctx.timeoutMs,
    socketTimeoutMS: ctx.timeoutMs,
    timeoutMS: ctx.timeoutMs,
    maxPoolSize: 1,
    retryReads: false,
    retryWrites: false,
    appName: 'nightshift-health-check',
  });
  const onAbort = () => {
    client.close(true).catch(() => {});
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const start = performance.now();
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
    const latencyMs = elapsedMs(start);

    const metrics: CheckMetric[] = [];
    const warnings: string[] = [];
    const failures: string[] = [];
    const facts: string[] = [describeMongo(params)];

    const hello = (await admin.command({ hello: 1 })) as Hello;
    if (hello.setName) {
      facts.push(
        `replica set ${hello.setName}${hello.primary ? `, primary ${hello.primary}` : ', no primary'}`,
      );
    }
    if (spec.replicaSet) {
      if (!hello.setName) failures.push('not a replica set member, expected a replica set');
      else if (!hello.primary) failures.push(`replica set ${hello.setName} has no primary`);
    }

    try {
      const status = (await admin.command({
        serverStatus: 1,
        repl: 0,
        metrics: 0,
        locks: 0,
      })) as ServerStatus;
      const current = status.connections?.current;
      const available = status.connections?.available;
      if (typeof current === 'number' && typeof available === 'number') {
        const connectionsPercent = percent(current, current + available);
        metrics.push({ name: HealthMetric.ConnectionsPercent, unit: 'Percent', value: connectionsPercent });
        facts.push(`${current}/${current + available} connections`);
        if (connectionsPercent >= spec.maxConnectionsPercent) {
          warnings.push(`connections at ${connectionsPercent}% (alarm at ${spec.maxConnectionsPercent}%)`);
        }
      }
    } catch {
      facts.push('connections unknown (serverStatus needs the clusterMonitor role)');
    }

    return answered({ latencyMs, detail: facts.join(', '), failures, warnings, metrics });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await client.close(true).catch(() => {});
  }
}
