/** Label sets as compact chips; clickable when `onPick` is given (e.g. to add a filter). */
export function LabelChips(props: {
  labels: Readonly<Record<string, string>>;
  omit?: readonly string[];
  onPick?: (name: string, value: string) => void;
}) {
  const entries = Object.entries(props.labels)
    .filter(([k]) => !props.omit?.includes(k))
    .sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return null;
  return (
    <div class="chips">
      {entries.map(([k, v]) =>
        props.onPick ? (
          <button
            type="button"
            class="label-chip"
            key={k}
            title={`Filter by ${k}="${v}"`}
            onClick={() => props.onPick?.(k, v)}
          >
            <b>{k}=</b>
            {v}
          </button>
        ) : (
          <span class="label-chip" key={k} title={`${k}="${v}"`}>
            <b>{k}=</b>
            {v}
          </span>
        ),
      )}
    </div>
  );
}
