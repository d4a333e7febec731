import type { Envelope } from '../../domain/events/domain-event.js';
import { toMillis } from '../../domain/shared/time.js';
import type { ReadModels } from '../../projections/read-models.js';
import type { Metrics } from './metrics.js';

/**
 * Observes how long jobs wait, on the orchestrator's clock: queued → runner assigned, and queued → started. Fed by the
 * pipeline with applied events only, so a redelivered event is not counted twice.
 */
export const observeJobLatency =
  (metrics: Metrics) =>
  (envelope: Envelope, models: ReadModels): void => {
    const { type } = envelope.event;
    if (type !== 'RunnerAssigned' && type !== 'JobStarted') return;
    const queuedAt = models.job(envelope.streamId.slice('job#'.length))?.times.queuedAt ?? null;
    if (queuedAt === null) return;
    const seconds = Math.max(0, (toMillis(envelope.metadata.at) - toMillis(queuedAt)) / 1000);
    (type === 'RunnerAssigned' ? metrics.jobWaitSeconds : metrics.jobStartSeconds).observe(seconds);
  };
