import type { TaskType } from '../tasks/task.js';

/** Headers of a dead-lettered task (docs/tasks.md, "Dead-letter topic"). */
export const DLQ_HEADERS = {
  reason: 'chatfleet-dlq-reason',
  attempts: 'chatfleet-dlq-attempts',
  type: 'chatfleet-dlq-task-type',
  source: 'chatfleet-dlq-source', // <topic>/<partition>/<offset>
  at: 'chatfleet-dlq-at',
} as const;

const MAX_REASON_CHARS = 512;

export interface DeadLetter {
  reason: string;
  attempts: number;
  type: TaskType | 'unknown';
}

export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** The DLQ record: the task's own bytes and key, unchanged, and why it is there in headers. Pure. */
export function deadLetterMessage(
  source: SourceMessage,
  letter: DeadLetter,
  nowMs: number,
): { key: Buffer | null; value: Buffer | null; headers: Record<string, string> } {
  return {
    key: source.key,
    value: source.value,
    headers: {
      [DLQ_HEADERS.reason]: letter.reason.slice(0, MAX_REASON_CHARS),
      [DLQ_HEADERS.attempts]: String(letter.attempts),
      [DLQ_HEADERS.type]: letter.type,
      [DLQ_HEADERS.source]: `${source.topic}/${source.partition}/${source.offset}`,
      [DLQ_HEADERS.at]: new Date(nowMs).toISOString(),
    },
  };
}
