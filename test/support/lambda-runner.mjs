// Runs one bundled Lambda handler once, the way the Lambda Node.js runtime does: imports the bundle,
// calls its exported handler with the event and a context object, and writes the outcome as JSON to the
// file named by argv[4]. stdout stays the function's own output (JSON logs and EMF documents), exactly
// what CloudWatch Logs would receive.
//   node lambda-runner.mjs <bundle.mjs> <event.json> <timeout-ms> <outcome.json>
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile, timeoutArg, outcomeFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const timeoutMs = Number(timeoutArg);
const deadline = Date.now() + timeoutMs;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {},
  fail() {},
  succeed() {},
};

let outcome;
try {
  const module = await import(pathToFileURL(bundle).href);
  const result = await module.handler(event, context);
  outcome = { ok: true, result: result ?? null };
} catch (error) {
  outcome = { ok: false, error: { name: error?.name, message: String(error?.message ?? error) } };
}
writeFileSync(outcomeFile, JSON.stringify(outcome));
// Lambda freezes the sandbox after the response; open sockets must not keep this process alive.
process.exit(0);
