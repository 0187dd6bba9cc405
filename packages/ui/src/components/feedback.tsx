import type { ComponentChildren } from 'preact';
import { ApiError } from '../lib/api.ts';

/** A failure, with the server's own message; `title` says what was being done. */
export function ErrorBox(props: { title?: string; error: unknown; compact?: boolean }) {
  const { error } = props;
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status ? ` (HTTP ${error.status})` : '';
  return (
    <div class={`error-box${props.compact ? ' compact' : ''}`} role="alert">
      {props.title && (
        <div class="error-title">
          {props.title}
          <span class="muted">{status}</span>
        </div>
      )}
      <div class="error-message">{message}</div>
    </div>
  );
}

/** Warnings and infos a query returned alongside its result. */
export function QueryNotesView(props: { warnings: readonly string[]; infos: readonly string[] }) {
  if (props.warnings.length === 0 && props.infos.length === 0) return null;
  return (
    <div class="notes">
      {props.warnings.map((w) => (
        <div class="note warning" key={w}>
          <strong>Warning</strong> {w}
        </div>
      ))}
      {props.infos.map((w) => (
        <div class="note info" key={w}>
          <strong>Info</strong> {w}
        </div>
      ))}
    </div>
  );
}

/** A small inline progress indicator. */
export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="spinner-dot" />
      {props.label && <span class="muted">{props.label}</span>}
    </span>
  );
}

/** Shown where a result would be when there is none; says why and what to do. */
export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty-state">
      <div class="empty-title">{props.title}</div>
      {props.children && <div class="empty-body">{props.children}</div>}
    </div>
  );
}
