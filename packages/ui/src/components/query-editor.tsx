/**
 * The query input. Shows a plain text box at once and swaps in the CodeMirror editor (its own
 * chunk) as soon as that has loaded, so typing never waits for the editor's code.
 */

import type { CompletionSource } from '@codemirror/autocomplete';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { EditorHandle, QueryLanguage } from '../editor/codemirror.ts';

export interface QueryEditorProps {
  /** The text. The editor takes it at mount and whenever `revision` changes (see useEditorText). */
  readonly value: string;
  readonly revision: number;
  readonly onChange: (value: string) => void;
  readonly onRun: () => void;
  readonly language: QueryLanguage;
  readonly placeholder?: string;
  readonly autoFocus?: boolean;
  readonly complete?: CompletionSource;
  /** Receives a focus function (for the '/' shortcut). */
  readonly focusRef?: { current: (() => void) | null };
}

/**
 * The text of an editor plus a revision that counts changes made from outside it: `edit` is for
 * the editor's own onChange, `replace` for everything else (history, formatting, URL changes).
 */
export function useEditorText(initial: string) {
  const [state, setState] = useState({ text: initial, revision: 0 });
  return {
    text: state.text,
    revision: state.revision,
    edit: useCallback((text: string) => setState((s) => ({ text, revision: s.revision })), []),
    replace: useCallback((text: string) => setState((s) => ({ text, revision: s.revision + 1 })), []),
  };
}

let editorModule: Promise<typeof import('../editor/codemirror.ts')> | undefined;

/** Starts loading the editor chunk (e.g. on hover), before it is needed. */
export function preloadEditor(): void {
  editorModule ??= import('../editor/codemirror.ts');
}

export function QueryEditor(props: QueryEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let cancelled = false;
    preloadEditor();
    editorModule!.then((m) => {
      if (cancelled || !host.current) return;
      const hadFocus = host.current.contains(document.activeElement);
      handle.current = m.createEditor(host.current, {
        value: latest.current.value,
        language: latest.current.language,
        placeholder: latest.current.placeholder,
        onChange: (v) => latest.current.onChange(v),
        onRun: () => latest.current.onRun(),
        complete: latest.current.complete,
        autoFocus: latest.current.autoFocus || hadFocus,
      });
      setReady(true);
    });
    return () => {
      cancelled = true;
      handle.current?.destroy();
      handle.current = null;
      setReady(false);
    };
  }, [props.language]);

  // Only changes made outside the editor (history, formatting, navigation) are pushed into it;
  // echoing back what the user typed would race with the next keystroke.
  useEffect(() => {
    handle.current?.setValue(latest.current.value);
  }, [props.revision]);

  useEffect(() => {
    if (!props.focusRef) return;
    props.focusRef.current = () => {
      if (handle.current) handle.current.focus();
      else host.current?.querySelector('textarea')?.focus();
    };
  });

  return (
    <div class="query-editor" data-testid="query-editor" data-ready={ready ? 'true' : 'false'}>
      <div ref={host} />
      {!ready && (
        <textarea
          class="plain"
          rows={1}
          value={props.value}
          placeholder={props.placeholder}
          spellcheck={false}
          aria-label={`${props.language} query`}
          onInput={(e) => props.onChange(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || e.shiftKey)) {
              e.preventDefault();
              props.onRun();
            }
          }}
        />
      )}
    </div>
  );
}
