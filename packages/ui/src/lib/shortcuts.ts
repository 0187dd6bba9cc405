/**
 * Keyboard shortcuts. One listener on the document; single keys ('?', 'r') and two-key sequences
 * ('g m'). Shortcuts do not fire while typing in a field or editor, except Escape.
 */
import { useEffect, useRef } from 'preact/hooks';

/** A shortcut as the help dialog lists it. */
export interface ShortcutHelp {
  readonly keys: string;
  readonly description: string;
}

type Handler = (e: KeyboardEvent) => void;

interface Binding {
  readonly keys: string;
  readonly description: string;
  readonly handler: { current: Handler };
}

const bindings: Binding[] = [];
let pendingPrefix: string | undefined;
let prefixTimer: ReturnType<typeof setTimeout> | undefined;

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.closest?.('.cm-editor')) return true;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

function keyName(e: KeyboardEvent): string {
  return e.key.length === 1 ? e.key : e.key === 'Escape' ? 'Esc' : e.key;
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = keyName(e);
  if (key !== 'Esc' && isTyping(e.target)) return;
  const combo = pendingPrefix ? `${pendingPrefix} ${key}` : key;
  // Latest registration wins, so a page's binding overrides a global one with the same keys.
  for (let i = bindings.length - 1; i >= 0; i--) {
    if (bindings[i].keys === combo) {
      clearPrefix();
      e.preventDefault();
      bindings[i].handler.current(e);
      return;
    }
  }
  if (!pendingPrefix && bindings.some((b) => b.keys.startsWith(`${key} `))) {
    pendingPrefix = key;
    prefixTimer = setTimeout(clearPrefix, 1200);
    return;
  }
  clearPrefix();
});

function clearPrefix(): void {
  pendingPrefix = undefined;
  if (prefixTimer) clearTimeout(prefixTimer);
}

/** Binds `keys` ('r', 'g m', 'Esc') while the component is mounted. */
export function useShortcut(keys: string, description: string, handler: Handler): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const binding: Binding = { keys, description, handler: ref };
    bindings.push(binding);
    return () => {
      const i = bindings.indexOf(binding);
      if (i >= 0) bindings.splice(i, 1);
    };
  }, [keys, description]);
}

/** The shortcuts active right now, for the help dialog (one line per key). */
export function activeShortcuts(): ShortcutHelp[] {
  const seen = new Map<string, ShortcutHelp>();
  for (const b of bindings) seen.set(b.keys, { keys: b.keys, description: b.description });
  return [...seen.values()];
}

/** Binds a fixed list of shortcuts while the component is mounted. */
export function useShortcuts(list: readonly { keys: string; description: string; handler: Handler }[]): void {
  const ref = useRef(list);
  ref.current = list;
  const signature = list.map((s) => `${s.keys}\u0000${s.description}`).join('\u0001');
  useEffect(() => {
    const added: Binding[] = ref.current.map((s, i) => ({
      keys: s.keys,
      description: s.description,
      handler: { current: (e: KeyboardEvent) => ref.current[i]?.handler(e) },
    }));
    bindings.push(...added);
    return () => {
      for (const b of added) {
        const i = bindings.indexOf(b);
        if (i >= 0) bindings.splice(i, 1);
      }
    };
  }, [signature]);
}
