/**
 * Prometheus metrics (prom-client) on their own registry, so several bots in one process (tests,
 * the demo) do not collide. Served at GET /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PollMetrics } from './watch/poller';

export class Metrics implements PollMetrics {
  readonly registry = new Registry();
  private readonly polls: Counter<'outcome'>;
  private readonly pollErrors: Counter<'kind'>;
  private readonly bkLatency: Histogram<'api' | 'outcome'>;
  private readonly notifications: Counter<'event'>;
  private readonly slackErrors: Counter<'method' | 'code'>;

  constructor(options: { defaultMetrics?: boolean; activeWatches?: () => Promise<number> } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'joblog_' });
    this.polls = new Counter({ name: 'joblog_polls_total', help: 'Watch polls, by outcome', labelNames: ['outcome'], registers });
    this.pollErrors = new Counter({ name: 'joblog_poll_errors_total', help: 'Failed watch polls, by error kind', labelNames: ['kind'], registers });
    this.bkLatency = new Histogram({
      name: 'joblog_bkjob_request_duration_seconds',
      help: 'BlueKing JOB API call latency',
      labelNames: ['api', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.notifications = new Counter({ name: 'joblog_notifications_sent_total', help: 'Watch notifications posted to Slack, by event', labelNames: ['event'], registers });
    this.slackErrors = new Counter({ name: 'joblog_slack_api_errors_total', help: 'Slack Web API errors, by method and error code', labelNames: ['method', 'code'], registers });
    const activeWatches = options.activeWatches;
    new Gauge({
      name: 'joblog_active_watches',
      help: 'Watches being polled',
      registers,
      async collect() {
        if (activeWatches) this.set(await activeWatches());
      },
    });
  }

  pollDone(outcome: 'ok' | 'error', errorKind?: string): void {
    this.polls.inc({ outcome });
    if (outcome === 'error') this.pollErrors.inc({ kind: errorKind ?? 'unknown' });
  }

  notificationSent(eventType: string): void {
    this.notifications.inc({ event: eventType });
  }

  slackError(method: string, code: string): void {
    this.slackErrors.inc({ method, code });
  }

  bkRequest(api: string, outcome: string, seconds: number): void {
    this.bkLatency.observe({ api, outcome }, seconds);
  }
}
