/**
 * The query editor: CodeMirror 6 with PromQL (the Prometheus team's grammar, completion against
 * Vigil's own API, and its linter for inline errors), or LogQL/TraceQL highlighting with
 * completion of label and tag names. Loaded on demand: it is the heaviest part of the UI.
 */
import {
  autocompletion,
  type CompletionContext,
  type CompletionResult,
  type CompletionSource,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState, type Extension, Prec } from '@codemirror/state';
import { drawSelection, EditorView, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

export type QueryLanguage = 'promql' | 'logql' | 'traceql';

export interface EditorOptions {
  readonly value: string;
  readonly language: QueryLanguage;
  readonly placeholder?: string;
  readonly onChange: (value: string) => void;
  /** Ctrl/Cmd+Enter or Shift+Enter. */
  readonly onRun: () => void;
  /** Extra completions (LogQL label names/values, TraceQL tags). */
  readonly complete?: CompletionSource;
  readonly autoFocus?: boolean;
}

/** A mounted editor. */
export interface EditorHandle {
  setValue(value: string): void;
  focus(): void;
  destroy(): void;
}

const highlight = HighlightStyle.define([
  { tag: tags.comment, color: 'var(--faint)', fontStyle: 'italic' },
  { tag: tags.string, color: 'var(--hl-string)' },
  { tag: tags.number, color: 'var(--hl-number)' },
  { tag: tags.labelName, color: 'var(--hl-label)' },
  { tag: tags.function(tags.variableName), color: 'var(--hl-function)' },
  { tag: tags.operatorKeyword, color: 'var(--hl-keyword)', fontWeight: '600' },
  { tag: tags.modifier, color: 'var(--hl-keyword)' },
  { tag: tags.keyword, color: 'var(--hl-keyword)' },
  { tag: tags.logicOperator, color: 'var(--hl-keyword)' },
  { tag: [tags.operator, tags.arithmeticOperator, tags.compareOperator], color: 'var(--hl-operator)' },
  { tag: tags.variableName, color: 'var(--text)' },
  { tag: [tags.paren, tags.brace, tags.squareBracket], color: 'var(--muted)' },
  { tag: tags.invalid, color: 'var(--err)' },
]);

/** Creates an editor inside `parent`. */
export function createEditor(parent: HTMLElement, options: EditorOptions): EditorHandle {
  let promql: PromQLExtension | undefined;
  const language: Extension[] = [];
  if (options.language === 'promql') {
    promql = new PromQLExtension().setComplete({
      remote: {
        url: '',
        lookbackInterval: 12 * 60 * 60 * 1000,
        // Completion is best effort; a failed lookup must not surface as an error.
        httpErrorHandler: () => {},
        cache: { maxAge: 60_000 },
      },
      maxMetricsMetadata: 10_000,
    });
    language.push(promql.asExtension());
  } else {
    language.push(options.language === 'logql' ? logqlLanguage : traceqlLanguage);
  }
  const completions = options.complete ? [options.complete] : undefined;

  const run = () => {
    options.onRun();
    return true;
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.value,
      extensions: [
        Prec.highest(
          keymap.of([
            { key: 'Mod-Enter', run },
            { key: 'Shift-Enter', run },
          ]),
        ),
        history(),
        drawSelection(),
        highlightSpecialChars(),
        closeBrackets(),
        bracketMatching(),
        autocompletion({
          override: completions,
          activateOnTyping: true,
          icons: false,
          maxRenderedOptions: 80,
        }),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...completionKeymap,
          ...lintKeymap,
        ]),
        placeholder(options.placeholder ?? ''),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': `${options.language} query`, spellcheck: 'false' }),
        syntaxHighlighting(highlight),
        ...language,
        EditorView.updateListener.of((u) => {
          if (u.docChanged) options.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
  if (options.autoFocus) {
    view.focus();
    view.dispatch({ selection: { anchor: view.state.doc.length } });
  }
  return {
    setValue(value) {
      if (value === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
    },
    focus() {
      view.focus();
    },
    destroy() {
      view.destroy();
      promql?.destroy();
    },
  };
}

// ---- LogQL and TraceQL: stream tokenizers for highlighting (no grammar package ships for them) ----

const LOGQL_KEYWORDS = new Set([
  'json',
  'logfmt',
  'regexp',
  'pattern',
  'unpack',
  'line_format',
  'label_format',
  'drop',
  'keep',
  'decolorize',
  'unwrap',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'ip',
]);
const LOGQL_FUNCTIONS = new Set([
  'rate',
  'count_over_time',
  'bytes_rate',
  'bytes_over_time',
  'sum_over_time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'first_over_time',
  'last_over_time',
  'stdvar_over_time',
  'stddev_over_time',
  'quantile_over_time',
  'absent_over_time',
  'rate_counter',
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'sort',
  'sort_desc',
  'vector',
  'label_replace',
  'duration',
  'duration_seconds',
  'bytes',
]);

interface QlState {
  inBraces: number;
}

function streamTokenizer(keywords: Set<string>, functions: Set<string>) {
  return StreamLanguage.define<QlState>({
    startState: () => ({ inBraces: 0 }),
    token(stream, state) {
      if (stream.eatSpace()) return null;
      if (stream.match('#')) {
        stream.skipToEnd();
        return 'comment';
      }
      const ch = stream.peek();
      if (ch === '"' || ch === '`' || ch === "'") {
        const quote = stream.next();
        let escaped = false;
        for (let c = stream.next(); c !== undefined; c = stream.next()) {
          if (c === quote && !escaped) break;
          escaped = quote !== '`' && !escaped && c === '\\';
        }
        return 'string';
      }
      if (stream.match(/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y|kb|mb|gb|b)?/i)) return 'number';
      if (ch === '{') {
        stream.next();
        state.inBraces++;
        return 'brace';
      }
      if (ch === '}') {
        stream.next();
        state.inBraces = Math.max(0, state.inBraces - 1);
        return 'brace';
      }
      if (stream.match(/^(\|=|\|~|!=|!~|=~|==|>=|<=|\|\||&&|!>|>>|~|[|=<>!+\-*/%^&])/)) return 'operator';
      if (stream.match(/^[([\])]/)) return 'paren';
      const word = stream.match(/^[.a-zA-Z_:][\w.:-]*/) as RegExpMatchArray | null;
      if (word) {
        const w = word[0];
        if (functions.has(w) && stream.match(/^\s*\(/, false)) return 'function';
        if (keywords.has(w)) return 'keyword';
        if (state.inBraces > 0 || w.startsWith('.') || /^(span|resource|event|link|trace)\./.test(w))
          return 'labelName';
        return 'variableName';
      }
      stream.next();
      return null;
    },
    tokenTable: { function: tags.function(tags.variableName), labelName: tags.labelName, brace: tags.brace },
    languageData: { closeBrackets: { brackets: ['(', '[', '{', '"', '`'] }, commentTokens: { line: '#' } },
  });
}

const logqlLanguage = streamTokenizer(LOGQL_KEYWORDS, LOGQL_FUNCTIONS);
const traceqlLanguage = streamTokenizer(
  new Set([
    'true',
    'false',
    'nil',
    'ok',
    'error',
    'unset',
    'client',
    'server',
    'producer',
    'consumer',
    'internal',
    'by',
    'select',
  ]),
  new Set([
    'count',
    'avg',
    'min',
    'max',
    'sum',
    'rate',
    'count_over_time',
    'quantile_over_time',
    'histogram_over_time',
  ]),
);

/**
 * A completion source for `{name="value"}` selectors (LogQL streams, TraceQL attributes):
 * names at a name position, values after an operator, both fetched on demand.
 */
export function selectorCompletion(fetchers: {
  names: () => Promise<string[]>;
  values: (name: string) => Promise<string[]>;
  /** Characters allowed in a name (TraceQL names contain dots). */
  readonly namePattern?: RegExp;
}): CompletionSource {
  const namePart = fetchers.namePattern ?? /[\w.]*/;
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const before = ctx.state.doc.sliceString(0, ctx.pos);
    const open = before.lastIndexOf('{');
    if (open < 0 || before.lastIndexOf('}') > open) return null;
    const inside = before.slice(open + 1);
    const valueMatch = /([\w.]+)\s*(=~|!~|!=|=|>=|<=|>|<)\s*"([^"]*)$/.exec(inside);
    if (valueMatch) {
      const values = await fetchers.values(valueMatch[1]).catch(() => []);
      return {
        from: ctx.pos - valueMatch[3].length,
        options: values.map((v) => ({ label: v, type: 'text', apply: `${v}"` })),
        validFor: /^[^"]*$/,
      };
    }
    const nameMatch = new RegExp(`(^|[,{\\s(&|])(${namePart.source})$`).exec(inside);
    if (!nameMatch) return null;
    if (!ctx.explicit && nameMatch[2] === '' && !/(^|,\s*)$/.test(inside)) return null;
    const names = await fetchers.names().catch(() => []);
    return {
      from: ctx.pos - nameMatch[2].length,
      options: names.map((n) => ({ label: n, type: 'property' })),
      validFor: namePart,
    };
  };
}
