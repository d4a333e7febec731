import type { Envelope } from '../domain/events/domain-event.js';
import type { JobEvent } from '../domain/events/job-events.js';
import type { MachineEvent } from '../domain/events/machine-events.js';
import type { PoolEvent } from '../domain/events/pool-events.js';
import { machineIdFromRunnerName } from '../domain/machine/launch-request.js';
import type {
  EntityIndex,
  PoolClaimRef,
  ProcessSettings,
  ProcessViews,
  RunnerUse,
} from '../domain/process/process-views.js';
import { foldInterruption, type BreakerState } from '../domain/spot/circuit-breaker.js';
import { parseStreamId, type StreamCategory } from '../domain/shared/ids.js';
import { evolveJobView, initialJobView, type JobView } from './job-view.js';
import { evolveMachineView, initialMachineView, type MachineView } from './machine-view.js';
import { evolvePoolView, initialPoolView, type PoolView } from './pool-view.js';
import { guard, type GuardOutcome } from './stream-cursor.js';
import type { StoredView, ViewKind, ViewWrite } from './view-store.js';
import { isTerminal } from '../domain/job/job-state.js';

/**
 * The read models held in memory: job, machine and pool views, the runner-use index (which job each machine's runner
 * took) and the spot circuit breaker. No I/O, clock or randomness; every change goes through `apply`, which enforces
 * the per-stream version guard, so duplicated and redelivered events change nothing.
 */

export interface Quarantine {
  readonly streamId: string;
  readonly version: number;
  readonly reason: string;
}

export type ApplyOutcome = GuardOutcome | { readonly kind: 'quarantined' };

export class ReadModels implements ProcessViews, EntityIndex {
  readonly jobs = new Map<string, JobView>();
  readonly machines = new Map<string, MachineView>();
  readonly pools = new Map<string, PoolView>();
  readonly quarantined = new Map<string, Quarantine>();
  private readonly uses = new Map<string, RunnerUse>();
  /** Warm-pool claims by job: keeps the launch rule from claiming or cold-starting twice for one attempt. */
  private readonly claims = new Map<string, PoolClaimRef>();
  private breakerState: BreakerState = {};
  /** Views changed since the last `takeChanges`, with the version each had when loaded (0 = new). */
  private readonly dirty = new Map<string, { readonly kind: ViewKind; readonly id: string; readonly base: number }>();
  private readonly revisions = new Map<string, number>();

  /**
   * `trackChanges: false` for a fold that never persists its views (replay): no record of what changed to take, so
   * nothing grows with the number of views but the views themselves.
   */
  constructor(
    readonly settings: ProcessSettings,
    private readonly options: { readonly trackChanges: boolean } = { trackChanges: true },
  ) {}

  get breaker(): BreakerState {
    return this.breakerState;
  }

  job(jobId: string): JobView | undefined {
    return this.jobs.get(jobId);
  }

  machine(machineId: string): MachineView | undefined {
    return this.machines.get(machineId);
  }

  runnerUse(machineId: string): RunnerUse | undefined {
    return this.uses.get(machineId);
  }

  pool(name: string): PoolView | undefined {
    return this.pools.get(name);
  }

  poolClaim(jobId: string): PoolClaimRef | undefined {
    return this.claims.get(jobId);
  }

  poolNames(): Iterable<string> {
    return this.pools.keys();
  }

  jobIds(): Iterable<string> {
    return this.jobs.keys();
  }

  machineIds(): Iterable<string> {
    return this.machines.keys();
  }

  /** The last version applied from a stream: where a re-read after a gap starts. */
  cursor(streamId: string): number {
    const parsed = parseStreamId(streamId);
    if (parsed === null) return 0;

    return this.viewsOf(parsed.category).get(parsed.id)?.version ?? 0;
  }

  private viewsOf(category: StreamCategory): ReadonlyMap<string, { readonly version: number }> {
    return category === 'job' ? this.jobs : category === 'machine' ? this.machines : this.pools;
  }

  quarantine(entry: Quarantine): void {
    if (!this.quarantined.has(entry.streamId)) this.quarantined.set(entry.streamId, entry);
  }

  release(streamId: string): void {
    this.quarantined.delete(streamId);
  }

  apply(envelope: Envelope): ApplyOutcome {
    if (this.quarantined.size > 0 && this.quarantined.has(envelope.streamId)) return { kind: 'quarantined' };
    // The stream id parsed once per event (it was three times: cursor, id, category).
    const parsed = parseStreamId(envelope.streamId);
    const current = parsed === null ? undefined : this.viewsOf(parsed.category).get(parsed.id);
    const outcome = guard(current?.version ?? 0, envelope.version);
    if (outcome.kind !== 'apply') return outcome;
    const id = parsed?.id ?? envelope.streamId;
    switch (parsed?.category) {
      case 'job':
        this.applyJob(id, envelope as Envelope<JobEvent>, current as JobView | undefined);
        break;
      case 'machine':
        this.applyMachine(id, envelope as Envelope<MachineEvent>, current as MachineView | undefined);
        break;
      case 'pool':
        this.touch('pool', id, envelope.version - 1);
        this.pools.set(id, evolvePoolView(this.pools.get(id) ?? initialPoolView(id), envelope as Envelope<PoolEvent>));
        break;
    }

    return outcome;
  }

  /** `before`: the job's view, already looked up by `apply` (a lookup in a map of every job costs). */
  private applyJob(jobId: string, envelope: Envelope<JobEvent>, before = this.jobs.get(jobId)): void {
    this.touch('job', jobId, envelope.version - 1);
    this.jobs.set(jobId, evolveJobView(before ?? initialJobView, envelope));
    const { event } = envelope;
    if (event.type !== 'JobStarted') return;
    const machineId = machineIdFromRunnerName(event.data.runnerName);
    // A runner runs one job; should two reports name the same runner, the smaller job id wins, so that the index does
    // not depend on the order in which the two job streams are delivered.
    const current = machineId === null ? undefined : this.uses.get(machineId);
    if (machineId !== null && (current === undefined || jobId < current.jobId)) {
      this.touch('runner-use', machineId, this.revisions.get(`runner-use#${machineId}`) ?? 0);
      this.uses.set(machineId, { jobId, cause: { streamId: envelope.streamId, version: envelope.version } });
    }
  }

  private applyMachine(
    machineId: string,
    envelope: Envelope<MachineEvent>,
    before = this.machines.get(machineId),
  ): void {
    this.touch('machine', machineId, envelope.version - 1);
    const view = evolveMachineView(before ?? initialMachineView, envelope);
    this.machines.set(machineId, view);
    if (envelope.event.type === 'MachineClaimed') this.indexClaim(machineId, envelope.event.data);
    if (envelope.event.type === 'SpotInterruptionWarned' && view.instanceType !== null && view.capacity === 'spot') {
      this.touch('breaker', view.instanceType, this.revisions.get(`breaker#${view.instanceType}`) ?? 0);
      this.breakerState = foldInterruption(this.breakerState, view.instanceType, envelope.metadata.at);
    }
  }

  /** The latest attempt's claim wins, whatever order the machine streams arrive in. */
  private indexClaim(machineId: string, claim: { readonly jobId: string; readonly attempt: number }): void {
    const current = this.claims.get(claim.jobId);
    const newer =
      current === undefined ||
      claim.attempt > current.attempt ||
      (claim.attempt === current.attempt && machineId < current.machineId);
    if (!newer) return;
    this.touch('pool-claim', claim.jobId, this.revisions.get(`pool-claim#${claim.jobId}`) ?? 0);
    this.claims.set(claim.jobId, { attempt: claim.attempt, machineId });
  }

  private touch(kind: ViewKind, id: string, base: number): void {
    if (!this.options.trackChanges) return;
    const key = `${kind}#${id}`;
    if (!this.dirty.has(key)) this.dirty.set(key, { kind, id, base });
  }

  /** Seeds the models with views loaded from a `ViewStore`; their versions become the base of later writes. */
  load(views: ReadonlyArray<StoredView>): void {
    for (const stored of views) {
      const key = `${stored.kind}#${stored.id}`;
      if (this.dirty.has(key)) continue;
      switch (stored.kind) {
        case 'job':
          this.jobs.set(stored.id, stored.body as JobView);
          break;
        case 'machine':
          this.machines.set(stored.id, stored.body as MachineView);
          break;
        case 'pool':
          this.pools.set(stored.id, stored.body as PoolView);
          break;
        case 'runner-use':
          this.uses.set(stored.id, stored.body as RunnerUse);
          this.revisions.set(key, stored.version);
          break;
        case 'pool-claim':
          this.claims.set(stored.id, stored.body as PoolClaimRef);
          this.revisions.set(key, stored.version);
          break;
        case 'breaker':
          this.breakerState = { ...this.breakerState, [stored.id]: stored.body as ReadonlyArray<string> };
          this.revisions.set(key, stored.version);
          break;
      }
    }
  }

  /** The conditional writes that persist everything changed since the last call. */
  takeChanges(): ReadonlyArray<ViewWrite> {
    const writes = [...this.dirty.values()].flatMap(({ kind, id, base }): ViewWrite[] => {
      const view = this.storedView(kind, id, base);

      return view === null ? [] : [{ view, expectedVersion: base }];
    });
    this.dirty.clear();
    for (const { view } of writes) {
      if (view.kind === 'runner-use' || view.kind === 'breaker' || view.kind === 'pool-claim')
        this.revisions.set(`${view.kind}#${view.id}`, view.version);
    }

    return writes;
  }

  private storedView(kind: ViewKind, id: string, base: number): StoredView | null {
    switch (kind) {
      case 'job': {
        const job = this.jobs.get(id);

        return job === undefined
          ? null
          : { kind, id, version: job.version, active: !isTerminal(job.status), body: job };
      }
      case 'machine': {
        const machine = this.machines.get(id);
        const active = machine !== undefined && machine.status !== 'terminated' && machine.status !== 'failed';

        return machine === undefined ? null : { kind, id, version: machine.version, active, body: machine };
      }
      case 'pool': {
        const pool = this.pools.get(id);

        return pool === undefined ? null : { kind, id, version: pool.version, active: !pool.removed, body: pool };
      }
      case 'runner-use': {
        const use = this.uses.get(id);

        return use === undefined ? null : { kind, id, version: base + 1, active: true, body: use };
      }
      case 'breaker':
        return { kind, id, version: base + 1, active: true, body: this.breakerState[id] ?? [] };
      case 'pool-claim': {
        const claim = this.claims.get(id);

        return claim === undefined ? null : { kind, id, version: base + 1, active: true, body: claim };
      }
    }
  }

  /** A canonical, order-independent rendering, for replay-determinism and delivery-tolerance checks. */
  snapshot(): string {
    const sorted = <V>(map: ReadonlyMap<string, V>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

    return JSON.stringify({
      jobs: sorted(this.jobs),
      machines: sorted(this.machines),
      pools: sorted(this.pools),
      uses: sorted(this.uses),
      claims: sorted(this.claims),
      breaker: Object.entries(this.breakerState).sort(([a], [b]) => (a < b ? -1 : 1)),
      quarantined: sorted(this.quarantined),
    });
  }
}
