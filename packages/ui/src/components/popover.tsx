import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A dropdown panel anchored under its trigger. Closes on a click outside or Escape.
 */
export function Popover(props: {
  open: boolean;
  onClose: () => void;
  trigger: ComponentChildren;
  children: ComponentChildren;
  align?: 'left' | 'right';
  class?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { open, onClose } = props;
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open, onClose]);
  return (
    <div class="popover-anchor" ref={ref}>
      {props.trigger}
      {open && (
        <div
          class={`popover${props.class ? ` ${props.class}` : ''}`}
          style={props.align === 'left' ? { left: 0, right: 'auto' } : undefined}
        >
          {props.children}
        </div>
      )}
    </div>
  );
}
