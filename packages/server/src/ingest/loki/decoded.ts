import type { Labels } from '../../model/labels.ts';

/** One entry of a push request, before it becomes a LogRecord. */
export interface PushEntry {
  readonly timestampNs: bigint;
  readonly line: string;
  readonly metadata: Labels;
}

/** One stream of a push request. */
export interface PushStream {
  readonly labels: Labels;
  readonly entries: PushEntry[];
}
