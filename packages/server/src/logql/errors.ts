/**
 * A LogQL syntax or validation error, worded like Loki's: `parse error at line 1, col 12: ...`
 * (1-based line and column of the offending token), or `parse error : ...` when the problem has
 * no single position. The Loki API answers it with 400.
 */
export class LogQLParseError extends Error {
  constructor(
    readonly detail: string,
    readonly line = 0,
    readonly col = 0,
  ) {
    super(
      line === 0 && col === 0
        ? `parse error : ${detail}`
        : `parse error at line ${line}, col ${col}: ${detail}`,
    );
    this.name = 'LogQLParseError';
  }
}

/**
 * A query that cannot run as asked: a pipeline error in a metric query, a limit, a wrong query
 * type for the endpoint. `status` is the HTTP status Loki answers with.
 */
export class LogQLQueryError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly reason: 'bad_query' | 'limit' | 'timeout' | 'canceled' | 'pipeline' = 'bad_query',
  ) {
    super(message);
    this.name = 'LogQLQueryError';
  }
}
