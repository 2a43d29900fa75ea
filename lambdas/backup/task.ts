/**
 * ECS Fargate entry (`runtime: fargate`, docs/retention.md): the same image as the Lambda function, run
 * once per task: `node /var/task/task.mjs <backup|verify>` (fargate.ts). Metrics go out as EMF on stdout
 * (the awslogs driver ships them to CloudWatch Logs, which extracts them).
 */
import { runTask } from './fargate';

process.exitCode = await runTask(process.argv.slice(2), process.env);
