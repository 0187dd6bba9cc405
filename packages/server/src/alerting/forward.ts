/**
 * Forwarding to external Alertmanagers, as Prometheus's notifier does for `alerting.alertmanagers`:
 * alerts queue (10,000 at most; the oldest are dropped when full), go out in batches of up to 64
 * to every configured Alertmanager at once as POST <scheme>://<address><path_prefix>/api/v2/alerts,
 * after alert relabeling. A failed send is not retried: rules resend active alerts regularly.
 */
import type { Logger } from 'pino';
import type { AlertingConfigInput, AlertmanagerTargetConfig } from '../config/alerting.ts';
import { type Labels, labelsFromRecord, labelsToRecord } from '../model/labels.ts';
import { compileRelabelRules, type RelabelRule, relabel } from '../relabel/index.ts';
import type { Counter, SelfMetrics } from '../self/metrics.ts';
import type { PostableAlert } from './alertmanager.ts';
import { request } from './receivers/http.ts';

const QUEUE_CAPACITY = 10_000;
const MAX_BATCH = 64;

interface Target {
  readonly url: string;
  readonly config: AlertmanagerTargetConfig;
  readonly alertRelabel: readonly RelabelRule[];
}

/** Resolves the Alertmanagers of the config: static targets after target relabeling. */
export function resolveTargets(config: AlertingConfigInput): Target[] {
  const out: Target[] = [];
  for (const am of config.alertmanagers) {
    const rules = compileRelabelRules(am.relabel_configs);
    const alertRelabel = compileRelabelRules(am.alert_relabel_configs);
    for (const group of am.static_configs) {
      for (const address of group.targets) {
        const labels = relabel(
          labelsFromRecord({
            ...group.labels,
            __address__: address,
            __scheme__: am.scheme,
            __alerts_path__: joinPath(am.path_prefix, '/api/v2/alerts'),
          }),
          rules,
        );
        if (!labels) continue;
        const r = labelsToRecord(labels);
        if (!r.__address__) continue;
        out.push({
          url: `${r.__scheme__ || am.scheme}://${r.__address__}${r.__alerts_path__ || '/api/v2/alerts'}`,
          config: am,
          alertRelabel,
        });
      }
    }
  }
  return out;
}

function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

export class Forwarder {
  private readonly queue: PostableAlert[] = [];
  private targets: Target[];
  private sending: Promise<void> | undefined;
  private stopped = false;
  private readonly sent: Counter;
  private readonly errors: Counter;
  private readonly dropped: Counter;

  constructor(
    config: AlertingConfigInput,
    private readonly options: { readonly logger: Logger; readonly self: SelfMetrics },
  ) {
    this.targets = resolveTargets(config);
    const { self } = options;
    this.sent = self.counter('prometheus_notifications_sent_total', 'Total number of alerts sent.', [
      'alertmanager',
    ]);
    this.errors = self.counter(
      'prometheus_notifications_errors_total',
      'Total number of sent alerts affected by errors.',
      ['alertmanager'],
    );
    this.dropped = self.counter(
      'prometheus_notifications_dropped_total',
      'Total number of alerts dropped due to errors when sending to Alertmanager.',
    );
    const queueLength = self.gauge(
      'prometheus_notifications_queue_length',
      'The number of alert notifications in the queue.',
    );
    queueLength.collect(() => queueLength.set(this.queue.length));
    const discovered = self.gauge(
      'prometheus_notifications_alertmanagers_discovered',
      'The number of alertmanagers discovered and active.',
    );
    discovered.collect(() => discovered.set(this.targets.length));
  }

  /** Whether any Alertmanager is configured. */
  get active(): boolean {
    return this.targets.length > 0;
  }

  /** Replaces the Alertmanagers (on reload); queued alerts go to the new ones. */
  update(config: AlertingConfigInput): void {
    this.targets = resolveTargets(config);
  }

  /** Queues alerts (already through the global alert_relabel_configs) for sending; never throws. */
  send(alerts: readonly PostableAlert[]): void {
    if (this.stopped || this.targets.length === 0) return;
    this.queue.push(...alerts);
    const overflow = this.queue.length - QUEUE_CAPACITY;
    if (overflow > 0) {
      this.queue.splice(0, overflow);
      this.dropped.inc(overflow);
      this.options.logger.warn({ count: overflow }, 'Alert notification queue full, dropping alerts');
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
  }

  /** Sends what is queued (one last time) and stops. */
  async stop(): Promise<void> {
    await this.sending;
    if (this.queue.length > 0) await this.drain();
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      await Promise.all(this.targets.map((t) => this.sendBatch(t, batch)));
    }
  }

  private async sendBatch(target: Target, batch: readonly PostableAlert[]): Promise<void> {
    const alerts = batch.flatMap((a) => {
      const labels: Labels | undefined = relabel(labelsFromRecord(a.labels), target.alertRelabel);
      if (!labels || labels.length === 0) return [];
      const out: Record<string, unknown> = {
        labels: labelsToRecord(labels),
        annotations: a.annotations,
      };
      if (a.startsAt) out.startsAt = new Date(a.startsAt).toISOString();
      if (a.endsAt) out.endsAt = new Date(a.endsAt).toISOString();
      if (a.generatorURL) out.generatorURL = a.generatorURL;
      return [out];
    });
    if (alerts.length === 0) return;
    const name = target.url;
    try {
      const res = await request(target.url, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(target.config.timeout),
        httpConfig: target.config.http_config,
      });
      if (res.status < 200 || res.status >= 300) {
        throw new Error(
          `bad response status ${res.status}${res.body ? `: ${res.body.trim().slice(0, 500)}` : ''}`,
        );
      }
      this.sent.labels(name).inc(alerts.length);
    } catch (err) {
      this.errors.labels(name).inc(alerts.length);
      this.sent.labels(name).inc(alerts.length);
      this.options.logger.error(
        { alertmanager: name, count: alerts.length, err: (err as Error).message },
        'Error sending alerts to Alertmanager',
      );
    }
  }
}
