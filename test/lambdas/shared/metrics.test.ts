import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE, powertoolsSink } from '../../../lambdas/shared/metrics';

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** Runs `act` and returns the EMF documents Powertools printed on stdout. */
function captureEmf(act: () => void): EmfDocument[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

describe('powertoolsSink', () => {
  afterEach(() => vi.restoreAllMocks());

  it('emits exactly the given dimension set: no service dimension from Powertools', () => {
    // Prepare: the handlers construct Metrics with a service name, which Powertools turns into a
    // default dimension.
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'health-check' });
    const sink = powertoolsSink(metrics);

    // Act
    const docs = captureEmf(() => sink.put('Up', 'Count', 1, { Project: 'shop', Target: 'api' }));

    // Assert
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Nightshift',
        Dimensions: [['Project', 'Target']],
        Metrics: [{ Name: 'Up', Unit: 'Count' }],
      },
    ]);
    expect(doc).toMatchObject({ Project: 'shop', Target: 'api', Up: 1 });
    expect(doc).not.toHaveProperty('service');
  });

  it('publishes each point once and logs no "no metrics" warning', () => {
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const sink = powertoolsSink(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'backup' }));

    const docs = captureEmf(() => sink.put('BytesOut', 'Bytes', 42, { Project: 'shop', Target: 'orders' }));

    expect(docs).toHaveLength(1);
    expect(warn.mock.calls.map(([chunk]) => String(chunk)).join('')).not.toContain('No application metrics');
  });

  it('keeps points of different targets in separate documents', () => {
    const sink = powertoolsSink(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'backup' }));

    const docs = captureEmf(() => {
      sink.put('BackupSucceeded', 'Count', 1, { Project: 'shop', Target: 'orders' });
      sink.put('BackupSucceeded', 'Count', 0, { Project: 'shop', Target: 'sessions' });
    });

    expect(docs.map((d) => [d.Target, d.BackupSucceeded, d._aws.CloudWatchMetrics[0]?.Dimensions])).toEqual([
      ['orders', 1, [['Project', 'Target']]],
      ['sessions', 0, [['Project', 'Target']]],
    ]);
  });

  it('writes StorageResolution 1 and the slot timestamp when asked, and neither by default', () => {
    const sink = powertoolsSink(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'health-check' }));
    const slot = Date.now() - 25_000;

    const docs = captureEmf(() => {
      sink.put('Up', 'Count', 0, { Project: 'shop', Target: 'api' }, { resolution: 1, timestamp: slot });
      sink.put('Up', 'Count', 1, { Project: 'shop', Target: 'web' });
    });

    const [high, standard] = docs as [EmfDocument, EmfDocument];
    expect(high._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'Up', Unit: 'Count', StorageResolution: 1 },
    ]);
    expect((high._aws as unknown as { Timestamp: number }).Timestamp).toBe(slot);
    expect(standard._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'Up', Unit: 'Count' }]);
    expect((standard._aws as unknown as { Timestamp: number }).Timestamp).toBeGreaterThan(slot);
  });
});
