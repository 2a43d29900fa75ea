/**
 * Helpers for the health-check tests: targets built through the real config schema (so defaults are
 * the user's defaults), self-signed certificates made with the openssl CLI, and a deps bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthCheckDeps } from '../../../lambdas/health-check/health-check';
import type { SecretsReader } from '../../../lambdas/shared/connections';
import { SecretUnavailable } from '../../../lambdas/shared/connections';
import { MemoryLog } from '../../../lambdas/shared/log';
import { MemoryMetrics } from '../../../lambdas/shared/metrics';
import { type EffectiveHealthTarget, effectiveHealthTargets } from '../../../lib/config/resolved';
import { configSchema, type NightshiftConfigInput } from '../../../lib/config/schema';

type HealthChecksInput = NonNullable<NightshiftConfigInput['healthChecks']>;
export type TargetInput = NonNullable<HealthChecksInput['targets']>[number];

/** A whole config (validated by the real schema) around these health check targets. */
export function configWith(targets: TargetInput[], section: Omit<HealthChecksInput, 'targets'> = {}) {
  return configSchema.parse({
    project: 'shop',
    region: 'eu-west-1',
    alerts: { levels: [{ name: 'ops', email: ['ops@example.com'] }] },
    healthChecks: { ...section, targets },
  });
}

export function targets(...inputs: TargetInput[]): EffectiveHealthTarget[] {
  return effectiveHealthTargets(configWith(inputs));
}

export function target(input: TargetInput): EffectiveHealthTarget {
  const [only] = targets(input);
  if (!only) throw new Error('no target');
  return only;
}

/** A SecretsReader over a fixed map, counting reads. */
export function fakeSecrets(values: Record<string, string>): SecretsReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async getSecretString(secretId) {
      reads.push(secretId);
      const value = values[secretId];
      if (value === undefined) throw new SecretUnavailable(secretId, 'it does not exist');
      return value;
    },
  };
}

export function testDeps(
  overrides: Partial<HealthCheckDeps> = {},
): HealthCheckDeps & { log: MemoryLog; metrics: MemoryMetrics } {
  return {
    project: 'shop',
    secrets: fakeSecrets({}),
    now: () => new Date(),
    ...overrides,
    log: new MemoryLog(),
    metrics: new MemoryMetrics(),
  };
}

export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * A self-signed certificate for IP 127.0.0.1 valid for `days` from now; negative `days` makes one
 * that expired that many days ago (openssl x509 -days -1 sets notAfter one day before notBefore).
 */
export function selfSigned(days: number): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const csr = join(dir, 'req.csr');
    const cert = join(dir, 'cert.pem');
    const ext = join(dir, 'ext.cnf');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:TRUE\n');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key);
    openssl('req', '-new', '-key', key, '-out', csr, '-subj', '/CN=127.0.0.1');
    openssl(
      'x509',
      '-req',
      '-in',
      csr,
      '-signkey',
      key,
      '-days',
      String(days),
      '-extfile',
      ext,
      '-out',
      cert,
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
