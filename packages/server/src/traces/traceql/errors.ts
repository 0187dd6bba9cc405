/**
 * A query that does not parse. The message reads like Tempo's (`parse error at line 1, col 12:
 * ...`) and `start`/`end` are offsets into the query text of what was wrong, for editors to
 * underline.
 */
export class TraceQLParseError extends Error {
  override readonly name = 'TraceQLParseError';

  constructor(
    readonly detail: string,
    readonly query: string,
    readonly start: number,
    readonly end: number = start + 1,
  ) {
    const { line, col } = lineCol(query, start);
    super(`parse error at line ${line}, col ${col}: ${detail}`);
  }

  get line(): number {
    return lineCol(this.query, this.start).line;
  }

  get col(): number {
    return lineCol(this.query, this.start).col;
  }
}

/** 1-based line and column (in characters) of an offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, col };
}

/** A query that parses but cannot run (an invalid regular expression, an unsupported feature). */
export class TraceQLError extends Error {
  override readonly name = 'TraceQLError';
}
