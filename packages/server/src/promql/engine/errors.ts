/**
 * Query errors. Inside the evaluator, problems are thrown as EvaluationError and turned into a
 * QueryError at the engine's one boundary (engine.ts), together with the annotations gathered so
 * far. The type names follow Prometheus's HTTP API error types, so the API can map them to
 * status codes directly.
 */
export type QueryErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'too_many_samples'
  | 'internal';

/** A failed query: what went wrong, in Prometheus's words, plus any warnings gathered before. */
export class QueryError extends Error {
  readonly type: QueryErrorType;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];

  constructor(
    type: QueryErrorType,
    message: string,
    warnings: readonly string[] = [],
    infos: readonly string[] = [],
  ) {
    super(message);
    this.name = 'QueryError';
    this.type = type;
    this.warnings = warnings;
    this.infos = infos;
  }
}

/** Thrown inside the evaluator; caught and converted at the engine boundary. */
export class EvaluationError extends Error {
  readonly type: QueryErrorType;
  constructor(message: string, type: QueryErrorType = 'execution') {
    super(message);
    this.name = 'EvaluationError';
    this.type = type;
  }
}

/** Prometheus's ErrTooManySamples. */
export function tooManySamples(env: string): EvaluationError {
  return new EvaluationError(
    `query processing would load too many samples into memory in ${env}`,
    'too_many_samples',
  );
}

/** Prometheus's ErrQueryTimeout. */
export function queryTimeout(env: string): EvaluationError {
  return new EvaluationError(`query timed out in ${env}`, 'timeout');
}

/** Prometheus's ErrQueryCanceled. */
export function queryCanceled(env: string): EvaluationError {
  return new EvaluationError(`query was canceled in ${env}`, 'canceled');
}
