/**
 * SSM Parameter Store SecureString as a secret source: `ssm:/name` references go to the parameter
 * reader, everything else to Secrets Manager; a value read is redacted exactly like a secret's.
 * The reader's only dependency is a GetParameter(WithDecryption) function, supplied here by a local
 * store that behaves like SSM (ParameterNotFound for unknown names).
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  awsSecretsReader,
  parameterStoreReader,
  type SecretsReader,
  SecretUnavailable,
  secretsReaderFor,
} from '../../../lambdas/shared/connections';
import { redact } from '../../../lambdas/shared/redact';

function localStore(values: Record<string, string>) {
  const calls: string[] = [];
  const get = async (name: string) => {
    calls.push(name);
    const value = values[name];
    if (value === undefined)
      throw Object.assign(new Error(`Parameter ${name} not found.`), { name: 'ParameterNotFound' });
    return value;
  };
  return { get, calls };
}

const secretsManager: SecretsReader = {
  async getSecretString(id) {
    return `from-secrets-manager:${id}`;
  },
};

describe('parameterStoreReader', () => {
  it('reads ssm:/name by its parameter name, caches it, and registers its credentials with the redactor', async () => {
    const store = localStore({
      '/prod/shop/db': JSON.stringify({ host: 'db.internal', password: 'Pa55-ssm-value' }),
    });
    const reader = parameterStoreReader(store.get);
    const text = await reader.getSecretString('ssm:/prod/shop/db');
    await reader.getSecretString('ssm:/prod/shop/db');
    expect(JSON.parse(text).host).toBe('db.internal');
    expect(store.calls).toEqual(['/prod/shop/db']);
    expect(redact('connect failed: password Pa55-ssm-value rejected')).not.toContain('Pa55-ssm-value');
  });

  it('registers a plain SecureString value as a whole', async () => {
    const reader = parameterStoreReader(localStore({ '/prod/api/token': 'tok-plain-ssm-9876' }).get);
    await reader.getSecretString('ssm:/prod/api/token');
    expect(redact('token was tok-plain-ssm-9876')).toBe('token was ***');
  });

  it('names the reference and what to do when the parameter is missing', async () => {
    const reader = parameterStoreReader(localStore({}).get);
    const error = await reader.getSecretString('ssm:/prod/missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailable);
    expect((error as Error).message).toMatch(/ssm:\/prod\/missing: it does not exist — create it/);
  });
});

describe('secretsReaderFor', () => {
  it('routes ssm: references to Parameter Store and the rest to Secrets Manager', async () => {
    const store = localStore({ '/prod/shop/redis': 'redis://:pw-ssm-1234@cache:6379' });
    const reader = secretsReaderFor(secretsManager, parameterStoreReader(store.get));
    expect(await reader.getSecretString('ssm:/prod/shop/redis')).toBe('redis://:pw-ssm-1234@cache:6379');
    expect(await reader.getSecretString('prod/shop/db')).toBe('from-secrets-manager:prod/shop/db');
    expect(store.calls).toEqual(['/prod/shop/redis']);
  });

  it('awsSecretsReader asks SSM for the decrypted parameter, and redacts its value from then on', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand, { Name: '/prod/shop/token', WithDecryption: true }).resolves({
      Parameter: { Name: '/prod/shop/token', Value: 'tok-ssm-0123456789abcdef' },
    });
    const reader = awsSecretsReader({ region: 'eu-west-1' });
    expect(await reader.getSecretString('ssm:/prod/shop/token')).toBe('tok-ssm-0123456789abcdef');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(redact('header X-Token: tok-ssm-0123456789abcdef')).not.toContain('tok-ssm-0123456789abcdef');
    ssm.restore();
  });
});
