/**
 * The one error type of the template engine. Messages read exactly like Go's text/template:
 * parse errors `template: NAME:LINE: what`, execution errors
 * `template: NAME:LINE:COL: executing "NAME" at <node>: what`.
 */
export class TemplateError extends Error {
  constructor(
    message: string,
    /** 'parse' for syntax errors found when compiling, 'exec' for errors while executing. */
    readonly phase: 'parse' | 'exec',
    /** The error a template function threw, when that is what stopped execution. */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}
