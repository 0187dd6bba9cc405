import type { ComponentChildren } from 'preact';
import { isModifiedClick, navigate } from '../lib/router.ts';

/** An onClick for in-app links: client-side navigation unless the user asked for a new tab. */
export function linkHandler(href: string) {
  return (e: MouseEvent) => {
    if (isModifiedClick(e)) return;
    e.preventDefault();
    navigate(href);
  };
}

/** A link inside the app (no page reload); Ctrl/Cmd-click still opens a new tab. */
export function Link(props: {
  href: string;
  class?: string;
  title?: string;
  children?: ComponentChildren;
  'data-testid'?: string;
  onClick?: (e: MouseEvent) => void;
}) {
  const { href, children, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        onClick?.(e);
        if (!e.defaultPrevented) linkHandler(href)(e);
      }}
    >
      {children}
    </a>
  );
}
