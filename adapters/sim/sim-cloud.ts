import * as E from 'fp-ts/lib/Either.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ComputePort, LaunchedMachine, LaunchFailure } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import type { Capacity } from '../../domain/shared/codecs.js';
import { randomHex, randomInt, seededRandom, type Random } from './random.js';
import { startSimAgent, type SimAgent, type SimAgentTiming } from './sim-agent.js';
import type { SimGithubRunnerSide } from './sim-github.js';
import { errorMessage, silentLogger, simLogger, type SimLogger } from './sim-log.js';
import { backoffMs, createTimerSet, sleep } from './timers.js';
import { managedMachines } from './managed.js';

/**
 * THE SIMULATED CLOUD (DESIGN section 6): the embedded default compute. No cloud account, no real machine: a
 * "machine" is a record and a few timers in this process. It implements the ComputePort like the EC2 adapter does
 * (launch idempotent per commandId like EC2's ClientToken, the commandId kept as a tag for `findByCommandId`) and
 * reports lifecycle facts as EventBridge and the agent would: pending → (bootDelay) → running (`MachineRunning`),
 * then the simulated agent (sim-agent.ts) runs on it; stop/start (`MachineStopped`/`MachineStarted`), spot
 * interruption (`SpotInterruptionWarned`, then termination after a notice), and `MachineTerminated` once.
 *
 * Faults are injected BY CONFIGURATION, drawn from a seeded PRNG (same seed, same faults): spot capacity errors,
 * types that always fail, throttling, spot interruptions. Every log line carries `sim: true`.
 */
export interface SimCloudOptions {
  /** Where lifecycle facts go; the composition root appends them to the event store. */
  readonly report: (machineId: string, observation: Observation) => Promise<void>;
  /** The agent's side: with both, machines run the simulated agent; without, they boot and idle until terminated. */
  readonly runnerConfigs?: RunnerConfigStore;
  readonly github?: SimGithubRunnerSide;
  readonly logger?: SimLogger;
  readonly random?: Random;
  /** Seeds `random` when it is not given; default: the clock (logged, so a run can be repeated). */
  readonly seed?: number;
  /** pending → running. Default 2000. */
  readonly bootDelayMs?: number;
  /** How long a simulated job runs. Default 3000, ± jobJitter (default 0.2). */
  readonly jobDurationMs?: number;
  readonly jobJitter?: number;
  /** How long a registered runner waits for a job before it exits. Default 60000. */
  readonly idleTimeoutMs?: number;
  /** How long the agent waits for its runner config before it exits. Default idleTimeoutMs. */
  readonly configWaitMs?: number;
  /** How often the agent polls the config store and GitHub. Default 250. */
  readonly pollIntervalMs?: number;
  /** Spot interruption notice before termination (EC2 gives 2 minutes). Default 2000. */
  readonly interruptionNoticeMs?: number;
  /** 0..1: share of spot launches refused with `InsufficientInstanceCapacity`. Default 0. */
  readonly capacityErrorRate?: number;
  /** Instance types that always fail for capacity (spot and on-demand). Default none. */
  readonly refuseTypes?: ReadonlyArray<string>;
  /** 0..1 per running spot machine, decided once at its first boot. Default 0. */
  readonly spotInterruptionRate?: number;
  /** 0..1: share of launches refused with `RequestLimitExceeded`. Default 0. */
  readonly throttleRate?: number;
  /**
   * Behave like the emulators (moto) and unlike AWS: a second launch with the same commandId creates ANOTHER machine
   * (tagged with the same commandId) instead of answering the first. Only the executor's commandId lookup then stands
   * between a crash after a launch and a duplicate machine; the fault soak runs with it. Default false.
   */
  readonly ignoreClientToken?: boolean;
  readonly zones?: ReadonlyArray<string>;
  /** A failing report is retried: default 4 attempts, 200 ms doubling (then logged and dropped). */
  readonly reportRetry?: { readonly attempts?: number; readonly baseMs?: number };
}

export type SimMachineState = 'pending' | 'running' | 'stopped' | 'terminated';

export interface SimMachineSnapshot {
  readonly machineId: string;
  readonly commandId: string;
  readonly cloudId: string;
  readonly kind: 'instance' | 'pod';
  readonly state: SimMachineState;
  readonly capacity: Capacity;
  readonly instanceType: string | null;
  readonly zone: string | null;
  readonly label: string;
  readonly runnerName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly launchedAt: string;
  /** The job attempt the launch request names (null for a machine launched for no job, e.g. a pool member). */
  readonly requestedFor: { readonly jobId: string; readonly attempt: number | null } | null;
  readonly jobId: string | null;
  readonly interrupted: boolean;
  readonly terminationReason: string | null;
}

export interface SimCloud extends ComputePort {
  stop(machineIds: ReadonlyArray<string>): Promise<void>;
  start(machineIds: ReadonlyArray<string>): Promise<void>;
  /** A spot interruption (a node disruption for a pod); false when there is nothing to interrupt (on-demand, gone). */
  interrupt(machineId: string): Promise<boolean>;
  machines(): ReadonlyArray<SimMachineSnapshot>;
  /** Resolves when every queued lifecycle report has been delivered (or dropped). */
  settled(): Promise<void>;
  /** Clears every timer and stops every agent; nothing is reported afterwards. */
  close(): void;
  readonly seed: number | null;
}

export const COMMAND_ID_TAG = 'runs-fleet:command-id';
export const MACHINE_ID_TAG = 'runs-fleet:machine-id';

interface MachineRecord {
  snapshot: SimMachineSnapshot;
  agent: SimAgent | null;
  /** Decided once at the first boot: the fraction of the run at which this spot machine is interrupted. */
  interruptAt: number | null | undefined;
  interruptScheduled: boolean;
  /** A warm-pool member launched for no job: its agent stands by for a config until the machine is stopped. */
  poolMember: boolean;
  cancels: Array<() => void>;
  reports: Promise<void>;
}

/** The defaults of every tunable option (SimCloudOptions documents each). */
export const SIM_CLOUD_DEFAULTS = {
  bootDelayMs: 2000,
  jobDurationMs: 3000,
  jobJitter: 0.2,
  idleTimeoutMs: 60_000,
  pollIntervalMs: 250,
  interruptionNoticeMs: 2000,
  capacityErrorRate: 0,
  spotInterruptionRate: 0,
  throttleRate: 0,
  ignoreClientToken: false,
  refuseTypes: [] as ReadonlyArray<string>,
  zones: ['sim-1a', 'sim-1b', 'sim-1c'] as ReadonlyArray<string>,
};

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

/** Options given as `undefined` keep their default. */
const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

const settingsOf = (options: SimCloudOptions) => {
  const s = { ...SIM_CLOUD_DEFAULTS, ...definedOnly(options) };
  const timing: SimAgentTiming = {
    configWaitMs: s.configWaitMs ?? s.idleTimeoutMs,
    idleTimeoutMs: s.idleTimeoutMs,
    jobDurationMs: s.jobDurationMs,
    jobJitter: s.jobJitter,
    pollIntervalMs: s.pollIntervalMs,
  };

  return {
    timing,
    bootDelayMs: s.bootDelayMs,
    noticeMs: s.interruptionNoticeMs,
    capacityErrorRate: clamp01(s.capacityErrorRate),
    spotInterruptionRate: clamp01(s.spotInterruptionRate),
    throttleRate: clamp01(s.throttleRate),
    ignoreClientToken: s.ignoreClientToken,
    refused: new Set(s.refuseTypes),
    zones: s.zones,
    reportAttempts: Math.max(1, s.reportRetry?.attempts ?? 4),
    reportBaseMs: s.reportRetry?.baseMs ?? 200,
  };
};

export const createSimCloud = (options: SimCloudOptions): SimCloud => {
  const seed = options.random === undefined ? (options.seed ?? Date.now() % 2 ** 31) : (options.seed ?? null);
  const random = options.random ?? seededRandom(seed ?? 0);
  const log = simLogger(options.logger ?? silentLogger, 'sim-cloud');
  const agentLog = simLogger(options.logger ?? silentLogger, 'sim-agent');
  const settings = settingsOf(options);
  const { timing, bootDelayMs, noticeMs, capacityErrorRate, spotInterruptionRate, throttleRate, refused, zones } =
    settings;
  const { reportAttempts, reportBaseMs, ignoreClientToken } = settings;
  const timers = createTimerSet();
  const closed = new AbortController();
  const byMachineId = new Map<string, MachineRecord>();
  const byCommandId = new Map<string, MachineRecord>();
  /** With ignoreClientToken: the second and later machines launched under a commandId (and so a machineId). */
  const duplicates: MachineRecord[] = [];
  const pendingReports = new Set<Promise<void>>();
  const agentConfigured = options.runnerConfigs !== undefined && options.github !== undefined;

  log.info(
    {
      seed,
      bootDelayMs,
      ...timing,
      capacityErrorRate,
      refuseTypes: [...refused],
      spotInterruptionRate,
      throttleRate,
      ignoreClientToken,
      agent: agentConfigured,
    },
    'SIMULATED cloud: no real machines are started',
  );

  // Lifecycle reports go out in order per machine. A report that fails (the store is busy or down) is retried a few
  // times with backoff, then logged and DROPPED: the simulation does not hold facts forever, and the orchestrator's
  // timeouts and housekeeping deal with a machine whose report never arrived, as they would with a lost EventBridge
  // event.
  const deliver = async (machineId: string, observation: Observation): Promise<void> => {
    for (let attempt = 0; attempt < reportAttempts && !closed.signal.aborted; attempt += 1) {
      try {
        await options.report(machineId, observation);

        return;
      } catch (e) {
        log.warn(
          { machineId, observation: observation.type, attempt: attempt + 1, err: errorMessage(e) },
          'lifecycle report failed',
        );
        if (attempt + 1 < reportAttempts) await sleep(backoffMs(attempt, reportBaseMs, 10_000), closed.signal);
      }
    }
    log.error({ machineId, observation: observation.type }, 'lifecycle report dropped after retries');
  };

  const report = (record: MachineRecord, observation: Observation): void => {
    if (closed.signal.aborted) return;
    const { machineId } = record.snapshot;
    log.info(
      { machineId, cloudId: record.snapshot.cloudId, observation: observation.type, data: observation.data },
      'simulated lifecycle fact',
    );
    const next = record.reports.then(() => deliver(machineId, observation));
    record.reports = next;
    pendingReports.add(next);
    void next.finally(() => pendingReports.delete(next));
  };

  const set = (record: MachineRecord, change: Partial<SimMachineSnapshot>): void => {
    record.snapshot = { ...record.snapshot, ...change };
  };

  const later = (record: MachineRecord, ms: number, run: () => void): void => {
    record.cancels.push(timers.after(ms, run));
  };

  const cancelAll = (record: MachineRecord): void => {
    for (const cancel of record.cancels.splice(0)) cancel();
  };

  const haltAgent = (record: MachineRecord): void => {
    record.agent?.stop();
    record.agent = null;
    set(record, { jobId: null });
  };

  const terminateOne = (record: MachineRecord, reason: string): void => {
    if (record.snapshot.state === 'terminated') return;
    cancelAll(record);
    haltAgent(record);
    set(record, { state: 'terminated', terminationReason: reason });
    log.info({ machineId: record.snapshot.machineId, reason }, 'simulated machine terminated');
    report(record, { type: 'MachineTerminated', data: { cloudId: record.snapshot.cloudId, reason } });
  };

  const scheduleInterruption = (record: MachineRecord, withinMs: number): void => {
    if (record.interruptAt === null || record.interruptAt === undefined || record.interruptScheduled) return;
    record.interruptScheduled = true;
    later(record, Math.round(record.interruptAt * withinMs), () => void interruptRecord(record));
  };

  const startAgent = (record: MachineRecord): void => {
    if (options.runnerConfigs === undefined || options.github === undefined) {
      // A bare machine: boots and idles until terminated (the interruption, if any, falls within a job's length).
      scheduleInterruption(record, timing.jobDurationMs);

      return;
    }
    record.agent = startSimAgent({
      machineId: record.snapshot.machineId,
      runnerConfigs: options.runnerConfigs,
      github: options.github,
      random,
      logger: agentLog,
      // A pool member waits for its claim however long it idles; the pool's reconciler decides when it goes.
      timing: record.poolMember ? { ...timing, configWaitMs: Number.POSITIVE_INFINITY } : timing,
      closed: closed.signal,
      report: (observation) => report(record, observation),
      onJobStarted: (job, durationMs) => {
        set(record, { jobId: job.id });
        scheduleInterruption(record, durationMs);
      },
      exit: (reason) => {
        set(record, { jobId: null });
        record.agent = null;
        terminateOne(record, reason);
      },
    });
  };

  const boot = (record: MachineRecord, observation: 'MachineRunning' | 'MachineStarted'): void => {
    later(record, bootDelayMs, () => {
      if (record.snapshot.state !== 'pending') return;
      set(record, { state: 'running' });
      report(record, { type: observation, data: { cloudId: record.snapshot.cloudId } });
      if (record.interruptAt === undefined) {
        const spot = record.snapshot.capacity === 'spot' && spotInterruptionRate > 0;
        record.interruptAt = spot && random() < spotInterruptionRate ? random() : null;
      }
      startAgent(record);
    });
  };

  const interruptRecord = (record: MachineRecord | undefined): boolean => {
    if (record === undefined || record.snapshot.state === 'terminated' || record.snapshot.interrupted) return false;
    const { machineId } = record.snapshot;
    const pod = record.snapshot.kind === 'pod';
    if (!pod && record.snapshot.capacity !== 'spot') {
      log.warn({ machineId }, 'on-demand machines are not interrupted');

      return false;
    }
    set(record, { interrupted: true });
    log.info({ machineId, noticeMs }, 'simulated spot interruption: termination after the notice');
    report(record, {
      type: 'SpotInterruptionWarned',
      data: { cloudId: record.snapshot.cloudId, kind: pod ? 'node-disruption' : 'spot-interruption' },
    });
    later(record, noticeMs, () => terminateOne(record, 'spot-interruption'));

    return true;
  };

  const interrupt = async (machineId: string): Promise<boolean> => interruptRecord(byMachineId.get(machineId));

  const capacityFailure = (command: ProvisionCommand, zone: string): LaunchFailure | null => {
    if (command.type !== 'LaunchMachine') return null;
    const { capacity, instanceTypes } = command.data.request;
    const spotRefused = capacity === 'spot' && capacityErrorRate > 0 && random() < capacityErrorRate;
    const usable = instanceTypes.filter((type) => !refused.has(type));
    if (!spotRefused && (instanceTypes.length === 0 || usable.length > 0)) return null;
    const message =
      capacity === 'spot'
        ? 'InsufficientInstanceCapacity: There is no Spot capacity available that matches your request.'
        : `InsufficientInstanceCapacity: We currently do not have sufficient ${instanceTypes.join(', ')} capacity in the ` +
          `Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity.`;

    return { errorClass: 'capacity', message, typesTried: [...instanceTypes] };
  };

  const toLaunched = ({ snapshot }: MachineRecord): LaunchedMachine => ({
    cloudId: snapshot.cloudId,
    instanceType: snapshot.instanceType,
    capacity: snapshot.capacity,
    zone: snapshot.zone,
    pricePerHour: null,
  });

  const newRecord = (command: ProvisionCommand, zone: string | null): MachineRecord => {
    const { machineId, request } = command.data;
    const pod = command.type === 'CreateRunnerPod';

    return {
      snapshot: {
        machineId,
        commandId: command.commandId,
        cloudId: pod ? request.runnerName : `i-${randomHex(random, 17)}`,
        kind: pod ? 'pod' : 'instance',
        state: 'pending',
        capacity: request.capacity,
        instanceType: pod ? null : (request.instanceTypes.find((type) => !refused.has(type)) ?? null),
        zone,
        label: request.label,
        runnerName: request.runnerName,
        tags: { [COMMAND_ID_TAG]: command.commandId, [MACHINE_ID_TAG]: machineId, 'runs-fleet:sim': 'true' },
        launchedAt: new Date().toISOString(),
        requestedFor: request.jobId === null ? null : { jobId: request.jobId, attempt: request.attempt },
        jobId: null,
        interrupted: false,
        terminationReason: null,
      },
      agent: null,
      interruptAt: undefined,
      interruptScheduled: false,
      poolMember: request.pool !== null && request.jobId === null,
      cancels: [],
      reports: Promise.resolve(),
    };
  };

  const keep = (record: MachineRecord, twin: boolean): void => {
    const { machineId, commandId } = record.snapshot;
    if (!twin) {
      byMachineId.set(machineId, record);
      byCommandId.set(commandId, record);

      return;
    }
    log.warn({ machineId, commandId }, 'ClientToken ignored: a second machine for one commandId');
    duplicates.push(record);
  };

  const launch = async (command: ProvisionCommand): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    // Like EC2's ClientToken: the same commandId gets the same machine back, whatever its state now.
    const existing = byCommandId.get(command.commandId);
    if (existing !== undefined && !ignoreClientToken) return E.right(toLaunched(existing));
    if (closed.signal.aborted) throw new Error('simulated cloud is closed');
    if (throttleRate > 0 && random() < throttleRate) {
      log.warn({ commandId: command.commandId }, 'simulated throttling: launch refused');

      return E.left({
        errorClass: 'throttled',
        message: 'RequestLimitExceeded: Request limit exceeded.',
        typesTried: [],
      });
    }
    const pod = command.type === 'CreateRunnerPod';
    const zone = pod ? null : (zones[randomInt(random, 0, zones.length)] ?? null);
    const failure = capacityFailure(command, zone ?? '');
    if (failure !== null) {
      log.warn(
        { commandId: command.commandId, typesTried: failure.typesTried },
        'simulated capacity error: launch refused',
      );

      return E.left(failure);
    }
    const { machineId, request } = command.data;
    const record = newRecord(command, zone);
    keep(record, existing !== undefined);
    log.info(
      {
        machineId,
        cloudId: record.snapshot.cloudId,
        capacity: request.capacity,
        instanceType: record.snapshot.instanceType,
        zone,
      },
      'simulated machine launched (pending)',
    );
    boot(record, 'MachineRunning');

    return E.right(toLaunched(record));
  };

  const each = (machineIds: ReadonlyArray<string>, act: (record: MachineRecord) => void): void => {
    for (const id of machineIds) {
      const record = byMachineId.get(id);
      if (record !== undefined) act(record);
      // A machine and its duplicates carry one machineId tag: acting on the tag reaches all of them.
      for (const twin of duplicates) if (twin.snapshot.machineId === id) act(twin);
    }
  };

  return {
    seed,
    findByCommandId: async (commandId) => {
      const record = byCommandId.get(commandId);

      return record === undefined ? null : toLaunched(record);
    },
    launch,
    terminate: async (machineIds, reason) => each(machineIds, (record) => terminateOne(record, reason)),
    stop: async (machineIds) =>
      each(machineIds, (record) => {
        if (record.snapshot.state !== 'running' && record.snapshot.state !== 'pending') return;
        cancelAll(record);
        haltAgent(record);
        set(record, { state: 'stopped' });
        report(record, { type: 'MachineStopped', data: { cloudId: record.snapshot.cloudId } });
      }),
    start: async (machineIds) =>
      each(machineIds, (record) => {
        if (record.snapshot.state !== 'stopped') return;
        set(record, { state: 'pending' });
        record.interruptScheduled = false;
        boot(record, 'MachineStarted');
      }),
    interrupt,
    machines: () => [...byMachineId.values(), ...duplicates].map((record) => record.snapshot),
    listManaged: async () => managedMachines([...byMachineId.values(), ...duplicates].map((record) => record.snapshot)),
    settled: async () => {
      while (pendingReports.size > 0) await Promise.allSettled([...pendingReports]);
    },
    close: () => {
      closed.abort();
      timers.clear();
      for (const record of [...byMachineId.values(), ...duplicates]) record.cancels.length = 0;
    },
  };
};
