import { EmptyState } from '../../components/feedback.tsx';
import { formatExact, type Metric } from '../../lib/format.ts';
import type { InstantResult, RangeSeries } from '../../lib/prom.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatTime } from '../../lib/time.ts';

/** A series name with the metric name, label names and values told apart by colour. */
export function SeriesName(props: { metric: Metric }) {
  const { __name__: name, ...labels } = props.metric;
  const keys = Object.keys(labels).sort();
  return (
    <span class="series-name">
      {name}
      {(keys.length > 0 || !name) && '{'}
      {keys.map((k, i) => (
        <span key={k}>
          <span class="lname">{k}</span>="<span class="lvalue">{labels[k]}</span>"
          {i < keys.length - 1 ? ', ' : ''}
        </span>
      ))}
      {(keys.length > 0 || !name) && '}'}
    </span>
  );
}

/** The result of an instant query as a table. */
export function InstantTable(props: { result: InstantResult }) {
  const { utc } = useSettings();
  const r = props.result;
  if (r.resultType === 'scalar' || r.resultType === 'string') {
    return (
      <div class="stack" data-testid="instant-table">
        <div class="muted">
          {r.resultType} at {formatTime(r.time, utc)}
        </div>
        <div class="value-big mono">{r.value}</div>
      </div>
    );
  }
  if (r.result.length === 0)
    return <EmptyState title="No data">The query returned an empty result.</EmptyState>;
  if (r.resultType === 'vector') {
    return (
      <div class="table-wrap">
        <table class="data" data-testid="instant-table">
          <thead>
            <tr>
              <th>Series</th>
              <th class="num">Value</th>
            </tr>
          </thead>
          <tbody>
            {r.result.map((s) => (
              <tr key={JSON.stringify(s.metric)}>
                <td>
                  <SeriesName metric={s.metric} />
                </td>
                <td class="num">{formatExact(s.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return <MatrixTable series={r.result} utc={utc} />;
}

function MatrixTable(props: { series: RangeSeries[]; utc: boolean }) {
  const { utc } = props;
  return (
    <div class="table-wrap">
      <table class="data" data-testid="instant-table">
        <thead>
          <tr>
            <th>Series</th>
            <th>Samples</th>
          </tr>
        </thead>
        <tbody>
          {props.series.map((s) => (
            <tr key={JSON.stringify(s.metric)}>
              <td>
                <SeriesName metric={s.metric} />
              </td>
              <td class="mono" style={{ fontSize: '12px' }}>
                {s.times.map((t, i) => (
                  <div key={t}>
                    {formatExact(s.values[i])}{' '}
                    <span class="muted">@{formatTime(t, utc, { millis: true })}</span>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
