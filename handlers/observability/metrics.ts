import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics (prefix `runs_fleet_`). Label values are enums we own, never user input, so a
 * hostile label cannot blow up cardinality.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly webhooks: Counter<'result'>;
  readonly commands: Counter<'type' | 'outcome'>;
  readonly commandSeconds: Histogram<'type'>;
  readonly jobWaitSeconds: Histogram;
  readonly jobStartSeconds: Histogram;
  readonly quarantinedStreams: Gauge;
  readonly consumerLag: Gauge;
}

export const createMetrics = (withDefaults = true): Metrics => {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'runs_fleet_' });
  const registers = [registry];

  return {
    registry,
    webhooks: new Counter({
      name: 'runs_fleet_webhooks_total',
      help: 'Webhook deliveries by result (recorded, duplicate, ignored_<reason>, invalid, unauthorized, failed)',
      labelNames: ['result'],
      registers,
    }),
    commands: new Counter({
      name: 'runs_fleet_commands_total',
      help: 'Commands carried out, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers,
    }),
    commandSeconds: new Histogram({
      name: 'runs_fleet_command_seconds',
      help: 'Time to carry out a command, by type',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    jobWaitSeconds: new Histogram({
      name: 'runs_fleet_job_wait_seconds',
      help: 'From a job queued to its runner assigned',
      buckets: [1, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    jobStartSeconds: new Histogram({
      name: 'runs_fleet_job_start_seconds',
      help: 'From a job queued to the job started on a runner',
      buckets: [1, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    quarantinedStreams: new Gauge({
      name: 'runs_fleet_quarantined_streams',
      help: 'Streams whose projection is paused on a record this version cannot read',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'runs_fleet_consumer_lag_events',
      help: 'Events appended but not yet projected (embedded SQLite store; DynamoDB has no global order)',
      registers,
    }),
  };
};
