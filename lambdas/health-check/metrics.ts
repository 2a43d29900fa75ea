/**
 * The metric contract of the health-check job (DESIGN rule 11): metric names and their one dimension
 * set. The core and the checks write them; the HealthChecks construct's alarms and dashboard read them.
 * test/lib/metric-contract.int.test.ts runs both sides.
 */
export const HealthMetric = {
  Up: 'Up',
  LatencyMs: 'LatencyMs',
  TlsDaysLeft: 'TlsDaysLeft',
  ConnectionsPercent: 'ConnectionsPercent',
  ReplicationLagSeconds: 'ReplicationLagSeconds',
  MemoryPercent: 'MemoryPercent',
  ConnectedClients: 'ConnectedClients',
  RejectedConnections: 'RejectedConnections',
} as const;

export type HealthMetricName = (typeof HealthMetric)[keyof typeof HealthMetric];

/** Every health metric has exactly these dimensions. */
export function healthDimensions(project: string, target: string): { Project: string; Target: string } {
  return { Project: project, Target: target };
}
