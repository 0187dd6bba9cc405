/**
 * The one error the exposition parsers throw. Anything else escaping a parser is a bug: the
 * property tests in this folder feed random and truncated input to check that.
 */
export class TextParseError extends Error {
  constructor(
    message: string,
    /** 1-based line of the input where parsing failed. */
    readonly line: number,
  ) {
    super(message);
    this.name = 'TextParseError';
  }
}

/**
 * Builds a TextParseError for position `pos` of `text`: names the line, says what was wrong, and
 * quotes the start of the offending line so a person can find it in a large exposition.
 */
export function parseErrorAt(text: string, pos: number, what: string): TextParseError {
  const at = Math.min(Math.max(pos, 0), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd === -1) lineEnd = text.length;
  const snippet = text.slice(lineStart, Math.min(lineEnd, lineStart + 120));
  const more = lineEnd > lineStart + 120 ? '…' : '';
  return new TextParseError(`line ${line}: ${what} (in ${JSON.stringify(snippet)}${more})`, line);
}
