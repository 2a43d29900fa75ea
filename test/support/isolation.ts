/**
 * Runs before every test file (vitest.config.ts setupFiles). The suite shares one module cache per
 * worker (isolate: false: the files do not each import aws-cdk-lib and the AWS SDK again), so what a
 * file changes in a shared module must not outlive it. aws-sdk-client-mock stubs `send` on a client
 * class's prototype; a file that mocks S3Client and does not restore it would otherwise hand its stub
 * to the next file, whose real S3 calls to s3rver would then get the mock's empty answers. The same
 * goes for the module state of our own code listed in the afterAll below.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, vi } from 'vitest';
import { forgetSecrets } from '../../lambdas/shared/redact';
import { clearStatusCache } from '../../lambdas/status-page/status-page';
import { colorAllowed, setColor } from '../../lib/cli/terminal';

/** Every client class a test mocks with aws-sdk-client-mock (test/support/isolation.test.ts checks the list). */
export const MOCKED_CLIENTS = [
  CloudWatchClient,
  CloudWatchLogsClient,
  DynamoDBClient,
  LambdaClient,
  S3Client,
  SchedulerClient,
  SecretsManagerClient,
  SFNClient,
  SNSClient,
  SQSClient,
  SSMClient,
] as const;

/** Restores a class's `send` when a file left it stubbed (a sinon stub has `restore`). */
export function restoreClientStubs(): string[] {
  const restored: string[] = [];
  for (const Client of MOCKED_CLIENTS) {
    if (!Object.hasOwn(Client.prototype, 'send')) continue;
    const send = Client.prototype.send as { restore?: () => void };
    if (typeof send.restore === 'function') {
      send.restore();
      restored.push(Client.name);
    }
  }
  return restored;
}

afterAll(() => {
  restoreClientStubs();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  // module state of our own that a file may leave: secrets registered for redaction, the status
  // page's cached status, the CLI's color switch
  forgetSecrets();
  clearStatusCache();
  setColor(colorAllowed());
});
