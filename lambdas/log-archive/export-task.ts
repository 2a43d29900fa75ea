/**
 * `mode: export-task`: big groups are exported by CloudWatch Logs itself (CreateExportTask), not read
 * through the API. Only one export task may run per account at a time, so the job does not call
 * CreateExportTask: it starts one Step Functions execution per day that exports the groups one after
 * the other (start a task, poll DescribeExportTasks until it ends, next group). The execution is named
 * after the day, so starting it twice is harmless.
 */
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export interface ExportGroup {
  readonly group: string;
  /** S3 prefix CreateExportTask writes under. */
  readonly destinationPrefix: string;
}

/** The state machine's input (see lib/constructs/log-archive.ts). */
export interface ExportRunInput {
  readonly date: string;
  /** epoch ms, inclusive */
  readonly from: number;
  /** epoch ms, inclusive */
  readonly to: number;
  readonly bucket: string;
  readonly groups: readonly ExportGroup[];
}

export interface ExportStarter {
  /** Starts the day's exports (idempotent per day and input); returns the execution ARN. */
  start(input: ExportRunInput): Promise<string>;
}

/** Execution name for a day: one export run per day; `attempt` > 1 after a --force. */
export function exportExecutionName(date: string, attempt = 1): string {
  return attempt > 1 ? `logs-${date}-${attempt}` : `logs-${date}`;
}

export function stepFunctionsExportStarter(sfn: SFNClient, stateMachineArn: string): ExportStarter {
  return {
    async start(input) {
      const input_ = JSON.stringify(input);
      for (let attempt = 1; attempt <= 20; attempt++) {
        const name = exportExecutionName(input.date, attempt);
        try {
          const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: input_ }));
          return out.executionArn ?? name;
        } catch (error) {
          // same name + same input: StartExecution is idempotent and returns the running execution;
          // same name + different input (groups changed, or a finished run): try the next name
          if (!(error instanceof Error) || error.name !== 'ExecutionAlreadyExists') throw error;
          const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
          const existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
          if (existing.input === input_ && existing.status !== 'FAILED' && existing.status !== 'ABORTED') {
            return executionArn;
          }
        }
      }
      throw new Error(
        `could not start the log export of ${input.date}: 20 executions exist for that day — inspect them in the Step Functions console`,
      );
    },
  };
}
