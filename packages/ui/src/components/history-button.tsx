import { useCallback, useState } from 'preact/hooks';
import { clearHistory, readHistory } from '../lib/history.ts';
import { formatAgo } from '../lib/time.ts';
import { Icon } from './icons.tsx';
import { Popover } from './popover.tsx';

/** The query history of one language (newest first), in a popover; picking puts it in the editor. */
export function HistoryButton(props: { language: string; onPick: (query: string) => void }) {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const [version, setVersion] = useState(0);
  const entries = open ? readHistory(props.language) : [];
  return (
    <Popover
      open={open}
      onClose={close}
      trigger={
        <button
          type="button"
          class="btn"
          onClick={() => setOpen(!open)}
          title="Query history"
          data-testid="history"
        >
          <Icon name="history" size={16} />
        </button>
      }
    >
      <div class="history-list" data-version={version}>
        {entries.length === 0 && (
          <div class="muted" style={{ padding: '8px 10px' }}>
            Queries you run appear here.
          </div>
        )}
        {entries.map((e) => (
          <button
            type="button"
            key={e.query}
            class="menu-item history-item"
            onClick={() => {
              props.onPick(e.query);
              setOpen(false);
            }}
          >
            <code>{e.query}</code>
            <span class="when">{formatAgo(e.at)}</span>
          </button>
        ))}
        {entries.length > 0 && (
          <div style={{ padding: '6px 4px 2px', textAlign: 'right' }}>
            <button
              type="button"
              class="btn small"
              onClick={() => {
                clearHistory(props.language);
                setVersion((v) => v + 1);
              }}
            >
              Clear history
            </button>
          </div>
        )}
      </div>
    </Popover>
  );
}
