/**
 * The credential detector: each rule finds its kind of credential (and says what to do without the
 * value), and ordinary config values — secret names and ARNs, log groups, URLs, ids — pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { credentialFormatOf, findCredentials } from '../../../lib/config/credentials';
import { REPO } from '../../support/cdk';

const headers = (name: string, value: unknown) => ({
  healthChecks: {
    targets: [{ name: 'api', http: { url: 'https://api.example.com', headers: { [name]: value } } }],
  },
});

describe('findCredentials', () => {
  it.each([
    ['postgres://app:pw-123@db/app', 'a password inside a URL'],
    ['redis://:pw-123@cache:6379', 'a password inside a URL'],
    ['https://user:pw-123@api.example.com/', 'a password inside a URL'],
    ['https://tok-123@api.example.com/', 'a user name or token in an http(s) URL'],
    ['postgres://app@db/app?password=pw-123', 'query parameter "password"'],
    ['postgres://app@db/app?sslpassword=pw-123', 'query parameter "sslpassword"'],
    ['https://api.example.com/h?pass=pw-123', 'query parameter "pass"'],
    ['https://api.example.com/h?pwd=pw-123', 'query parameter "pwd"'],
    ['https://api.example.com/h?secret=pw-123', 'query parameter "secret"'],
    ['https://api.example.com/h?token=pw-123', 'query parameter "token"'],
    ['https://api.example.com/h?key=pw-123', 'query parameter "key"'],
    ['https://api.example.com/h?access_token=pw-123', 'query parameter "access_token"'],
    ['https://api.example.com/h?api_key=pw-123', 'query parameter "api_key"'],
    ['https://api.example.com/h?apiKey=pw-123', 'query parameter "apiKey"'],
    ['https://api.example.com/h?sig=pw-123', 'query parameter "sig"'],
    ['https://s3.example.com/o?X-Amz-Signature=abc123', 'query parameter "X-Amz-Signature"'],
    ['https://api.example.com/h?client_secret=pw-123', 'query parameter "client_secret"'],
    ['AKIAIOSFODNN7EXAMPLE', 'an AWS access key id'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n', 'a PEM private key'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMxMjMifQ.sig-part', 'a JSON Web Token'],
    ['ghp_x7Kq2LmN9pR4tV8wZ1bC3dF5gH6jY0aS2eU4', 'a GitHub token'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv', 'a GitHub token'],
    ['glpat-Zx81ytQ9vLmR3kP7wN2c', 'a GitLab token'],
    ['xoxb-2748392010-2748392010-AbCdEfGhIjKl', 'a Slack token'],
    ['https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX', 'a Slack webhook URL'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'a Stripe secret key'],
    ['Bearer abcdefgh12345678', 'an Authorization value'],
    ['Qm9xR2s4WnA3TnY1THc4Yk1oN2pLdDJxWjl5UjRmWDE', 'a random token'],
  ])('finds %j', (value, kind) => {
    const findings = findCredentials({ alerts: { alarms: [{ description: value }] } });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.path).toEqual(['alerts', 'alarms', 0, 'description']);
    expect(findings[0]?.message).toContain(kind);
    expect(findings[0]?.message).toContain('secret');
    expect(findings[0]?.message).not.toContain(value.slice(0, 12));
  });

  it.each([
    'Authorization',
    'Proxy-Authorization',
    'X-Api-Token',
    'X-Api-Key',
    'X-Auth',
    'X-Session-Id',
    'Cookie',
    'X-Signature',
    'X-Hub-Sig',
    'X-Password',
    'X-Client-Secret',
    'X-Credential',
    'X-CSRF-Token',
  ])('rejects a literal value in the credential header %s, without echoing it', (name) => {
    const findings = findCredentials(headers(name, 'plain-value-1'));
    expect(findings.map((f) => f.path.join('.'))).toEqual([`healthChecks.targets.0.http.headers.${name}`]);
    expect(findings[0]?.message).toContain(`the header "${name}" carries a credential`);
    expect(findings[0]?.message).not.toContain('plain-value-1');
  });

  it('accepts credential headers given as secret references, and ordinary headers', () => {
    expect(findCredentials(headers('Authorization', { secret: 'prod/app/token' }))).toEqual([]);
    expect(findCredentials(headers('Accept', 'application/json'))).toEqual([]);
    expect(findCredentials(headers('X-Request-Id', 'nightshift'))).toEqual([]);
  });

  it('rejects literal values under password-like keys anywhere', () => {
    const findings = findCredentials({ backups: { targets: [{ postgres: { password: 'x' } }] } });
    expect(findings[0]?.message).toContain('a literal password is not allowed');
  });

  it.each([
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/shop/db-AbCdEf',
    'prod/shop/db',
    '/aws/lambda/shop-prod-ApiFunctionAbC12DeF3-1A2B3C4D5E6F',
    'https://api.example.com/v1/health?verbose=1&region=eu-west-1',
    'postgres://app@db.internal:5432/app?sslmode=require',
    'mongodb+srv://cluster0.example.mongodb.net/app',
    'HTTPCode_Target_5XX_Count',
    'targetgroup/shop-api/0123456789abcdef',
    'app/shop-alb/50dc6c495c0c9188',
    '100 * errors / requests',
    'database connection pool exhausted',
  ])('passes the ordinary value %j', (value) => {
    expect(credentialFormatOf(value)).toBeUndefined();
    expect(findCredentials({ alerts: { alarms: [{ description: value }] } })).toEqual([]);
  });

  it.each(readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml')))(
    'passes examples/%s',
    (file) => {
      expect(findCredentials(parse(readFileSync(join(REPO, 'examples', file), 'utf8')))).toEqual([]);
    },
  );

  it('walks 10,000 levels of nesting without overflowing the stack', () => {
    let value: unknown = 'AKIAIOSFODNN7EXAMPLE';
    for (let i = 0; i < 10_000; i++) value = [value];
    expect(findCredentials(value)).toHaveLength(1);
  });
});
