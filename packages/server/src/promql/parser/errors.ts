import type { PosRange } from './ast.ts';
import { positionLineCol } from './go-strings.ts';

/**
 * A PromQL syntax or static-check error. The message reads like Prometheus's:
 * `1:5: parse error: unexpected <op:+>`, with a 1-based line and byte column.
 */
export class ParseError extends Error {
  /** Where in the query the problem is (UTF-16 offsets). */
  readonly pos: PosRange;
  /** The message without the position prefix. */
  readonly detail: string;
  readonly query: string;

  constructor(query: string, pos: PosRange, detail: string) {
    super(`${positionLineCol(query, pos.start)}: parse error: ${detail}`);
    this.name = 'ParseError';
    this.pos = pos;
    this.detail = detail;
    this.query = query;
  }
}
