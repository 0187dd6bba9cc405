import { Link } from './link.tsx';

/** The Metrics / Logs / Traces switch at the top of Explore, keeping the time range. */
export function ExploreTabs(props: { current: 'metrics' | 'logs' | 'traces'; params: URLSearchParams }) {
  const keep = new URLSearchParams();
  for (const k of ['from', 'to']) {
    const v = props.params.get(k);
    if (v) keep.set(k, v);
  }
  const qs = keep.toString() ? `?${keep}` : '';
  return (
    <nav class="segmented" aria-label="Explore">
      {(['metrics', 'logs', 'traces'] as const).map((k) => (
        <Link key={k} href={`/explore/${k}${qs}`} class={`seg-link${props.current === k ? ' on' : ''}`}>
          {k[0].toUpperCase() + k.slice(1)}
        </Link>
      ))}
    </nav>
  );
}
